import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
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
import { refusal, tokenHeader } from "./endpoint-guard.ts";
import { pageHtml, pageReadMs } from "./page.ts";

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
  /** What a decision (or a deploy request) must carry in its `x-glidepath-token` header. */
  readonly token: string;
  readonly pid: number;
  readonly table?: LocalTableAddress;
}

/** A decision as the page and the CLI post it to `POST /decide`. */
export interface DecideRequest {
  readonly deploymentId: string;
  /** Absent: the deployment's open gate (a bake opens a new one at every evaluation). */
  readonly gateId?: string;
  readonly action: HumanAction;
}

/** What the live page shows of one promotion or deployment (see cli/page/page-data.ts), or of none yet. */
export type PageSource = (id: string | undefined) => Promise<unknown>;

export interface CallbackServer {
  readonly url: string;
  /** The live page of the run: what it deploys, as it happens, with the open gate's buttons. */
  readonly pageUrl: string;
  /** Decides as the local operator, through the same signed path as a click. */
  decide(deploymentId: string, gateId: string | undefined, action: HumanAction): Promise<FunctionUrlResult>;
  stop(): Promise<void>;
}

/**
 * The local endpoint: the run's live page and the local counterpart of the Slack interactivity endpoint, on
 * 127.0.0.1 only. `POST /slack/interactivity` is the Slack callback handler itself, with a signing secret made
 * for this run. `POST /decide` (the page's buttons, and `glidepath approve` etc. from another terminal)
 * builds the `block_actions` request a Slack click would send, signs it with that secret and hands it to the
 * same handler: same signature check, same approver check, same bus, same resolve-gate. Deciding takes a POST
 * with the run's token, never a GET; a request from another origin, or naming another host, is refused
 * (local/endpoint-guard.ts). `GET /` is the page, `GET /api/page?id=` what it shows.
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
  /** What the page shows; without it, the page and its data are not found. */
  readonly page?: PageSource;
}): Promise<CallbackServer> {
  const signingSecret = randomBytes(32).toString("hex");
  const token = randomBytes(24).toString("base64url");
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

  /** When an open page last read what it shows: a page open when the run ends is let read its end. */
  let lastPageRead = 0;
  const route = async (request: IncomingMessage, target: URL): Promise<Answer> => {
    const post = request.method === "POST";
    if (post && target.pathname === "/slack/interactivity") {
      return json(await interactivity(await readBody(request), flatHeaders(request)));
    }
    if (post && target.pathname === "/deploy" && props.deploy !== undefined) {
      const deploy = props.deploy;
      return readJson(request).then(
        async (detail) => json(textResult(await deploy(detail))),
        (error: Error) =>
          json({ ...textResult(`the request is not JSON: ${error.message}`), statusCode: 400 }),
      );
    }
    if (post && target.pathname === "/decide") {
      const body = (await readJson(request).catch(() => undefined)) as Partial<DecideRequest> | undefined;
      const action = body?.action ?? "";
      if (typeof body?.deploymentId !== "string" || !isHumanAction(action)) {
        return json({
          ...textResult(
            `a decision is JSON {"deploymentId": "d-…", "action": "pause|resume|promote|abort|approve|reject", "gateId"?: "…"}; got ${JSON.stringify(body ?? null)}`,
          ),
          statusCode: 400,
        });
      }
      return json(await decide(body.deploymentId, body.gateId ?? undefined, action));
    }
    if (request.method === "GET" && target.pathname === "/decide") {
      return json({
        ...textResult(
          `decisions take a POST with the run's token (${tokenHeader}), never a GET: use the buttons on ${url}/ or \`npx glidepath <action> <deployment-id>\``,
        ),
        statusCode: 405,
      });
    }
    if (request.method === "GET" && target.pathname === "/" && props.page !== undefined) {
      return { statusCode: 200, contentType: "text/html; charset=utf-8", body: pageHtml(token), page: true };
    }
    if (request.method === "GET" && target.pathname === "/api/page" && props.page !== undefined) {
      const data = await props.page(target.searchParams.get("id") ?? undefined);
      lastPageRead = Date.now();
      return { statusCode: 200, contentType: "application/json; charset=utf-8", body: JSON.stringify(data) };
    }
    return json({ statusCode: 404, headers: {}, body: JSON.stringify({ text: "not found" }) });
  };

  const server: Server = createServer(async (request, response) => {
    try {
      const target = new URL(request.url ?? "/", url);
      const refused = refusal(
        {
          ...header(request, "host", "host"),
          ...header(request, "origin", "origin"),
          ...header(request, "sec-fetch-site", "fetchSite"),
          ...header(request, tokenHeader, "token"),
        },
        { origin: url, token },
        // The Slack path is signed with the run's own secret; every other POST changes something.
        request.method !== "GET" && target.pathname !== "/slack/interactivity",
      );
      const answer =
        refused === undefined
          ? await route(request, target)
          : json({ ...textResult(refused), statusCode: 403 });
      response.writeHead(answer.statusCode, {
        "content-type": answer.contentType,
        "cache-control": "no-store",
        ...(answer.page === true
          ? {
              // The page is self-contained: its own inline script and style, data from this endpoint only.
              "content-security-policy":
                "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            }
          : {}),
      });
      response.end(answer.body);
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
    token,
    pid: process.pid,
    ...(props.table === undefined ? {} : { table: props.table }),
  };
  // Only this user may read the token.
  writeFileSync(stateFile, `${JSON.stringify(state)}\n`, { mode: 0o600 });
  chmodSync(stateFile, 0o600);
  return {
    url,
    pageUrl: `${url}/`,
    decide,
    stop: async () => {
      // An open page reads every second: give it one more read, to show how the run ended.
      const stopping = Date.now();
      while (
        Date.now() - lastPageRead < pageReadMs * 3 &&
        lastPageRead < stopping &&
        Date.now() - stopping < pageReadMs * 2
      ) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      rmSync(stateFile, { force: true });
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A response of the endpoint. */
interface Answer {
  readonly statusCode: number;
  readonly contentType: string;
  readonly body: string;
  /** The page, sent with its content security policy. */
  readonly page?: boolean;
}

function json(result: FunctionUrlResult): Answer {
  return { statusCode: result.statusCode, contentType: "application/json; charset=utf-8", body: result.body };
}

function header<K extends string>(request: IncomingMessage, name: string, as: K): Partial<Record<K, string>> {
  const value = request.headers[name];
  const text = Array.isArray(value) ? value.join(",") : value;
  return (text === undefined ? {} : { [as]: text }) as Partial<Record<K, string>>;
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
