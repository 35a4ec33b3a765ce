import { readFileSync } from "node:fs";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { dynamoDbStores } from "../../functions/adapters/aws/dynamodb-stores.ts";
import { type GlidepathConfig, parseConfig } from "../../functions/domain/config/index.ts";
import { type Deployment, deploymentId } from "../../functions/domain/deployment.ts";
import { ErrorNames, TriggerEventInvalidError } from "../../functions/domain/errors.ts";
import type { PromotionStore } from "../../functions/domain/ports/promotion-store.ts";
import type { Stores } from "../../functions/domain/ports/stores.ts";
import {
  type PromotionRequest,
  promotionExecutionName,
  promotionRequest,
} from "../../functions/domain/promotion.ts";
import { onDeploymentEnded } from "../../functions/handlers/deployment-ended.ts";
import { createTriggerHandler, type TriggerPorts } from "../../functions/handlers/trigger.ts";
import { logger } from "../../functions/shared/logger.ts";
import { type LocalTable, startDynalite } from "../helpers/dynalite.ts";

const ecrPush = JSON.parse(
  readFileSync(new URL("../fixtures/events/ecr-image-push.json", import.meta.url), "utf8"),
) as Record<string, unknown> & { detail: Record<string, unknown> };

let table: LocalTable;
let stores: Stores;
let serviceCounter = 0;
let starts: PromotionRequest[];
let aborts: { deploymentId: string; actor: string; reason: string }[];
/** Execution names Step Functions has seen: a second StartExecution with one of them starts nothing. */
let executions: Set<string>;

beforeAll(async () => {
  table = await startDynalite();
  stores = dynamoDbStores({ client: table.client, tableName: table.tableName });
});

afterAll(async () => {
  await table.close();
});

beforeEach(() => {
  starts = [];
  aborts = [];
  executions = new Set();
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** A config with one service of its own, so that tests sharing the table never share a lock. */
function configFor(concurrency: "queue" | "supersede" = "queue"): {
  config: GlidepathConfig;
  service: string;
} {
  serviceCounter += 1;
  const service = `web-${serviceCounter}`;
  const environment = (name: string) => ({
    name,
    account: "123456789012",
    region: "us-west-2",
    strategy: "ECSAllAtOnce",
  });
  const config = parseConfig({
    services: [
      {
        name: service,
        artifact: { type: "ecr", repository: "my-repository-name", tagPattern: "^(latest|v\\d+)$" },
        target: { type: "local" },
        concurrency,
        environments: [environment("dev"), environment("production")],
      },
    ],
  });
  return { config, service };
}

/**
 * Step Functions as the trigger sees it: an execution per name, whose first state records the deployment
 * IN_PROGRESS with its ARN; a second start with the same name is ExecutionAlreadyExists, answered as success.
 */
function ports(config: GlidepathConfig, overrides: Partial<TriggerPorts> = {}): TriggerPorts {
  return {
    ...stores,
    config,
    clock: () => new Date(),
    start: async (request) => {
      starts.push(request);
      const name = promotionExecutionName(request);
      const executionArn = `arn:aws:states:us-west-2:123456789012:execution:glidepath-pipeline:${name}`;
      if (!executions.has(name)) {
        executions.add(name);
        await stores.deployments.transition(request.promotionId, "IN_PROGRESS", {
          executionArn,
          currentStep: "Started",
        });
      }
      return { executionArn };
    },
    abort: async (id, decision) => {
      aborts.push({ deploymentId: id, ...decision });
    },
    ...overrides,
  };
}

/** The ECR sample event, pushing image `n` (tag `v<n>`, its own digest) `n` seconds after the first. */
function push(n: number): Record<string, unknown> {
  return {
    ...ecrPush,
    id: `13cde686-328b-6117-af20-${String(n).padStart(12, "0")}`,
    time: new Date(Date.parse("2026-11-26T14:00:00Z") + n * 1000).toISOString().replace(".000", ""),
    detail: {
      ...ecrPush.detail,
      "image-tag": `v${n}`,
      "image-digest": `sha256:${String(n).padStart(64, "0")}`,
    },
  };
}

const idOf = (service: string, n: number) =>
  deploymentId({ service, environment: "dev", digest: `sha256:${String(n).padStart(64, "0")}`, attempt: 1 });

async function history(service: string): Promise<readonly Deployment[]> {
  return (await stores.deployments.history({ service, environment: "dev", limit: 100 })).items;
}

describe("trigger handler", () => {
  it("starts the promotion of the ECR sample push with the exact request", async () => {
    // Prepare
    const { config, service } = configFor();
    const handler = createTriggerHandler(ports(config));

    // Act
    const outcomes = await handler(ecrPush);

    // Assess
    const [deployment] = await history(service);
    expect(deployment).toMatchObject({
      status: "IN_PROGRESS",
      artifact: {
        uri: "123456789012.dkr.ecr.us-west-2.amazonaws.com/my-repository-name@sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234",
        digest: "sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234",
        version: "latest",
      },
      strategy: "all-at-once",
      executionArn: expect.stringMatching(/:execution:glidepath-pipeline:web-\d+-promote-latest-/),
    });
    if (deployment === undefined) throw new Error("no deployment recorded");
    const serviceConfig = config.services[0];
    if (serviceConfig === undefined) throw new Error("config without service");
    expect(starts).toEqual([promotionRequest({ service: serviceConfig, artifact: deployment.artifact })]);
    expect(starts[0]?.promotionId).toBe(deployment.id);
    expect(deployment.promotionId).toBe(deployment.id);
    expect(outcomes).toEqual([
      {
        outcome: "started",
        deploymentId: deployment.id,
        service,
        environment: "dev",
        version: "latest",
        executionArn: deployment.executionArn,
      },
    ]);
    expect(await stores.promotions.getLock(service, "dev")).toMatchObject({ holder: deployment.id });
  });

  it("creates and starts nothing new for a redelivered event", async () => {
    // Prepare
    const { config, service } = configFor();
    const handler = createTriggerHandler(ports(config));
    await handler(ecrPush);

    // Act
    const outcomes = await handler(ecrPush);

    // Assess
    expect(outcomes).toMatchObject([{ outcome: "duplicate", status: "IN_PROGRESS" }]);
    expect(starts).toHaveLength(1);
    expect(await history(service)).toHaveLength(1);
  });

  it("finishes the work of a delivery that stopped after creating the record", async () => {
    // Prepare
    const { config, service } = configFor();
    await stores.deployments.create({
      service,
      environment: "dev",
      artifact: { uri: "ignored", digest: `sha256:${"1".padStart(64, "0")}`, version: "v1" },
      strategy: "all-at-once",
    });

    // Act
    const outcomes = await createTriggerHandler(ports(config))(push(1));

    // Assess
    expect(outcomes).toMatchObject([{ outcome: "started", deploymentId: idOf(service, 1) }]);
    expect(starts.map((request) => request.promotionId)).toEqual([idOf(service, 1)]);
  });

  it("leaves one started, the newest queued and every other superseded after 20 concurrent pushes", async () => {
    // Prepare
    const { config, service } = configFor();
    const handler = createTriggerHandler(ports(config));
    const pushes = Array.from({ length: 20 }, (_, index) => push(index + 1));

    // Act
    const outcomes = (await Promise.all(pushes.map((event) => handler(event)))).flat();

    // Assess
    const records = await history(service);
    expect(records).toHaveLength(20);
    const byStatus = (status: string) => records.filter((record) => record.status === status);
    const running = byStatus("IN_PROGRESS");
    const waiting = byStatus("QUEUED");
    expect(running).toHaveLength(1);
    expect(waiting).toHaveLength(1);
    expect(byStatus("SUPERSEDED")).toHaveLength(18);
    expect(starts.map((request) => request.promotionId)).toEqual(running.map((record) => record.id));
    const newestNotRunning = Array.from({ length: 20 }, (_, index) => idOf(service, 20 - index)).find(
      (id) => id !== running[0]?.id,
    );
    expect(waiting[0]?.id).toBe(newestNotRunning);
    expect(await stores.promotions.getLock(service, "dev")).toMatchObject({
      holder: running[0]?.id,
      queued: waiting[0]?.id,
    });
    expect(outcomes).toHaveLength(20);
    expect(outcomes.filter((outcome) => outcome.outcome === "started")).toHaveLength(1);
    expect(outcomes.every((outcome) => ["started", "queued", "superseded"].includes(outcome.outcome))).toBe(
      true,
    );
    for (const superseded of byStatus("SUPERSEDED")) {
      expect(superseded.statusReason).toMatch(/superseded by v\d+|a newer artifact already waits/);
      expect(await stores.decisions.list(superseded.id)).toMatchObject([
        { action: "supersede", actor: "glidepath:supersede" },
      ]);
    }
  });

  it("ignores a push no service claims with one log line", async () => {
    // Prepare
    const { config, service } = configFor();
    const info = vi.spyOn(logger, "info");
    const other = { ...ecrPush, detail: { ...ecrPush.detail, "repository-name": "someone/else" } };
    const untagged = { ...ecrPush, detail: { ...ecrPush.detail, "image-tag": "nightly" } };

    // Act
    const outcomes = [
      ...(await createTriggerHandler(ports(config))(other)),
      ...(await createTriggerHandler(ports(config))(untagged)),
    ];

    // Assess
    expect(outcomes).toEqual([
      { outcome: "ignored", reason: "no service deploys ECR repository someone/else" },
      {
        outcome: "ignored",
        reason: expect.stringMatching(/tag nightly of my-repository-name matches no tagPattern/),
      },
    ]);
    expect(info.mock.calls.map(([message]) => message)).toEqual([
      "artifact event ignored",
      "artifact event ignored",
    ]);
    expect(await history(service)).toHaveLength(0);
    expect(starts).toHaveLength(0);
  });

  it("throws TriggerEventInvalidError naming the field of a malformed push", async () => {
    // Prepare
    const { config, service } = configFor();
    const event = { ...ecrPush, detail: { ...ecrPush.detail, "image-digest": undefined } };

    // Act
    const error = await createTriggerHandler(ports(config))(event).catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(TriggerEventInvalidError);
    expect(error).toMatchObject({
      name: ErrorNames.TriggerEventInvalid,
      message: expect.stringMatching(/detail\.image-digest/),
    });
    expect(await history(service)).toHaveLength(0);
  });

  it("calls abort with the holder under the supersede policy, and queues the newcomer", async () => {
    // Prepare
    const { config, service } = configFor("supersede");
    const handler = createTriggerHandler(ports(config));
    await handler(push(1));

    // Act
    const outcomes = await handler(push(2));

    // Assess
    expect(outcomes).toMatchObject([{ outcome: "queued", behind: idOf(service, 1) }]);
    expect(aborts).toEqual([
      {
        deploymentId: idOf(service, 1),
        actor: "glidepath:supersede",
        reason: `superseded by v2 (${idOf(service, 2)})`,
      },
    ]);
    expect(await stores.promotions.getLock(service, "dev")).toMatchObject({
      holder: idOf(service, 1),
      queued: idOf(service, 2),
    });
  });

  it("aborts the deployment the running promotion is at, not its first one, once it has moved on", async () => {
    // Prepare
    const { config, service } = configFor("supersede");
    const handler = createTriggerHandler(ports(config));
    await handler(push(1));
    const production = deploymentId({
      service,
      environment: "production",
      digest: `sha256:${"1".padStart(64, "0")}`,
      attempt: 1,
    });
    await stores.deployments.create({
      service,
      environment: "production",
      artifact: { uri: "repo@sha256:1", digest: `sha256:${"1".padStart(64, "0")}`, version: "v1" },
      strategy: "all-at-once",
      promotionId: idOf(service, 1),
    });
    await stores.deployments.transition(production, "IN_PROGRESS");
    await stores.decisions.append({
      deploymentId: idOf(service, 1),
      id: "enter-production",
      at: new Date().toISOString(),
      action: "promotion",
      actor: "pipeline",
      reason: "entered production (1 wave)",
      values: { environment: "production", deployments: [production] },
    });

    // Act
    await handler(push(2));

    // Assess
    expect(aborts.map((abort) => abort.deploymentId)).toEqual([production]);
  });

  it("refuses to be created for a supersede service without an abort port", () => {
    // Prepare
    const { config } = configFor("supersede");

    // Act
    const create = () => createTriggerHandler({ ...ports(config), abort: undefined });

    // Assess
    expect(create).toThrow(/concurrency "supersede", which needs an abort port/);
  });

  it("starts the newcomer itself when the holder ended between its acquire and its enqueue", async () => {
    // Prepare
    const { config, service } = configFor();
    await createTriggerHandler(ports(config))(push(1));
    const endsMeanwhile: PromotionStore = Object.assign(Object.create(stores.promotions) as PromotionStore, {
      acquireLock: async (request: Parameters<PromotionStore["acquireLock"]>[0]) => {
        const result = await stores.promotions.acquireLock(request);
        await stores.promotions.releaseLock({ service, environment: "dev", deploymentId: idOf(service, 1) });
        return result;
      },
    });

    // Act
    const outcomes = await createTriggerHandler(ports(config, { promotions: endsMeanwhile }))(push(2));

    // Assess
    expect(outcomes).toMatchObject([{ outcome: "started", deploymentId: idOf(service, 2) }]);
    expect(await stores.promotions.getLock(service, "dev")).toMatchObject({ holder: idOf(service, 2) });
    expect((await stores.promotions.getLock(service, "dev")).queued).toBeUndefined();
  });

  it("lets no newcomer take a lock released but not yet handed to the waiting deployment", async () => {
    // Prepare
    const { config, service } = configFor();
    const handler = createTriggerHandler(ports(config));
    await handler(push(1));
    await handler(push(2));
    await stores.promotions.releaseLock({ service, environment: "dev", deploymentId: idOf(service, 1) });

    // Act
    const outcomes = await handler(push(3));

    // Assess
    expect(outcomes).toMatchObject([{ outcome: "started", deploymentId: idOf(service, 3) }]);
    expect(await stores.deployments.get(idOf(service, 2))).toMatchObject({ status: "SUPERSEDED" });
    expect(starts.map((request) => request.artifact.version)).toEqual(["v1", "v3"]);
  });
});

describe("onDeploymentEnded", () => {
  it("releases the lock, records the live version and starts the queued deployment", async () => {
    // Prepare
    const { config, service } = configFor();
    const handler = createTriggerHandler(ports(config));
    await handler(push(1));
    await handler(push(2));
    await stores.deployments.transition(idOf(service, 1), "SUCCEEDED");

    // Act
    const result = await onDeploymentEnded(ports(config), {
      service,
      environment: "dev",
      deploymentId: idOf(service, 1),
      liveVersion: "v1",
    });

    // Assess
    expect(result).toEqual({ started: idOf(service, 2) });
    expect(starts.map((request) => request.promotionId)).toEqual([idOf(service, 1), idOf(service, 2)]);
    expect(await stores.deployments.get(idOf(service, 2))).toMatchObject({ status: "IN_PROGRESS" });
    const lock = await stores.promotions.getLock(service, "dev");
    expect(lock).toMatchObject({ holder: idOf(service, 2), liveVersion: "v1" });
    expect(lock.queued).toBeUndefined();
  });

  it("starts nothing new when redelivered", async () => {
    // Prepare
    const { config, service } = configFor();
    const handler = createTriggerHandler(ports(config));
    await handler(push(1));
    await handler(push(2));
    const ended = { service, environment: "dev", deploymentId: idOf(service, 1) };
    await onDeploymentEnded(ports(config), ended);

    // Act
    const result = await onDeploymentEnded(ports(config), ended);

    // Assess
    expect(result).toEqual({});
    expect(starts).toHaveLength(2);
  });

  it("starts the new holder when the first delivery handed the lock over but stopped before starting", async () => {
    // Prepare
    const { config, service } = configFor();
    const handler = createTriggerHandler(ports(config));
    await handler(push(1));
    await handler(push(2));
    await stores.promotions.releaseLock({ service, environment: "dev", deploymentId: idOf(service, 1) });
    await stores.promotions.takeQueued({ service, environment: "dev" });

    // Act
    const result = await onDeploymentEnded(ports(config), {
      service,
      environment: "dev",
      deploymentId: idOf(service, 1),
    });

    // Assess
    expect(result).toEqual({ started: idOf(service, 2) });
    expect(await stores.deployments.get(idOf(service, 2))).toMatchObject({ status: "IN_PROGRESS" });
  });

  it("leaves the lock free when nothing waits", async () => {
    // Prepare
    const { config, service } = configFor();
    await createTriggerHandler(ports(config))(push(1));

    // Act
    const result = await onDeploymentEnded(ports(config), {
      service,
      environment: "dev",
      deploymentId: idOf(service, 1),
    });

    // Assess
    expect(result).toEqual({});
    expect((await stores.promotions.getLock(service, "dev")).holder).toBeUndefined();
  });
});

describe("DynamoDbStateStore queue", () => {
  it("keeps the newer of two waiting deployments whatever order they arrive in", async () => {
    // Prepare
    const { service } = configFor();
    const lock = { service, environment: "dev" };
    await stores.promotions.acquireLock({ ...lock, deploymentId: "d-holder" });
    await stores.promotions.enqueue({ ...lock, deploymentId: "d-new", order: "2026-11-26T14:00:02.000Z#b" });

    // Act
    const late = await stores.promotions.enqueue({
      ...lock,
      deploymentId: "d-old",
      order: "2026-11-26T14:00:01.000Z#a",
    });
    const again = await stores.promotions.enqueue({
      ...lock,
      deploymentId: "d-new",
      order: "2026-11-26T14:00:02.000Z#b",
    });

    // Assess
    expect(late).toEqual({ superseded: "d-old", holder: "d-holder" });
    expect(again).toEqual({ holder: "d-holder" });
    expect(await stores.promotions.getLock(service, "dev")).toMatchObject({
      holder: "d-holder",
      queued: "d-new",
    });
  });

  it("hands the lock to the waiting deployment only once it is free", async () => {
    // Prepare
    const { service } = configFor();
    const lock = { service, environment: "dev" };
    await stores.promotions.acquireLock({ ...lock, deploymentId: "d-holder" });
    await stores.promotions.enqueue({ ...lock, deploymentId: "d-next", order: "1" });

    // Act
    const whileHeld = await stores.promotions.takeQueued(lock);
    await stores.promotions.releaseLock({ ...lock, deploymentId: "d-holder" });
    const newcomer = await stores.promotions.acquireLock({ ...lock, deploymentId: "d-newcomer" });
    const handed = await stores.promotions.takeQueued(lock);
    const twice = await stores.promotions.takeQueued(lock);

    // Assess
    expect(whileHeld).toBeUndefined();
    expect(newcomer).toEqual({ acquired: false, queued: "d-next" });
    expect(handed).toBe("d-next");
    expect(twice).toBeUndefined();
    const state = await stores.promotions.getLock(service, "dev");
    expect(state).toMatchObject({ holder: "d-next" });
    expect(state.queued).toBeUndefined();
  });
});
