import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname } from "node:path";
import { actionIdOf, buttonValue } from "../functions/adapters/slack/interactivity.ts";
import { signSlackRequest } from "../functions/adapters/slack/signature.ts";
import { isTerminal } from "../functions/domain/deployment.ts";
import { ErrorNames } from "../functions/domain/errors.ts";
import { type HumanAction, isHumanAction } from "../functions/domain/gates.ts";
import type { DecisionBus } from "../functions/domain/ports/gates.ts";
import type { Stores } from "../functions/domain/ports/stores.ts";
import { createSlackCallbackHandler, type FunctionUrlResult } from "../functions/handlers/slack-callback.ts";

/** The local operator, as a Slack user id: the sample config lists it among the approvers. */
export const localOperator = "ULOCALOPS";

/** Where a running local deployment says how to reach its callback endpoint (for `glidepath approve` etc.). */
export const localStateFile = ".glidepath/local.json";

/** Where the local run's state table listens (dynalite), for the CLI's reads. */
export interface LocalTableAddress {
  readonly endpoint: string;
  readonly tableName: string;
}

/** What the state file says of a running local deployment. */
export interface LocalRunState {
  readonly url: string;
  readonly pid: number;
  readonly table?: LocalTableAddress;
}

export interface CallbackServer {
  readonly url: string;
  /** The URL that decides `action` at a gate, as a human clicking a button would. */
  decideUrl(deploymentId: string, gateId: string | undefined, action: HumanAction): string;
  /** Decides as the local operator, through the same signed path as a click. */
  decide(deploymentId: string, gateId: string | undefined, action: HumanAction): Promise<FunctionUrlResult>;
  stop(): Promise<void>;
}

/**
 * The local counterpart of the Slack interactivity endpoint. `POST /slack/interactivity` is the Slack callback
 * handler itself, with a signing secret made for this run. `GET /decide?d=&g=&a=` (the links the terminal
 * prints, and what `glidepath approve` calls from another terminal) builds the `block_actions` request a
 * Slack click would send, signs it with that secret and hands it to the same handler: same signature check,
 * same approver check, same bus, same resolve-gate.
 */
export async function startCallbackServer(props: {
  readonly stores: Pick<Stores, "gates" | "deployments">;
  readonly bus: DecisionBus;
  /** How long a decision without a gate id waits for the deployment's next open gate. @default 15000 */
  readonly gateWaitMs?: number;
  /** Where the endpoint's URL is written for the CLI. @default localStateFile */
  readonly stateFile?: string;
  /** The run's state table, written to the state file for `glidepath status`. */
  readonly table?: LocalTableAddress;
  /**
   * Hands a deploy request (`glidepath deploy`) to the run's trigger, as the bus would, and says what it did;
   * throws with what was wrong when the trigger refuses it. Without it, `POST /deploy` is not found.
   */
  readonly deploy?: (detail: unknown) => Promise<string>;
}): Promise<CallbackServer> {
  const signingSecret = randomBytes(32).toString("hex");
  const handler = createSlackCallbackHandler({
    signingSecret: async () => signingSecret,
    gates: props.stores.gates,
    deployments: props.stores.deployments,
    bus: props.bus,
    clock: () => new Date(),
    respond: async () => undefined,
  });
  const interactivity = async (body: string, headers: Record<string, string>) =>
    handler({ headers, body, isBase64Encoded: false, requestContext: { http: { method: "POST" } } });

  const click = async (deploymentId: string, gateId: string, action: HumanAction) => {
    const payload = {
      type: "block_actions",
      user: { id: localOperator, username: "local-operator", name: "local-operator" },
      response_url: `${url}/slack/response`,
      actions: [{ type: "button", action_id: actionIdOf(action), value: buttonValue(deploymentId, gateId) }],
    };
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    const headers = signSlackRequest({
      signingSecret,
      timestamp: Math.floor(Date.now() / 1000),
      rawBody: body,
    });
    return interactivity(body, { ...headers, "content-type": "application/x-www-form-urlencoded" });
  };

  /**
   * A decision without a gate id is meant for the deployment's current gate. A bake closes one gate and opens
   * the next at every evaluation, so a click can find none open, or find one its timer decides first: it is
   * tried again on the next open gate until `gateWaitMs` has passed, and refused at once once the deployment
   * has ended.
   */
  const decide = async (deploymentId: string, gateId: string | undefined, action: HumanAction) => {
    if (gateId !== undefined) return click(deploymentId, gateId, action);
    const deadline = Date.now() + (props.gateWaitMs ?? 15_000);
    for (;;) {
      const open = await props.stores.gates.getOpen(deploymentId);
      if (open !== undefined) {
        const result = await click(deploymentId, open.gateId, action);
        const after = await props.stores.gates.get(deploymentId, open.gateId);
        // Decided by this click, or refused for a reason of its own (approvers, action): the answer stands.
        if (after?.decision?.actor === `slack:${localOperator}` || after?.status === "open") return result;
      } else {
        const deployment = await props.stores.deployments.get(deploymentId);
        if (deployment === undefined || isTerminal(deployment.status)) {
          return textResult(
            deployment === undefined
              ? `unknown deployment ${deploymentId}`
              : `deployment ${deploymentId} is ${deployment.status}: it has no gate to decide`,
          );
        }
      }
      if (Date.now() >= deadline) {
        return textResult(
          `deployment ${deploymentId} opened no gate within ${Math.round((props.gateWaitMs ?? 15_000) / 1000)} s`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };

  const server: Server = createServer(async (request, response) => {
    try {
      const target = new URL(request.url ?? "/", url);
      let result: FunctionUrlResult;
      if (request.method === "POST" && target.pathname === "/slack/interactivity") {
        result = await interactivity(await readBody(request), flatHeaders(request));
      } else if (request.method === "POST" && target.pathname === "/deploy" && props.deploy !== undefined) {
        const deploy = props.deploy;
        result = await readJson(request).then(
          async (detail) => textResult(await deploy(detail)),
          (error: Error) => ({ ...textResult(`the request is not JSON: ${error.message}`), statusCode: 400 }),
        );
      } else if (request.method === "GET" && target.pathname === "/decide") {
        const action = target.searchParams.get("a") ?? "";
        const deploymentId = target.searchParams.get("d") ?? "";
        if (!isHumanAction(action)) {
          result = { ...textResult(`unknown action '${action}'`), statusCode: 400 };
        } else {
          result = await decide(deploymentId, target.searchParams.get("g") ?? undefined, action);
        }
      } else {
        result = { statusCode: 404, headers: {}, body: JSON.stringify({ text: "not found" }) };
      }
      response.writeHead(result.statusCode, { "content-type": "application/json; charset=utf-8" });
      response.end(result.body);
    } catch (error) {
      // A refusal says what was wrong (a trigger's TriggerEventInvalidError): the caller's to fix.
      const refused = (error as Error).name === ErrorNames.TriggerEventInvalid;
      response.writeHead(refused ? 400 : 500, { "content-type": "application/json; charset=utf-8" });
      response.end(JSON.stringify({ text: refused ? (error as Error).message : String(error) }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const stateFile = props.stateFile ?? localStateFile;
  mkdirSync(dirname(stateFile), { recursive: true });
  const state: LocalRunState = {
    url,
    pid: process.pid,
    ...(props.table === undefined ? {} : { table: props.table }),
  };
  writeFileSync(stateFile, `${JSON.stringify(state)}\n`);
  return {
    url,
    decideUrl: (deploymentId, gateId, action) =>
      `${url}/decide?${new URLSearchParams({ d: deploymentId, ...(gateId === undefined ? {} : { g: gateId }), a: action })}`,
    decide,
    stop: async () => {
      rmSync(stateFile, { force: true });
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function textResult(text: string): FunctionUrlResult {
  return { statusCode: 200, headers: {}, body: JSON.stringify({ text }) };
}

function flatHeaders(request: IncomingMessage): Record<string, string> {
  return Object.fromEntries(
    Object.entries(request.headers).flatMap(([name, value]) =>
      value === undefined ? [] : [[name, Array.isArray(value) ? value.join(",") : value]],
    ),
  );
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  return JSON.parse(await readBody(request));
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
