import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { LocalBus } from "../../functions/adapters/local/local-bus.ts";
import { LocalTaskCallbacks } from "../../functions/adapters/local/local-task-callbacks.ts";
import { LineNotifier } from "../../functions/adapters/log-notifier.ts";
import type { Ports } from "../../functions/domain/ports/index.ts";
import type { Stores } from "../../functions/domain/ports/stores.ts";
import { createOpenGateHandler } from "../../functions/handlers/open-gate.ts";
import { createResolveGateHandler } from "../../functions/handlers/resolve-gate.ts";
import { type CallbackServer, localOperator, startCallbackServer } from "../../local/callback-server.ts";
import { useStoreTable } from "../helpers/dynalite.ts";

const account = "000000000000";
const table = useStoreTable(() => new Date());
let stores: Stores;
let counter = 0;

beforeAll(() => {
  stores = table.stores();
});

/** The local endpoint over the real stores and resolve-gate, as `npm start` wires it; `gates` may be wrapped. */
async function endpoint(options: { gateWaitMs: number; gates?: Stores["gates"]; stateFile?: string }) {
  const callbacks = new LocalTaskCallbacks();
  const unused = () => {
    throw new Error("not used by gates");
  };
  const ports: Ports = {
    ...stores,
    callbacks,
    notifier: new LineNotifier(() => undefined),
    account,
    executionUrl: (arn) => arn,
    clock: () => new Date(),
    trafficRouter: unused,
    deployTarget: unused,
    healthSignals: unused,
  };
  const bus = new LocalBus({ account, region: "eu-west-1", deliver: createResolveGateHandler(ports) });
  const server = await startCallbackServer({
    stores: { deployments: stores.deployments, gates: options.gates ?? stores.gates },
    bus,
    gateWaitMs: options.gateWaitMs,
    stateFile: options.stateFile ?? join(mkdtempSync(join(tmpdir(), "glidepath-callback-")), "local.json"),
  });
  /** Opens the deployment's bake gate at `elapsedSeconds`, as a bake's timed gate does. */
  const openBakeGate = async (deploymentId: string, elapsedSeconds: number) => {
    const { taskToken } = callbacks.issue();
    await createOpenGateHandler(ports)({
      taskToken,
      deploymentId,
      executionArn: `arn:aws:states:eu-west-1:${account}:execution:Glidepath-canary:x`,
      gate: { kind: "bake", phaseIndex: 0, resumes: 0, elapsedSeconds, weight: 10, waitSeconds: 30 },
      approvers: [localOperator],
      service: "sample",
      environment: "production",
      version: "1.1.0",
    });
    return `bake-p1-r0-${elapsedSeconds}s`;
  };
  return { server, openBakeGate };
}

async function deployment(status: "IN_PROGRESS" | "SUCCEEDED") {
  counter += 1;
  const { deployment } = await stores.deployments.create({
    service: `sample-${counter}`,
    environment: "production",
    artifact: { uri: "sample@sha256:1", digest: `sha256:${counter}`, version: "1.1.0" },
    strategy: "canary",
  });
  await stores.deployments.transition(deployment.id, "IN_PROGRESS");
  if (status === "SUCCEEDED") await stores.deployments.transition(deployment.id, "SUCCEEDED");
  return deployment.id;
}

const textOf = (result: { body?: string }) => (JSON.parse(result.body ?? "{}") as { text?: string }).text;

async function stopping<T>(server: CallbackServer, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } finally {
    await server.stop();
  }
}

describe("the local decide endpoint, for a decision without a gate id", () => {
  it("waits while no gate is open and decides the deployment's next gate", async () => {
    // Prepare
    const { server, openBakeGate } = await endpoint({ gateWaitMs: 20_000 });
    const deploymentId = await deployment("IN_PROGRESS");

    // Act
    const [result, gateId] = await stopping(server, () =>
      Promise.all([
        server.decide(deploymentId, undefined, "pause"),
        new Promise((resolve) => setTimeout(resolve, 300)).then(() => openBakeGate(deploymentId, 30)),
      ]),
    );

    // Assess
    expect(textOf(result)).toMatch(/^⏳ pause by <@ULOCALOPS> recorded/);
    expect((await stores.gates.get(deploymentId, gateId))?.decision).toMatchObject({
      action: "pause",
      actor: `slack:${localOperator}`,
    });
  });

  it("tries the next gate when the one it found was decided by its timer first", async () => {
    // Prepare: the first look sees the 30 s gate open, which its timer decides before the click lands
    const deploymentId = await deployment("IN_PROGRESS");
    let looks = 0;
    const real = stores.gates;
    const gates: Stores["gates"] = {
      open: (gate, token) => real.open(gate, token),
      get: (id, gateId) => real.get(id, gateId),
      decide: (id, gateId, decision) => real.decide(id, gateId, decision),
      hold: (id, decision) => real.hold(id, decision),
      takeHeld: (id) => real.takeHeld(id),
      getOpen: async (id) => {
        looks += 1;
        if (looks > 1) return real.getOpen(id);
        const stale = await real.getOpen(id);
        await real.decide(id, stale?.gateId ?? "", {
          action: "timer",
          actor: "timer",
          at: new Date().toISOString(),
        });
        return stale;
      },
    };
    const { server, openBakeGate } = await endpoint({ gateWaitMs: 20_000, gates });
    const first = await openBakeGate(deploymentId, 30);

    // Act
    const [result, next] = await stopping(server, () =>
      Promise.all([
        server.decide(deploymentId, undefined, "pause"),
        new Promise((resolve) => setTimeout(resolve, 300)).then(() => openBakeGate(deploymentId, 60)),
      ]),
    );

    // Assess
    expect(textOf(result)).toMatch(/^⏳ pause by <@ULOCALOPS> recorded/);
    expect((await stores.gates.get(deploymentId, first))?.decision?.action).toBe("timer");
    expect((await stores.gates.get(deploymentId, next))?.decision).toMatchObject({ action: "pause" });
  });

  it("answers at once that a deployment which has ended has no gate to decide", async () => {
    // Prepare: a wait longer than the test's timeout, so waiting would fail the test
    const { server } = await endpoint({ gateWaitMs: 120_000 });
    const deploymentId = await deployment("SUCCEEDED");

    // Act
    const result = await stopping(server, () => server.decide(deploymentId, undefined, "pause"));

    // Assess
    expect(textOf(result)).toBe(`deployment ${deploymentId} is SUCCEEDED: it has no gate to decide`);
  });

  it("gives up after gateWaitMs when the running deployment opens no gate", async () => {
    // Prepare
    const { server } = await endpoint({ gateWaitMs: 500 });
    const deploymentId = await deployment("IN_PROGRESS");

    // Act
    const result = await stopping(server, () => server.decide(deploymentId, undefined, "resume"));

    // Assess
    expect(textOf(result)).toBe(`deployment ${deploymentId} opened no gate within 1 s`);
  });
});

describe("the local endpoint's guard: POST with the run's token, from its own origin, to 127.0.0.1", () => {
  /** The endpoint over real stores, its state file, and a deployment paused at an open bake gate. */
  async function guarded() {
    const stateFile = join(mkdtempSync(join(tmpdir(), "glidepath-guard-")), "local.json");
    const { server, openBakeGate } = await endpoint({ gateWaitMs: 2_000, stateFile });
    const deploymentId = await deployment("IN_PROGRESS");
    const gateId = await openBakeGate(deploymentId, 30);
    const { token, url } = JSON.parse(readFileSync(stateFile, "utf8")) as { token: string; url: string };
    const post = (headers: Record<string, string>, body: unknown = { deploymentId, action: "pause" }) =>
      fetch(`${url}/decide`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(body),
      });
    const gate = () => stores.gates.get(deploymentId, gateId);
    return { server, stateFile, token, url, post, gate, deploymentId };
  }

  it("refuses a POST without the token, with a wrong one, and from another origin with the right one: the gate stays open", async () => {
    // Prepare
    const { server, token, post, gate } = await guarded();

    // Act
    const answers = await stopping(server, async () => [
      await post({}),
      await post({ "x-glidepath-token": "not-the-token" }),
      await post({ "x-glidepath-token": token, origin: "http://evil.example" }),
      await post({ "x-glidepath-token": token, "sec-fetch-site": "cross-site" }),
    ]);

    // Assess
    expect(answers.map((answer) => answer.status)).toEqual([403, 403, 403, 403]);
    expect(await Promise.all(answers.map(async (answer) => textOf({ body: await answer.text() })))).toEqual([
      expect.stringMatching(/^no x-glidepath-token header: a decision takes the run's token/),
      expect.stringMatching(/^a wrong x-glidepath-token header/),
      expect.stringMatching(/^requests from http:\/\/evil\.example are refused/),
      expect.stringMatching(/^a cross-site request is refused/),
    ]);
    expect((await gate())?.status).toBe("open");
  });

  it("answers a GET /decide 405 without deciding, and a Host that is not its own 403", async () => {
    // Prepare
    const { server, url, deploymentId, gate } = await guarded();

    // Act
    const [get, rebound] = await stopping(server, async () => {
      const get = await fetch(`${url}/decide?d=${deploymentId}&a=pause`);
      const { request } = await import("node:http");
      const rebound = await new Promise<number>((resolve, reject) =>
        request(`${url}/api/page`, { headers: { host: "evil.example" } }, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        })
          .on("error", reject)
          .end(),
      );
      return [get.status, rebound];
    });

    // Assess
    expect([get, rebound]).toEqual([405, 403]);
    expect((await gate())?.status).toBe("open");
  });

  it("decides a POST with the token from its own page's origin, and keeps the token in a file only its user reads", async () => {
    // Prepare
    const { server, stateFile, token, url, post, gate } = await guarded();

    // Act
    const mode = statSync(stateFile).mode & 0o777;
    const answer = await stopping(server, () =>
      post({ "x-glidepath-token": token, origin: url, "sec-fetch-site": "same-origin" }),
    );

    // Assess
    expect(answer.status).toBe(200);
    expect((await gate())?.decision).toMatchObject({ action: "pause", actor: `slack:${localOperator}` });
    expect(mode).toBe(0o600);
  });
});
