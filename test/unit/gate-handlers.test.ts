import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { dynamoDbStores } from "../../functions/adapters/aws/dynamodb-stores.ts";
import { LineNotifier } from "../../functions/adapters/log-notifier.ts";
import { ErrorNames, GateExpiredError } from "../../functions/domain/errors.ts";
import type { TaskCallbacks } from "../../functions/domain/ports/gates.ts";
import type { Ports } from "../../functions/domain/ports/index.ts";
import type { Stores } from "../../functions/domain/ports/stores.ts";
import { createOpenGateHandler } from "../../functions/handlers/open-gate.ts";
import { createResolveGateHandler } from "../../functions/handlers/resolve-gate.ts";
import { logger } from "../../functions/shared/logger.ts";
import alarmEvent from "../fixtures/events/alarm-state-change.json" with { type: "json" };
import { type LocalTable, startDynalite } from "../helpers/dynalite.ts";

const account = "111122223333";
const token = "AQCEAAAAKgAAAAMAAAAAAAAAAel1KfkR9sLRs0uJ3TaskTokenSecret==";

let table: LocalTable;
let stores: Stores;
let counter = 0;
const calls: { kind: string; args: unknown[] }[] = [];
const notices: string[] = [];
let expireNext = false;

const callbacks: TaskCallbacks = {
  succeed: async (...args) => {
    if (expireNext)
      throw new GateExpiredError("Step Functions answered TaskTimedOut: the task no longer waits");
    calls.push({ kind: "succeed", args });
  },
  fail: async (...args) => {
    if (expireNext)
      throw new GateExpiredError("Step Functions answered TaskTimedOut: the task no longer waits");
    calls.push({ kind: "fail", args });
  },
};

function ports(): Ports {
  const unused = () => {
    throw new Error("not used by gates");
  };
  return {
    ...stores,
    callbacks,
    notifier: new LineNotifier((line) => notices.push(line)),
    account,
    executionUrl: (arn) => `https://console.example/${arn}`,
    clock: () => new Date(),
    trafficRouter: unused,
    deployTarget: unused,
    healthSignals: unused,
  };
}

const envelope = (
  detailType: string,
  source: string,
  detail: unknown,
  overrides: Record<string, unknown> = {},
) => ({
  version: "0",
  id: "5d9b1f0e-2a3c-4b6d-8e7f-9a0b1c2d3e4f",
  "detail-type": detailType,
  source,
  account,
  time: "2026-11-26T14:00:00Z",
  region: "eu-west-1",
  resources: [],
  detail,
  ...overrides,
});
const decision = (detail: Record<string, unknown>, overrides: Record<string, unknown> = {}) =>
  envelope("Glidepath Gate Decision", "glidepath.gates", detail, overrides);
/** CloudWatch's real event of an alarm going into ALARM, for another alarm. */
const alarmChange = (
  alarmName: string,
  from: { account: string; region: string } = { account, region: "eu-west-1" },
) => ({
  ...alarmEvent,
  account: from.account,
  region: from.region,
  resources: [`arn:aws:cloudwatch:${from.region}:${from.account}:alarm:${alarmName}`],
  detail: { ...alarmEvent.detail, alarmName },
});

/** A deployment IN_PROGRESS watching `api-5xx`, with an open bake gate. */
async function deploymentWithOpenGate(kind: "bake" | "approval" = "bake", approvers: string[] = []) {
  counter += 1;
  const { deployment } = await stores.deployments.create({
    service: `svc-${counter}`,
    environment: "production",
    artifact: { uri: "repo@sha256:1", digest: `sha256:${counter}`, version: "1.4.0" },
    strategy: "canary",
  });
  await stores.deployments.transition(deployment.id, "IN_PROGRESS");
  await stores.alarmWatches.watch(deployment.id, [
    { account, region: "eu-west-1", name: `api-5xx-${counter}` },
  ]);
  await createOpenGateHandler(ports())({
    taskToken: token,
    deploymentId: deployment.id,
    executionArn: `arn:aws:states:eu-west-1:${account}:execution:Glidepath-canary:x`,
    gate: { kind, phaseIndex: 0, resumes: 0, elapsedSeconds: 30, weight: 10, waitSeconds: 30 },
    approvers,
    service: `svc-${counter}`,
    environment: "production",
    version: "1.4.0",
  });
  return { deploymentId: deployment.id, gateId: `${kind}-p1-r0-30s`, alarm: `api-5xx-${counter}` };
}

beforeAll(async () => {
  table = await startDynalite();
  stores = dynamoDbStores({ client: table.client, tableName: table.tableName });
});

afterAll(async () => {
  await table.close();
});

beforeEach(() => {
  calls.length = 0;
  notices.length = 0;
  expireNext = false;
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("resolve-gate", () => {
  it("fails the open gate of the deployment watching an alarm that went into ALARM", async () => {
    // Prepare
    const { deploymentId, gateId, alarm } = await deploymentWithOpenGate();

    // Act
    const outcome = await createResolveGateHandler(ports())(alarmChange(alarm));

    // Assess
    expect(outcome).toEqual([{ outcome: "resolved", deploymentId, gateId, action: "alarm" }]);
    expect(calls).toEqual([
      {
        kind: "fail",
        args: [
          token,
          ErrorNames.AlarmFired,
          expect.stringMatching(`^alarm in ALARM: ${alarm}: Threshold Crossed`),
        ],
      },
    ]);
    expect((await stores.decisions.list(deploymentId)).map((entry) => [entry.action, entry.actor])).toEqual([
      ["rollback", `alarm:${alarm}`],
    ]);
  });

  it.each<[string, () => Promise<{ event: unknown; expected: RegExp }>]>([
    [
      "an alarm no deployment watches",
      async () => ({
        event: alarmChange("nobody-watches-this"),
        expected:
          /^no deployment in progress watches alarm nobody-watches-this in account 111122223333, region eu-west-1$/,
      }),
    ],
    [
      "an alarm of the watched name from another account",
      async () => {
        const { alarm } = await deploymentWithOpenGate();
        return {
          event: alarmChange(alarm, { account: "444455556666", region: "eu-west-1" }),
          expected: new RegExp(
            `^no deployment in progress watches alarm ${alarm} in account 444455556666, region eu-west-1$`,
          ),
        };
      },
    ],
    [
      "an alarm of the watched name from another region",
      async () => {
        const { alarm } = await deploymentWithOpenGate();
        return {
          event: alarmChange(alarm, { account, region: "eu-central-1" }),
          expected: new RegExp(
            `^no deployment in progress watches alarm ${alarm} in account 111122223333, region eu-central-1$`,
          ),
        };
      },
    ],
    [
      "a gate decision from another account",
      async () => {
        const { deploymentId } = await deploymentWithOpenGate();
        return {
          event: decision(
            { deploymentId, action: "promote", actor: "cli:alice" },
            { account: "999999999999" },
          ),
          expected: /^gate decision from account 999999999999, not 111122223333: ignored$/,
        };
      },
    ],
    [
      "an event from another source",
      async () => {
        const { deploymentId } = await deploymentWithOpenGate();
        return {
          event: envelope("Glidepath Gate Decision", "evil.source", {
            deploymentId,
            action: "promote",
            actor: "cli:alice",
          }),
          expected: /^unexpected event evil.source \/ Glidepath Gate Decision$/,
        };
      },
    ],
    [
      "a malformed decision",
      async () => ({
        event: decision({ deploymentId: "nope", action: "ship" }),
        expected:
          /^malformed gate decision: deploymentId: must be a deployment id \(d- and 20 hex digits\); action: .*; actor: /,
      }),
    ],
    [
      "something that is not an event",
      async () => ({ event: "{not json", expected: /^not an EventBridge event nor a gate timer$/ }),
    ],
    [
      "an unknown gate",
      async () => {
        const { deploymentId } = await deploymentWithOpenGate();
        return {
          event: decision({ deploymentId, gateId: "bake-p9-r0-0s", action: "promote", actor: "cli:alice" }),
          expected: /^unknown gate bake-p9-r0-0s of deployment d-/,
        };
      },
    ],
    [
      "an action the gate does not take",
      async () => {
        const { deploymentId } = await deploymentWithOpenGate();
        return {
          event: decision({ deploymentId, action: "approve", actor: "cli:alice" }),
          expected: /^a bake gate cannot be told to approve; it accepts promote, pause, abort$/,
        };
      },
    ],
    [
      "a decision by someone who is not an approver",
      async () => {
        const { deploymentId } = await deploymentWithOpenGate("approval", ["U024BE7LH"]);
        return {
          event: decision({ deploymentId, action: "approve", actor: "slack:U0MALLORY" }),
          expected: /^slack:U0MALLORY is not an approver of this deployment \(approvers: U024BE7LH\)$/,
        };
      },
    ],
  ])("rejects %s and changes nothing", async (_case, prepare) => {
    // Prepare
    const { event, expected } = await prepare();
    const before = await Promise.all([
      stores.gates.getOpen(
        (event as { detail?: { deploymentId?: string } }).detail?.deploymentId ?? "d-00000000000000000000",
      ),
    ]);

    // Act
    const outcome = await createResolveGateHandler(ports())(event);

    // Assess
    expect(outcome).toEqual({ outcome: "rejected", reason: expect.stringMatching(expected) });
    expect(calls).toEqual([]);
    expect(
      await Promise.all([
        stores.gates.getOpen(
          (event as { detail?: { deploymentId?: string } }).detail?.deploymentId ?? "d-00000000000000000000",
        ),
      ]),
    ).toEqual(before);
  });

  it("answers a second click with who decided first, and resolves the task once", async () => {
    // Prepare
    const { deploymentId, gateId } = await deploymentWithOpenGate("approval", ["U024BE7LH"]);
    const handler = createResolveGateHandler(ports());

    // Act
    const first = await handler(
      decision({ deploymentId, gateId, action: "approve", actor: "slack:U024BE7LH" }),
    );
    const second = await handler(
      decision({ deploymentId, gateId, action: "reject", actor: "slack:U024BE7LH" }),
    );

    // Assess
    expect(first).toMatchObject({ outcome: "resolved", action: "approve" });
    expect(second).toEqual({
      outcome: "rejected",
      reason: `gate ${gateId} was already decided by slack:U024BE7LH at 2026-11-26T14:00:00Z (approve)`,
    });
    expect(calls).toEqual([
      { kind: "fail", args: [token, "GateApproved", "slack:U024BE7LH approved the approval at 10%"] },
    ]);
  });

  it("says so when the gate's task no longer waits", async () => {
    // Prepare
    const { deploymentId } = await deploymentWithOpenGate();
    expireNext = true;

    // Act
    const outcome = await createResolveGateHandler(ports())(
      decision({ deploymentId, action: "promote", actor: "cli:alice" }),
    );

    // Assess
    expect(outcome).toEqual({
      outcome: "rejected",
      reason: expect.stringMatching(/ expired before the decision: Step Functions answered TaskTimedOut/),
    });
  });

  it("asks to be retried when the timer rings before the gate is stored", async () => {
    // Prepare
    const { deploymentId } = await deploymentWithOpenGate();

    // Act
    const ring = createResolveGateHandler(ports())({
      action: "ring",
      deploymentId,
      gate: { kind: "bake", phaseIndex: 3, resumes: 0, elapsedSeconds: 60 },
    });

    // Assess
    await expect(ring).rejects.toMatchObject({ name: ErrorNames.GateNotOpen });
  });
});

describe("task tokens", () => {
  it("never appear in a log line, a notification or a handler's answer", async () => {
    // Prepare
    logger.setLogLevel("DEBUG");
    const written: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const answers: unknown[] = [];

    // Act
    const { deploymentId, gateId, alarm } = await deploymentWithOpenGate("approval", ["U024BE7LH"]);
    const handler = createResolveGateHandler(ports());
    answers.push(
      await handler(decision({ deploymentId, gateId, action: "approve", actor: "slack:U0MALLORY" })),
    );
    answers.push(
      await handler(decision({ deploymentId, gateId, action: "approve", actor: "slack:U024BE7LH" })),
    );
    answers.push(await handler(alarmChange(alarm)));
    answers.push(await stores.gates.get(deploymentId, gateId));
    logger.setLogLevel("SILENT");

    // Assess
    expect(written.length).toBeGreaterThan(0);
    expect(notices.length).toBeGreaterThan(0);
    expect(JSON.stringify([written, notices, answers])).not.toContain(token);
  });
});

describe("open-gate under an abort request", () => {
  /** A deployment of a promotion that a newer artifact asked to stop (`abortRequested`), or not. */
  async function deploymentOfPromotion(abortRequested: boolean) {
    counter += 1;
    const promotionId = `p-${String(counter).padStart(20, "0")}`;
    const { deployment } = await stores.deployments.create({
      service: `svc-${counter}`,
      environment: "production",
      artifact: { uri: "repo@sha256:1", digest: `sha256:${counter}`, version: "1.4.0" },
      strategy: "canary",
      promotionId,
    });
    await stores.deployments.transition(deployment.id, "IN_PROGRESS");
    const at = new Date().toISOString();
    await stores.promotions.create({
      id: promotionId,
      service: `svc-${counter}`,
      artifact: deployment.artifact,
      publishedAt: at,
      status: "RUNNING",
      environments: [{ name: "production", status: "IN_PROGRESS", waves: [{ deploymentId: deployment.id }] }],
      hooks: [],
      current: "production",
      lock: "holder",
      ...(abortRequested
        ? { abortRequested: { by: "p-newer", reason: "superseded by 1.5.0 (p-newer)", at } }
        : {}),
      createdAt: at,
      updatedAt: at,
      revision: 1,
    });
    return deployment.id;
  }

  const open = (deploymentId: string) =>
    createOpenGateHandler(ports())({
      taskToken: token,
      deploymentId,
      executionArn: `arn:aws:states:eu-west-1:${account}:execution:Glidepath-canary:x`,
      gate: { kind: "bake", phaseIndex: 0, resumes: 0, elapsedSeconds: 30, weight: 10, waitSeconds: 30 },
      approvers: [],
      service: "svc",
      environment: "production",
      version: "1.4.0",
    });

  it("aborts the gate as it opens when the promotion was asked to stop, and tells no human of the gate", async () => {
    // Prepare
    const deploymentId = await deploymentOfPromotion(true);

    // Act
    await open(deploymentId);

    // Assess
    expect(calls).toEqual([
      {
        kind: "fail",
        args: [
          token,
          ErrorNames.GateRejected,
          "glidepath:supersede: superseded by 1.5.0 (p-newer) aborted the deployment at the bake at 10%",
        ],
      },
    ]);
    expect(await stores.gates.get(deploymentId, "bake-p1-r0-30s")).toMatchObject({
      status: "decided",
      decision: { action: "abort", actor: "glidepath:supersede" },
    });
    expect(notices.some((line) => line.startsWith("gate open"))).toBe(false);
  });

  it("leaves the gate open and tells humans when the promotion was not asked to stop", async () => {
    // Prepare
    const deploymentId = await deploymentOfPromotion(false);

    // Act
    await open(deploymentId);

    // Assess
    expect(calls).toEqual([]);
    expect(await stores.gates.getOpen(deploymentId)).toMatchObject({
      gateId: "bake-p1-r0-30s",
      status: "open",
    });
    expect(notices.filter((line) => line.startsWith("gate open:"))).toHaveLength(1);
  });
});

describe("a decision that finds no gate open (between two evaluations)", () => {
  async function runningDeployment() {
    counter += 1;
    const { deployment } = await stores.deployments.create({
      service: `svc-${counter}`,
      environment: "production",
      artifact: { uri: "repo@sha256:1", digest: `sha256:held${counter}`, version: "1.4.0" },
      strategy: "canary",
    });
    await stores.deployments.transition(deployment.id, "IN_PROGRESS");
    return deployment.id;
  }
  const openAt = (deploymentId: string, kind: "bake" | "pause", elapsedSeconds: number) =>
    createOpenGateHandler(ports())({
      taskToken: token,
      deploymentId,
      executionArn: `arn:aws:states:eu-west-1:${account}:execution:Glidepath-canary:x`,
      gate: { kind, phaseIndex: 0, resumes: 0, elapsedSeconds, weight: 10, waitSeconds: 30 },
      approvers: [],
      service: "svc",
      environment: "production",
      version: "1.4.0",
    });
  const now = () => new Date().toISOString();

  it("is held, and the next gate that accepts it applies it as it opens", async () => {
    // Prepare
    const deploymentId = await runningDeployment();

    // Act
    const answer = await createResolveGateHandler(ports())(
      decision({ deploymentId, action: "pause", actor: "cli:alice" }, { time: now() }),
    );
    await openAt(deploymentId, "bake", 60);

    // Assess
    expect(answer).toMatchObject({ outcome: "held", deploymentId });
    expect(calls).toEqual([
      {
        kind: "fail",
        args: [token, "GatePaused", "cli:alice paused the deployment at the bake at 10%"],
      },
    ]);
    expect(await stores.gates.takeHeld(deploymentId)).toBeUndefined();
  });

  it("is dropped by a next gate that does not accept it, which stays open", async () => {
    // Prepare
    const deploymentId = await runningDeployment();
    await createResolveGateHandler(ports())(
      decision({ deploymentId, action: "resume", actor: "cli:alice" }, { time: now() }),
    );

    // Act
    await openAt(deploymentId, "bake", 60);

    // Assess
    expect(calls).toEqual([]);
    expect(await stores.gates.getOpen(deploymentId)).toMatchObject({ gateId: "bake-p1-r0-60s" });
  });

  it("is held once: a second decision before the next gate is refused", async () => {
    // Prepare
    const deploymentId = await runningDeployment();
    const resolve = createResolveGateHandler(ports());
    await resolve(decision({ deploymentId, action: "abort", actor: "cli:alice" }, { time: now() }));

    // Act
    const second = await resolve(
      decision({ deploymentId, action: "promote", actor: "cli:bob" }, { time: now() }),
    );

    // Assess
    expect(second).toEqual({
      outcome: "rejected",
      reason: `deployment ${deploymentId} already holds a decision for its next gate`,
    });
  });

  it("is refused for a deployment that has ended", async () => {
    // Prepare
    const deploymentId = await runningDeployment();
    await stores.deployments.transition(deploymentId, "SUCCEEDED");

    // Act
    const answer = await createResolveGateHandler(ports())(
      decision({ deploymentId, action: "pause", actor: "cli:alice" }, { time: now() }),
    );

    // Assess
    expect(answer).toEqual({
      outcome: "rejected",
      reason: `deployment ${deploymentId} is SUCCEEDED: there is no gate to decide`,
    });
  });

  it("marks the deployment PAUSED and tells humans at the first gate of a pause only", async () => {
    // Prepare
    const deploymentId = await runningDeployment();

    // Act
    await openAt(deploymentId, "pause", 30);
    await openAt(deploymentId, "pause", 60);

    // Assess
    expect((await stores.deployments.get(deploymentId))?.status).toBe("PAUSED");
    expect(notices.filter((line) => line.startsWith("gate open:"))).toHaveLength(1);
  });
});

describe("a decision that loses the race with the gate's timer", () => {
  it("is held for the next gate when it named no gate", async () => {
    // Prepare
    const { deploymentId, gateId } = await deploymentWithOpenGate();
    const stale = await stores.gates.getOpen(deploymentId);
    await createResolveGateHandler(ports())({
      action: "ring",
      deploymentId,
      gate: { kind: "bake", phaseIndex: 0, resumes: 0, elapsedSeconds: 30 },
    });
    // The gate as the decision read it, an instant before the timer rang.
    const gates = Object.assign(Object.create(stores.gates), { getOpen: async () => stale });
    const racing: Ports = { ...ports(), gates };

    // Act
    const answer = await createResolveGateHandler(racing)(
      decision({ deploymentId, action: "pause", actor: "cli:alice" }, { time: new Date().toISOString() }),
    );

    // Assess
    expect(stale?.gateId).toBe(gateId);
    expect(answer).toMatchObject({ outcome: "held", deploymentId });
    expect(await stores.gates.takeHeld(deploymentId)).toMatchObject({ action: "pause", actor: "cli:alice" });
  });
});
