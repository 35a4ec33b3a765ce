import { readFileSync } from "node:fs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { awsPorts } from "../../functions/adapters/aws/ports.ts";
import { LineNotifier } from "../../functions/adapters/log-notifier.ts";
import { type GlidepathConfig, parseConfig } from "../../functions/domain/config/index.ts";
import { ErrorNames } from "../../functions/domain/errors.ts";
import { gateIdOf } from "../../functions/domain/gates.ts";
import type { Ports } from "../../functions/domain/ports/index.ts";
import { type Promotion, promotionId } from "../../functions/domain/promotion/record.ts";
import {
  PromotionApprovalPosition,
  type PromotionEnvironment,
  type PromotionRequest,
  promotionExecutionName,
  promotionRequest,
} from "../../functions/domain/promotion/request.ts";
import { createPromoteHandler, type PromotionLifecycle } from "../../functions/handlers/promote.ts";
import { createTriggerHandler } from "../../functions/handlers/trigger.ts";
import { type LocalTable, startDynalite } from "../helpers/dynalite.ts";

const ecrPush = JSON.parse(
  readFileSync(new URL("../fixtures/events/ecr-image-push.json", import.meta.url), "utf8"),
) as Record<string, unknown> & { detail: Record<string, unknown> };

let table: LocalTable;
let ports: Ports;
let notices: string[];
let serviceCounter = 0;
let starts: PromotionRequest[];
let now: Date;

beforeAll(async () => {
  table = await startDynalite();
});

afterAll(async () => {
  await table.close();
});

beforeEach(() => {
  starts = [];
  notices = [];
  now = new Date("2026-12-24T12:00:00Z");
  ports = {
    ...awsPorts({
      tableName: table.tableName,
      documentClient: table.client,
      account: "123456789012",
      region: "eu-west-1",
      notifier: new LineNotifier((line) => notices.push(line)),
    }),
    clock: () => now,
  };
});

/** A service of its own per test, so that tests sharing the table never share a lock. */
function configFor(environment: Record<string, unknown> = {}): { config: GlidepathConfig; service: string } {
  serviceCounter += 1;
  const service = `api-${serviceCounter}`;
  const config = parseConfig({
    services: [
      {
        name: service,
        artifact: { type: "ecr", repository: "my-repository-name", tagPattern: "^v\\d+$" },
        target: { type: "local" },
        environments: [
          { name: "dev", account: "123456789012", region: "us-west-2", strategy: "ECSAllAtOnce" },
          {
            name: "production",
            account: "123456789012",
            region: ["us-west-2", "eu-west-1"],
            strategy: "ECSAllAtOnce",
            ...environment,
          },
        ],
      },
    ],
  });
  return { config, service };
}

/** Step Functions' StartExecution: the ARN of the execution named after the promotion. */
function lifecycle(config: GlidepathConfig): PromotionLifecycle {
  return {
    config,
    start: async (request) => {
      starts.push(request);
      return { executionArn: executionArnOf(request) };
    },
  };
}

const executionArnOf = (request: PromotionRequest) =>
  `arn:aws:states:us-west-2:123456789012:execution:Glidepath-pipeline:${promotionExecutionName(request)}`;

function push(n: number): Record<string, unknown> {
  return {
    ...ecrPush,
    time: new Date(Date.parse("2026-11-26T14:00:00Z") + n * 1000).toISOString(),
    detail: {
      ...ecrPush.detail,
      "image-tag": `v${n}`,
      "image-digest": `sha256:${String(n).padStart(64, "0")}`,
    },
  };
}

/** A promotion of push `n`, started through the trigger as on AWS, and what the pipeline's steps receive. */
async function started(config: GlidepathConfig, n = 1) {
  const [outcome] = await createTriggerHandler({ ...ports, ...lifecycle(config) })(push(n));
  const service = config.services[0];
  if (service === undefined) throw new Error("no service");
  const digest = `sha256:${String(n).padStart(64, "0")}`;
  const request = promotionRequest({
    service,
    artifact: {
      uri: `123456789012.dkr.ecr.us-west-2.amazonaws.com/my-repository-name@${digest}`,
      digest,
      version: `v${n}`,
    },
  });
  const { environments, ...promotion } = request;
  const [dev, production] = environments;
  if (dev === undefined || production === undefined) throw new Error("two environments expected");
  return { outcome, request, promotion, dev, production };
}

async function record(id: string): Promise<Promotion | undefined> {
  return ports.promotions.get(id);
}

type Started = Awaited<ReturnType<typeof started>>;

/** Enters an environment and lets every wave succeed, as the strategies' executions would. */
async function environmentSucceeds(
  promote: ReturnType<typeof createPromoteHandler>,
  { promotion }: Started,
  environment: PromotionEnvironment,
): Promise<void> {
  await promote({ action: "enter", promotion, environment });
  for (const wave of environment.waves) {
    await ports.deployments.transition(wave.deploymentId, "IN_PROGRESS");
    await ports.deployments.transition(wave.deploymentId, "SUCCEEDED");
    await promote({ action: "wave-ended", promotion, environment, deploymentId: wave.deploymentId });
  }
  await promote({ action: "environment-promoted", promotion, environment });
}

describe("promote handler: the end of a promotion", () => {
  it("finish releases the lock with the live version and starts the waiting promotion", async () => {
    // Prepare
    const { config, service } = configFor();
    const first = await started(config, 1);
    await started(config, 2);
    const waiting = promotionId({ service, digest: `sha256:${"2".padStart(64, "0")}` });
    starts = [];
    const promote = createPromoteHandler(ports, lifecycle(config));
    await environmentSucceeds(promote, first, first.dev);
    await environmentSucceeds(promote, first, first.production);

    // Act
    const result = await promote({ action: "finish", outcome: "promoted", promotion: first.promotion });

    // Assess
    expect(result).toEqual({ outcome: "promoted" });
    expect(starts.map((request) => request.promotionId)).toEqual([waiting]);
    expect(await ports.promotions.getLock(service)).toMatchObject({ holder: waiting, liveVersion: "v1" });
    expect(await record(first.promotion.promotionId)).toMatchObject({
      status: "PROMOTED",
      lock: "none",
      reason: "every environment succeeded, up to production",
    });
    expect(await record(waiting)).toMatchObject({ status: "RUNNING", lock: "holder" });
    expect(notices).toEqual([
      `promotion promoted: ${service} v1: every environment succeeded, up to production`,
    ]);
  });

  it("finish of a stopped promotion hands the lock over without a live version and says why", async () => {
    // Prepare
    const { config, service } = configFor();
    const first = await started(config, 1);
    await started(config, 2);
    starts = [];
    const promote = createPromoteHandler(ports, lifecycle(config));
    await promote({ action: "enter", promotion: first.promotion, environment: first.dev });

    // Act
    await promote({
      action: "finish",
      outcome: "stopped",
      promotion: first.promotion,
      error: {
        Error: "States.TaskFailed",
        Cause: JSON.stringify({ Status: "FAILED", Error: ErrorNames.AlarmFired, Cause: "5xx" }),
      },
    });

    // Assess
    expect(starts.map((request) => request.artifact.version)).toEqual(["v2"]);
    const lock = await ports.promotions.getLock(service);
    expect(lock.holder).toBe(starts[0]?.promotionId);
    expect(lock.liveVersion).toBeUndefined();
    expect(await record(first.promotion.promotionId)).toMatchObject({
      status: "STOPPED",
      reason: `${ErrorNames.AlarmFired}: 5xx`,
    });
    expect(notices).toEqual([`promotion stopped: ${service} v1 in dev: ${ErrorNames.AlarmFired}: 5xx`]);
  });

  it("finish releases the lock and starts the waiting promotion even when the message cannot be sent", async () => {
    // Prepare
    const { config, service } = configFor();
    const first = await started(config, 1);
    await started(config, 2);
    starts = [];
    const slackDown: Ports = {
      ...ports,
      notifier: {
        ...ports.notifier,
        promotionEnded: async () => {
          throw new Error("Slack chat.postMessage failed: HTTP 503");
        },
      },
    };

    // Act
    await createPromoteHandler(
      slackDown,
      lifecycle(config),
    )({
      action: "finish",
      outcome: "stopped",
      promotion: first.promotion,
      error: { Error: ErrorNames.AlarmFired, Cause: "5xx" },
    });

    // Assess
    expect((await ports.promotions.getLock(service)).holder).toBe(starts[0]?.promotionId);
    expect(starts.map((request) => request.artifact.version)).toEqual(["v2"]);
  });

  it("a redelivered finish changes nothing, starts nothing and sends no second message", async () => {
    // Prepare
    const { config, service } = configFor();
    const first = await started(config, 1);
    const promote = createPromoteHandler(ports, lifecycle(config));
    const finish = {
      action: "finish",
      outcome: "stopped",
      promotion: first.promotion,
      error: { Error: ErrorNames.AlarmFired, Cause: "5xx" },
    };
    await promote(finish);
    const after = await record(first.promotion.promotionId);

    // Act
    await promote(finish);

    // Assess
    expect((await record(first.promotion.promotionId))?.revision).toBe(after?.revision);
    expect(notices).toHaveLength(1);
    expect((await ports.promotions.getLock(service)).holder).toBeUndefined();
  });

  it("refuses to finish a promotion that is still waiting for the lock, changing nothing", async () => {
    // Prepare
    const { config, service } = configFor();
    await started(config, 1);
    const second = await started(config, 2);
    const before = await ports.promotions.getLock(service);

    // Act
    const finish = createPromoteHandler(
      ports,
      lifecycle(config),
    )({
      action: "finish",
      outcome: "promoted",
      promotion: second.promotion,
    });

    // Assess
    await expect(finish).rejects.toMatchObject({ name: ErrorNames.PromotionEventRefused });
    expect(await ports.promotions.getLock(service)).toEqual(before);
    expect(await record(second.promotion.promotionId)).toMatchObject({ status: "QUEUED", lock: "queued" });
  });

  it("without a lifecycle, finish records the end and releases the lock but starts nothing", async () => {
    // Prepare
    const { config, service } = configFor();
    const first = await started(config, 1);
    await started(config, 2);
    starts = [];

    // Act
    await createPromoteHandler(ports)({
      action: "finish",
      outcome: "stopped",
      promotion: first.promotion,
      error: { Error: ErrorNames.AlarmFired, Cause: "5xx" },
    });

    // Assess
    expect(starts).toEqual([]);
    expect((await ports.promotions.getLock(service)).holder).toBeUndefined();
    expect(await ports.decisions.list(first.promotion.promotionId)).toContainEqual(
      expect.objectContaining({
        action: "promotion",
        id: "promotion-stopped",
        reason: `stopped: ${ErrorNames.AlarmFired}: 5xx`,
      }),
    );
  });
});

describe("promote handler: an environment", () => {
  it("enter refuses an environment whose previous environment did not succeed, creating nothing", async () => {
    // Prepare
    const { config } = configFor();
    const { promotion, dev, production } = await started(config);
    const promote = createPromoteHandler(ports);
    await promote({ action: "enter", promotion, environment: dev });

    // Act
    const entered = promote({ action: "enter", promotion, environment: production });

    // Assess
    await expect(entered).rejects.toMatchObject({
      name: ErrorNames.PromotionBlocked,
      message: "production is not entered: dev is IN_PROGRESS, not SUCCEEDED",
    });
    expect(await ports.deployments.get(production.waves[0]?.deploymentId ?? "")).toBeUndefined();
    expect((await record(promotion.promotionId))?.environments[1]?.status).toBe("PENDING");
  });

  it("enter creates one deployment per region wave, idempotently, all part of the promotion", async () => {
    // Prepare
    const { config, service } = configFor();
    const running = await started(config);
    const { promotion, production } = running;
    const promote = createPromoteHandler(ports);
    await environmentSucceeds(promote, running, running.dev);

    // Act
    const first = await promote({ action: "enter", promotion, environment: production });
    const again = await promote({ action: "enter", promotion, environment: production });

    // Assess
    const ids = production.waves.map((wave) => wave.deploymentId);
    expect(first).toEqual({ deployments: ids });
    expect(again).toEqual(first);
    expect(new Set(ids).size).toBe(2);
    const records = await Promise.all(ids.map((id) => ports.deployments.get(id)));
    expect(
      records.map((deployment) => [
        deployment?.service,
        deployment?.environment,
        deployment?.region,
        deployment?.status,
      ]),
    ).toEqual([
      [service, "production", "us-west-2", "QUEUED"],
      [service, "production", "eu-west-1", "QUEUED"],
    ]);
    expect(records.every((deployment) => deployment?.promotionId === promotion.promotionId)).toBe(true);
    const entries = (await ports.decisions.list(promotion.promotionId)).filter(
      (decision) => decision.id === "enter-production",
    );
    expect(entries).toHaveLength(1);
    expect(await record(promotion.promotionId)).toMatchObject({
      current: "production",
      environments: [{ status: "SUCCEEDED" }, { status: "IN_PROGRESS", enteredAt: now.toISOString() }],
    });
  });

  it("check-freeze waits for the end of the freeze, across a window that touches the first", async () => {
    // Prepare
    const { config } = configFor({
      freezeWindows: [
        { name: "christmas", start: "2026-12-24T00:00:00Z", end: "2026-12-27T00:00:00Z" },
        { name: "boxing-week", start: "2026-12-27T00:00:00Z", end: "2027-01-02T00:00:00Z" },
      ],
    });
    const running = await started(config);
    const { promotion, production } = running;
    const promote = createPromoteHandler(ports);
    await environmentSucceeds(promote, running, running.dev);
    await promote({ action: "enter", promotion, environment: production });

    // Act
    const frozen = await promote({ action: "check-freeze", promotion, environment: production });
    now = new Date("2027-01-02T00:00:00Z");
    const thawed = await promote({ action: "check-freeze", promotion, environment: production });

    // Assess
    expect(frozen).toEqual({ frozen: true, window: "christmas", until: "2027-01-02T00:00:00.000Z" });
    expect(thawed).toEqual({ frozen: false });
    expect(await ports.decisions.list(promotion.promotionId)).toContainEqual(
      expect.objectContaining({
        action: "freeze",
        reason: "production is frozen by 'christmas' until 2027-01-02T00:00:00.000Z: waiting",
      }),
    );
  });

  it("check-freeze fails with FreezeWindowError when onFreeze is fail", async () => {
    // Prepare
    const { config } = configFor({
      onFreeze: "fail",
      freezeWindows: [{ name: "christmas", start: "2026-12-24T00:00:00Z", end: "2026-12-27T00:00:00Z" }],
    });
    const running = await started(config);
    const promote = createPromoteHandler(ports);
    await environmentSucceeds(promote, running, running.dev);
    await promote({ action: "enter", promotion: running.promotion, environment: running.production });

    // Act
    const check = promote({
      action: "check-freeze",
      promotion: running.promotion,
      environment: running.production,
    });

    // Assess
    await expect(check).rejects.toMatchObject({
      name: ErrorNames.FreezeWindow,
      message: "production is frozen by 'christmas' until 2026-12-27T00:00:00.000Z",
    });
  });

  it.each([
    { output: { passed: false, reason: "column exists" }, message: "failed: column exists" },
    {
      output: { status: "ok" },
      message: 'failed: answered {"status":"ok"}, not the hook contract (passed: must be true or false)',
    },
  ])(
    "hook-ran fails the environment with HookFailedError for $output and keeps the answer",
    async ({ output, message }) => {
      // Prepare
      const hook = { name: "migrate", function: "arn:aws:lambda:us-west-2:123456789012:function:migrate" };
      const { config } = configFor({ hooks: { preDeploy: [hook] } });
      const running = await started(config);
      const promote = createPromoteHandler(ports);
      await environmentSucceeds(promote, running, running.dev);
      await promote({ action: "enter", promotion: running.promotion, environment: running.production });
      const [parsedHook] = running.production.preDeploy;

      // Act
      const ran = promote({
        action: "hook-ran",
        promotion: running.promotion,
        environment: running.production,
        stage: "preDeploy",
        hook: parsedHook,
        output,
      });

      // Assess
      await expect(ran).rejects.toMatchObject({
        name: ErrorNames.HookFailed,
        message: `preDeploy hook migrate (${hook.function}) ${message}`,
      });
      expect((await record(running.promotion.promotionId))?.hooks).toMatchObject([
        { environment: "production", stage: "preDeploy", hook: "migrate", passed: false },
      ]);
    },
  );

  it("approved records who approved the promotion gate, from the gate's decision", async () => {
    // Prepare
    const { config } = configFor({ approval: { required: true, approvers: ["alice"] } });
    const running = await started(config);
    const promote = createPromoteHandler(ports);
    await environmentSucceeds(promote, running, running.dev);
    await promote({ action: "enter", promotion: running.promotion, environment: running.production });
    const deploymentId = running.production.waves[0]?.deploymentId ?? "";
    const gateId = gateIdOf(PromotionApprovalPosition);
    await ports.gates.open(
      {
        deploymentId,
        gateId,
        kind: "approval",
        approvers: ["alice"],
        openedAt: now.toISOString(),
        expiresAt: "2027-01-01T00:00:00.000Z",
        status: "open",
        label: "promotion to production",
      },
      "token",
    );
    await ports.gates.decide(deploymentId, gateId, {
      action: "approve",
      actor: "cli:alice",
      at: "2026-12-24T12:30:00.000Z",
    });

    // Act
    await promote({ action: "approved", promotion: running.promotion, environment: running.production });

    // Assess
    expect((await record(running.promotion.promotionId))?.environments[1]?.approval).toEqual({
      by: "cli:alice",
      at: "2026-12-24T12:30:00.000Z",
    });
  });

  it("environment-promoted refuses while a wave has not succeeded", async () => {
    // Prepare
    const { config } = configFor();
    const running = await started(config);
    const promote = createPromoteHandler(ports);
    await promote({ action: "enter", promotion: running.promotion, environment: running.dev });

    // Act
    const promoted = promote({
      action: "environment-promoted",
      promotion: running.promotion,
      environment: running.dev,
    });

    // Assess
    await expect(promoted).rejects.toMatchObject({
      name: ErrorNames.PromotionEventRefused,
      message: expect.stringMatching(/wave d-[0-9a-f]{20} of dev has not succeeded/),
    });
  });

  it("environment-failed fails the waves that never ran and undoes the reversible hooks that passed, newest first", async () => {
    // Prepare
    const hooks = ["schema", "seed"].map((name) => ({
      name,
      function: `arn:aws:lambda:us-west-2:123456789012:function:${name}`,
    }));
    const { config } = configFor({ hooks: { preDeploy: hooks } });
    const running = await started(config);
    const { promotion, production } = running;
    const promote = createPromoteHandler(ports);
    await environmentSucceeds(promote, running, running.dev);
    await promote({ action: "enter", promotion, environment: production });
    for (const hook of production.preDeploy)
      await promote({
        action: "hook-ran",
        promotion,
        environment: production,
        stage: "preDeploy",
        hook,
        output: { passed: true },
      });

    // Act
    const failure = await promote({
      action: "environment-failed",
      promotion,
      environment: production,
      error: { Error: ErrorNames.GateRejected, Cause: "rejected by slack:U1" },
    });

    // Assess
    expect(failure).toEqual({ frozen: false, undo: [...production.preDeploy].reverse() });
    for (const wave of production.waves) {
      expect(await ports.deployments.get(wave.deploymentId)).toMatchObject({
        status: "FAILED",
        statusReason: `not deployed: ${ErrorNames.GateRejected}: rejected by slack:U1`,
      });
    }
    expect((await record(promotion.promotionId))?.environments[1]).toMatchObject({
      status: "NOT_DEPLOYED",
      reason: `${ErrorNames.GateRejected}: rejected by slack:U1`,
    });
    expect(notices).toEqual([]);
  });

  it("environment-failed freezes instead of undoing when an irreversible hook ran, and tells humans", async () => {
    // Prepare
    const hooks = [
      { name: "schema", function: "arn:aws:lambda:us-west-2:123456789012:function:schema" },
      { name: "seed", function: "arn:aws:lambda:us-west-2:123456789012:function:seed" },
    ];
    const { config, service } = configFor({ hooks: { preDeploy: hooks } });
    const running = await started(config);
    const { promotion, production } = running;
    const promote = createPromoteHandler(ports, lifecycle(config));
    await environmentSucceeds(promote, running, running.dev);
    await promote({ action: "enter", promotion, environment: production });
    const [schema, seed] = production.preDeploy;
    const ran = (hook: unknown, output: unknown) =>
      promote({ action: "hook-ran", promotion, environment: production, stage: "preDeploy", hook, output });
    await ran(schema, { passed: true, irreversible: true });
    await ran(seed, { passed: true });

    // Act
    const failure = await promote({
      action: "environment-failed",
      promotion,
      environment: production,
      error: { Error: ErrorNames.AlarmFired, Cause: "5xx" },
    });
    await promote({
      action: "finish",
      outcome: "stopped",
      promotion,
      error: { Error: ErrorNames.AlarmFired, Cause: "5xx" },
    });

    // Assess
    expect(failure).toEqual({ frozen: true, undo: [] });
    expect(notices[0]).toBe(
      `promotion frozen: ${service} v1 in production: irreversible schema ran, then ${ErrorNames.AlarmFired}: 5xx. Fix forward with a new artifact.`,
    );
    expect(await ports.decisions.list(promotion.promotionId)).toContainEqual(
      expect.objectContaining({ action: "freeze", id: "frozen-production" }),
    );
    expect(await record(promotion.promotionId)).toMatchObject({
      status: "FROZEN",
      environments: [{ status: "SUCCEEDED" }, { status: "FROZEN" }],
    });
  });
});
