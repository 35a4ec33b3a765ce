import { readFileSync } from "node:fs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { awsPorts } from "../../functions/adapters/aws/ports.ts";
import { LineNotifier } from "../../functions/adapters/log-notifier.ts";
import { type GlidepathConfig, parseConfig } from "../../functions/domain/config/index.ts";
import type { Ports } from "../../functions/domain/ports/index.ts";
import {
  type PromotionRequest,
  promotionExecutionName,
  promotionRequest,
} from "../../functions/domain/promotion.ts";
import { createPromoteHandler, type PromotionLifecycle } from "../../functions/handlers/promote.ts";
import { createRecordHandler } from "../../functions/handlers/record.ts";
import { createTriggerHandler } from "../../functions/handlers/trigger.ts";
import { type LocalTable, startDynalite } from "../helpers/dynalite.ts";

const ecrPush = JSON.parse(
  readFileSync(new URL("../fixtures/events/ecr-image-push.json", import.meta.url), "utf8"),
) as Record<string, unknown> & { detail: Record<string, unknown> };

const executionArn = "arn:aws:states:us-west-2:123456789012:execution:Glidepath-pipeline:x";
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

/** Step Functions as the trigger sees it: the pipeline's execution takes the promotion's first deployment. */
function lifecycle(config: GlidepathConfig): PromotionLifecycle {
  return {
    config,
    start: async (request) => {
      starts.push(request);
      const arn = `arn:aws:states:us-west-2:123456789012:execution:Glidepath-pipeline:${promotionExecutionName(request)}`;
      await ports.deployments.transition(request.promotionId, "IN_PROGRESS", {
        executionArn: arn,
        currentStep: "Started",
      });
      return { executionArn: arn };
    },
  };
}

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

/** Two pushes through the trigger: the first holds the lock and runs, the second waits for it. */
async function runningAndWaiting(config: GlidepathConfig): Promise<{ running: string; waiting: string }> {
  const trigger = createTriggerHandler({ ...lifecycle(config), ...ports, clock: () => new Date() });
  const [first] = await trigger(push(1));
  const [second] = await trigger(push(2));
  if (first?.outcome !== "started" || second?.outcome !== "queued")
    throw new Error("unexpected trigger outcome");
  starts = [];
  return { running: first.deploymentId, waiting: second.deploymentId };
}

function promotionOf(config: GlidepathConfig, n = 1) {
  const service = config.services[0];
  if (service === undefined) throw new Error("no service");
  const digest = `sha256:${String(n).padStart(64, "0")}`;
  const request = promotionRequest({
    service,
    artifact: { uri: `my-repository-name@${digest}`, digest, version: `v${n}` },
  });
  const { environments, ...promotion } = request;
  const [dev, production] = environments;
  if (dev === undefined || production === undefined) throw new Error("two environments expected");
  return { request, promotion, dev, production };
}

describe("promote handler: the end of a promotion", () => {
  it("leaves the lock to the promotion: the record step keeps it, finish releases it and starts the waiting one", async () => {
    // Prepare
    const { config, service } = configFor();
    const { running, waiting } = await runningAndWaiting(config);
    const { promotion } = promotionOf(config, 1);

    // Act
    await createRecordHandler(ports)({ action: "succeeded", deploymentId: running, alarms: [] });
    const heldAfterDev = (await ports.promotions.getLock(service, "dev")).holder;
    const result = await createPromoteHandler(
      ports,
      lifecycle(config),
    )({
      action: "finish",
      outcome: "promoted",
      promotion,
      executionArn,
    });

    // Assess
    expect(heldAfterDev).toBe(running);
    expect(result).toEqual({ outcome: "promoted", started: waiting });
    expect(starts.map((request) => request.promotionId)).toEqual([waiting]);
    expect(await ports.promotions.getLock(service, "dev")).toMatchObject({
      holder: waiting,
      liveVersion: "v1",
    });
    expect(notices).toEqual([`promotion promoted: ${service} v1: every environment succeeded, up to dev`]);
  });

  it("hands the lock over when the promotion stopped, keeping the live version and saying why", async () => {
    // Prepare
    const { config, service } = configFor();
    const { running, waiting } = await runningAndWaiting(config);
    const { promotion } = promotionOf(config, 1);
    const record = createRecordHandler(ports);
    await record({ action: "rolling-back", deploymentId: running, error: { Error: "AlarmFiredError" } });
    await record({
      action: "rolled-back",
      deploymentId: running,
      error: { Error: "AlarmFiredError", Cause: "5xx" },
      alarms: [],
    });
    const heldAfterRollback = (await ports.promotions.getLock(service, "dev")).holder;

    // Act
    await createPromoteHandler(
      ports,
      lifecycle(config),
    )({
      action: "finish",
      outcome: "stopped",
      promotion,
      error: {
        Error: "States.TaskFailed",
        Cause: JSON.stringify({ Status: "FAILED", Error: "AlarmFiredError", Cause: "5xx" }),
      },
      executionArn,
    });

    // Assess
    expect(heldAfterRollback).toBe(running);
    expect(starts.map((request) => request.promotionId)).toEqual([waiting]);
    const lock = await ports.promotions.getLock(service, "dev");
    expect(lock.holder).toBe(waiting);
    expect(lock.liveVersion).toBeUndefined();
    expect(notices).toEqual([`promotion stopped: ${service} v1 in dev: AlarmFiredError: 5xx`]);
  });

  it("releases the lock and starts the waiting promotion even when the message cannot be sent", async () => {
    // Prepare
    const { config, service } = configFor();
    const { waiting } = await runningAndWaiting(config);
    const { promotion } = promotionOf(config, 1);
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
    const result = await createPromoteHandler(
      slackDown,
      lifecycle(config),
    )({
      action: "finish",
      outcome: "promoted",
      promotion,
      executionArn,
    });

    // Assess
    expect(result).toEqual({ outcome: "promoted", started: waiting });
    expect((await ports.promotions.getLock(service, "dev")).holder).toBe(waiting);
  });

  it("changes no lock when the promotion never held it", async () => {
    // Prepare
    const { config, service } = configFor();
    const { running, waiting } = await runningAndWaiting(config);
    const { promotion } = promotionOf(config, 9);

    // Act
    await createPromoteHandler(
      ports,
      lifecycle(config),
    )({
      action: "finish",
      outcome: "promoted",
      promotion,
      executionArn,
    });

    // Assess
    expect(starts).toEqual([]);
    expect(await ports.promotions.getLock(service, "dev")).toMatchObject({
      holder: running,
      queued: waiting,
    });
  });

  it("only records and notifies without a lifecycle", async () => {
    // Prepare
    const { config, service } = configFor();
    const { running, waiting } = await runningAndWaiting(config);
    const { promotion } = promotionOf(config, 1);

    // Act
    await createPromoteHandler(ports)({ action: "finish", outcome: "promoted", promotion, executionArn });

    // Assess
    expect(starts).toEqual([]);
    expect(await ports.promotions.getLock(service, "dev")).toMatchObject({
      holder: running,
      queued: waiting,
    });
    expect(await ports.decisions.list(running)).toContainEqual(
      expect.objectContaining({
        action: "promotion",
        reason: "promotion promoted: every environment succeeded, up to dev",
      }),
    );
  });
});

/** Enters dev and lets its deployment succeed, as the strategy's execution would. */
async function devSucceeded({ promotion, dev }: ReturnType<typeof promotionOf>): Promise<void> {
  await createPromoteHandler(ports)({ action: "enter", promotion, environment: dev });
  await ports.deployments.transition(promotion.promotionId, "IN_PROGRESS");
  await ports.deployments.transition(promotion.promotionId, "SUCCEEDED");
}

describe("promote handler: an environment", () => {
  it("enter refuses an environment whose previous environment did not succeed", async () => {
    // Prepare
    const { config } = configFor();
    const { promotion, dev, production } = promotionOf(config);
    const promote = createPromoteHandler(ports);
    await promote({ action: "enter", promotion, environment: dev });

    // Act
    const entered = promote({ action: "enter", promotion, environment: production });

    // Assess
    await expect(entered).rejects.toMatchObject({
      name: "PromotionBlockedError",
      message: `production is not entered: dev deployment ${dev.waves[0]?.deploymentId} is QUEUED, not SUCCEEDED`,
    });
    expect(await ports.deployments.get(production.waves[0]?.deploymentId ?? "")).toBeUndefined();
  });

  it("enter creates one deployment per region wave, idempotently, all part of the promotion", async () => {
    // Prepare
    const { config, service } = configFor();
    const promoted = promotionOf(config);
    const { promotion, production } = promoted;
    await devSucceeded(promoted);
    const promote = createPromoteHandler(ports);

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
      records.map((record) => [record?.service, record?.environment, record?.region, record?.status]),
    ).toEqual([
      [service, "production", "us-west-2", "QUEUED"],
      [service, "production", "eu-west-1", "QUEUED"],
    ]);
    expect(records.every((record) => record?.promotionId === promotion.promotionId)).toBe(true);
  });

  it("check-freeze waits for the end of the freeze, across a window that touches the first", async () => {
    // Prepare
    const { config } = configFor({
      freezeWindows: [
        { name: "christmas", start: "2026-12-24T00:00:00Z", end: "2026-12-27T00:00:00Z" },
        { name: "boxing-week", start: "2026-12-27T00:00:00Z", end: "2027-01-02T00:00:00Z" },
      ],
    });
    const promoted = promotionOf(config);
    const { promotion, production } = promoted;
    await devSucceeded(promoted);
    const promote = createPromoteHandler(ports);
    await promote({ action: "enter", promotion, environment: production });

    // Act
    const frozen = await promote({ action: "check-freeze", environment: production });
    now = new Date("2027-01-02T00:00:00Z");
    const thawed = await promote({ action: "check-freeze", environment: production });

    // Assess
    expect(frozen).toEqual({ frozen: true, window: "christmas", until: "2027-01-02T00:00:00.000Z" });
    expect(thawed).toEqual({ frozen: false });
    expect(await ports.decisions.list(production.waves[0]?.deploymentId ?? "")).toContainEqual(
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
    const { production } = promotionOf(config);

    // Act
    const check = createPromoteHandler(ports)({ action: "check-freeze", environment: production });

    // Assess
    await expect(check).rejects.toMatchObject({
      name: "FreezeWindowError",
      message: "production is frozen by 'christmas' until 2026-12-27T00:00:00.000Z",
    });
  });

  it.each([
    { output: { passed: false, reason: "column exists" }, message: "failed: column exists" },
    {
      output: { status: "ok" },
      message: 'failed: answered {"status":"ok"}, not the hook contract (passed: must be true or false)',
    },
  ])("hook-ran fails the environment with HookFailedError for $output", async ({ output, message }) => {
    // Prepare
    const hook = { name: "migrate", function: "arn:aws:lambda:us-west-2:123456789012:function:migrate" };
    const { config } = configFor({ hooks: { preDeploy: [hook] } });
    const { production } = promotionOf(config);
    const [parsedHook] = production.preDeploy;

    // Act
    const ran = createPromoteHandler(ports)({
      action: "hook-ran",
      environment: production,
      stage: "preDeploy",
      hook: parsedHook,
      output,
    });

    // Assess
    await expect(ran).rejects.toMatchObject({
      name: "HookFailedError",
      message: `preDeploy hook migrate (${hook.function}) ${message}`,
    });
  });

  it("environment-failed fails the waves that never ran and undoes the reversible hooks that passed, newest first", async () => {
    // Prepare
    const hooks = ["schema", "seed"].map((name) => ({
      name,
      function: `arn:aws:lambda:us-west-2:123456789012:function:${name}`,
    }));
    const { config } = configFor({ hooks: { preDeploy: hooks } });
    const promoted = promotionOf(config);
    const { promotion, production } = promoted;
    await devSucceeded(promoted);
    const promote = createPromoteHandler(ports);
    await promote({ action: "enter", promotion, environment: production });
    for (const hook of production.preDeploy)
      await promote({
        action: "hook-ran",
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
      error: { Error: "GateRejectedError", Cause: "rejected by slack:U1" },
      executionArn,
    });

    // Assess
    expect(failure).toEqual({ frozen: false, undo: [...production.preDeploy].reverse() });
    for (const wave of production.waves) {
      expect(await ports.deployments.get(wave.deploymentId)).toMatchObject({
        status: "FAILED",
        statusReason: "not deployed: GateRejectedError: rejected by slack:U1",
      });
    }
    expect(notices).toEqual([]);
  });

  it("environment-failed freezes instead of undoing when an irreversible hook ran, and tells humans", async () => {
    // Prepare
    const hooks = [
      { name: "schema", function: "arn:aws:lambda:us-west-2:123456789012:function:schema" },
      { name: "seed", function: "arn:aws:lambda:us-west-2:123456789012:function:seed" },
    ];
    const { config, service } = configFor({ hooks: { preDeploy: hooks } });
    const promoted = promotionOf(config);
    const { promotion, production } = promoted;
    await devSucceeded(promoted);
    const promote = createPromoteHandler(ports);
    const [schema, seed] = production.preDeploy;
    await promote({
      action: "hook-ran",
      environment: production,
      stage: "preDeploy",
      hook: schema,
      output: { passed: true, irreversible: true },
    });
    await promote({
      action: "hook-ran",
      environment: production,
      stage: "preDeploy",
      hook: seed,
      output: { passed: true },
    });

    // Act
    const failure = await promote({
      action: "environment-failed",
      promotion,
      environment: production,
      error: { Error: "AlarmFiredError", Cause: "5xx" },
      executionArn,
    });

    // Assess
    expect(failure).toEqual({ frozen: true, undo: [] });
    expect(notices).toEqual([
      `promotion frozen: ${service} v1 in production: irreversible schema ran, then AlarmFiredError: 5xx. Fix forward with a new artifact.`,
    ]);
    expect(await ports.decisions.list(production.waves[0]?.deploymentId ?? "")).toContainEqual(
      expect.objectContaining({ action: "freeze", id: "frozen" }),
    );
  });
});
