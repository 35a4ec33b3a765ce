import { readFileSync } from "node:fs";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { dynamoDbStores } from "../../functions/adapters/aws/dynamodb-stores.ts";
import { type GlidepathConfig, parseConfig } from "../../functions/domain/config/index.ts";
import { ErrorNames, TriggerEventInvalidError } from "../../functions/domain/errors.ts";
import type { PromotionStore } from "../../functions/domain/ports/promotion-store.ts";
import type { Stores } from "../../functions/domain/ports/stores.ts";
import { newPromotion } from "../../functions/domain/promotion/controller.ts";
import { type Promotion, promotionId } from "../../functions/domain/promotion/record.ts";
import {
  type PromotionRequest,
  promotionExecutionName,
  promotionRequest,
} from "../../functions/domain/promotion/request.ts";
import { createPromoteHandler } from "../../functions/handlers/promote.ts";
import { createTriggerHandler, type TriggerPorts } from "../../functions/handlers/trigger.ts";
import { logger } from "../../functions/shared/logger.ts";
import { type LocalTable, startDynalite } from "../helpers/dynalite.ts";
import { account } from "../helpers/fake-aws.ts";

const ecrPush = JSON.parse(
  readFileSync(new URL("../fixtures/events/ecr-image-push.json", import.meta.url), "utf8"),
) as Record<string, unknown> & { detail: Record<string, unknown> };

let table: LocalTable;
let stores: Stores;
let serviceCounter = 0;
let starts: PromotionRequest[];
let aborts: { deploymentId: string; actor: string; reason: string }[];

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

/** Step Functions' StartExecution as the trigger sees it: the ARN of the execution named after the promotion. */
function ports(config: GlidepathConfig, overrides: Partial<TriggerPorts> = {}): TriggerPorts {
  return {
    ...stores,
    config,
    clock: () => new Date(),
    start: async (request) => {
      starts.push(request);
      return { executionArn: executionArnOf(request) };
    },
    abort: async (id, decision) => {
      aborts.push({ deploymentId: id, ...decision });
    },
    ...overrides,
  };
}

const executionArnOf = (request: PromotionRequest) =>
  `arn:aws:states:us-west-2:123456789012:execution:glidepath-pipeline:${promotionExecutionName(request)}`;

const digestOf = (n: number) => `sha256:${String(n).padStart(64, "0")}`;

/** The ECR sample event, pushing image `n` (tag `v<n>`, its own digest) `n` seconds after the first. */
function push(n: number): Record<string, unknown> {
  return {
    ...ecrPush,
    id: `13cde686-328b-6117-af20-${String(n).padStart(12, "0")}`,
    time: new Date(Date.parse("2026-11-26T14:00:00Z") + n * 1000).toISOString().replace(".000", ""),
    detail: { ...ecrPush.detail, "image-tag": `v${n}`, "image-digest": digestOf(n) },
  };
}

const idOf = (service: string, n: number) => promotionId({ service, digest: digestOf(n) });

async function record(id: string): Promise<Promotion> {
  const promotion = await stores.promotions.get(id);
  if (promotion === undefined) throw new Error(`no promotion ${id}`);
  return promotion;
}

async function history(service: string): Promise<readonly Promotion[]> {
  return (await stores.promotions.history({ service, limit: 100 })).items;
}

describe("trigger handler", () => {
  it("starts the promotion of the ECR sample push with the exact request and records it RUNNING", async () => {
    // Prepare
    const { config, service } = configFor();
    const serviceConfig = config.services[0];
    if (serviceConfig === undefined) throw new Error("config without service");

    // Act
    const outcomes = await createTriggerHandler(ports(config))(ecrPush);

    // Assess
    const artifact = {
      uri: "123456789012.dkr.ecr.us-west-2.amazonaws.com/my-repository-name@sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234",
      digest: "sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234",
      version: "latest",
    };
    const request = promotionRequest({ service: serviceConfig, artifact });
    expect(starts).toEqual([request]);
    expect(outcomes).toEqual([
      {
        outcome: "started",
        promotionId: request.promotionId,
        service,
        version: "latest",
        executionArn: executionArnOf(request),
      },
    ]);
    expect(await record(request.promotionId)).toMatchObject({
      status: "RUNNING",
      lock: "holder",
      artifact,
      executionArn: executionArnOf(request),
      publishedAt: "2019-11-16T01:54:34.000Z",
      environments: [
        {
          name: "dev",
          status: "PENDING",
          waves: [{ deploymentId: request.environments[0]?.waves[0]?.deploymentId }],
        },
        { name: "production", status: "PENDING" },
      ],
    });
    expect(await stores.promotions.getLock(service)).toMatchObject({ holder: request.promotionId });
  });

  it("creates and starts nothing new for a redelivered event", async () => {
    // Prepare
    const { config, service } = configFor();
    const handler = createTriggerHandler(ports(config));
    await handler(push(1));
    const before = await record(idOf(service, 1));

    // Act
    const outcomes = await handler(push(1));

    // Assess
    expect(outcomes).toMatchObject([{ outcome: "duplicate", status: "RUNNING" }]);
    expect(starts).toHaveLength(1);
    expect(await history(service)).toHaveLength(1);
    expect((await record(idOf(service, 1))).revision).toBe(before.revision);
  });

  it.each([
    ["after creating the record", "none" as const, false],
    ["after taking the lock", "holder" as const, true],
  ])("finishes the work of a delivery that stopped %s", async (_when, lock, locked) => {
    // Prepare
    const { config, service } = configFor();
    const serviceConfig = config.services[0];
    if (serviceConfig === undefined) throw new Error("config without service");
    const artifact = { uri: "repo@v1", digest: digestOf(1), version: "v1" };
    const at = "2026-11-26T14:00:01.000Z";
    const request = promotionRequest({ service: serviceConfig, artifact });
    await stores.promotions.create({
      ...newPromotion({ request, publishedAt: at, now: at }),
      lock,
    });
    if (locked) await stores.promotions.acquireLock({ service, promotionId: request.promotionId });

    // Act
    const outcomes = await createTriggerHandler(ports(config))(push(1));

    // Assess
    expect(outcomes).toMatchObject([{ outcome: "started", promotionId: idOf(service, 1) }]);
    expect(starts.map((started) => started.promotionId)).toEqual([idOf(service, 1)]);
    expect(await record(idOf(service, 1))).toMatchObject({ status: "RUNNING", lock: "holder" });
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
    const byStatus = (status: string) => records.filter((promotion) => promotion.status === status);
    const running = byStatus("RUNNING");
    const waiting = byStatus("QUEUED");
    expect(running).toHaveLength(1);
    expect(waiting).toHaveLength(1);
    expect(byStatus("SUPERSEDED")).toHaveLength(18);
    expect(starts.map((request) => request.promotionId)).toEqual(running.map((promotion) => promotion.id));
    const newestNotRunning = Array.from({ length: 20 }, (_, index) => idOf(service, 20 - index)).find(
      (id) => id !== running[0]?.id,
    );
    expect(waiting[0]).toMatchObject({ id: newestNotRunning, lock: "queued" });
    expect(await stores.promotions.getLock(service)).toMatchObject({
      holder: running[0]?.id,
      queued: waiting[0]?.id,
    });
    expect(outcomes.filter((outcome) => outcome.outcome === "started")).toHaveLength(1);
    expect(outcomes.every((outcome) => ["started", "queued", "superseded"].includes(outcome.outcome))).toBe(
      true,
    );
    for (const superseded of byStatus("SUPERSEDED")) {
      expect(superseded).toMatchObject({
        lock: "none",
        reason: expect.stringMatching(
          /superseded by v\d+|a newer artifact already waits|published before v\d+/,
        ),
      });
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

  it("throws TriggerEventInvalidError naming the field of a malformed push, and records nothing", async () => {
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

  it("under supersede, queues the newcomer and asks the running promotion to stop, before it enters anything", async () => {
    // Prepare
    const { config, service } = configFor("supersede");
    const handler = createTriggerHandler(ports(config));
    await handler(push(1));

    // Act
    const outcomes = await handler(push(2));

    // Assess
    expect(outcomes).toMatchObject([{ outcome: "queued", behind: idOf(service, 1) }]);
    expect(aborts).toEqual([]);
    expect(await record(idOf(service, 1))).toMatchObject({
      status: "RUNNING",
      abortRequested: { by: idOf(service, 2), reason: `superseded by v2 (${idOf(service, 2)})` },
    });
    expect(await stores.promotions.getLock(service)).toMatchObject({
      holder: idOf(service, 1),
      queued: idOf(service, 2),
    });
  });

  it("under supersede, aborts the live deployment of the environment the running promotion is in", async () => {
    // Prepare
    const { config, service } = configFor("supersede");
    const handler = createTriggerHandler(ports(config));
    await handler(push(1));
    const request = starts[0];
    const dev = request?.environments[0];
    if (request === undefined || dev === undefined) throw new Error("not started");
    const promote = createPromoteHandler({ ...stores, account, clock: () => new Date() } as never, {
      config,
      start: ports(config).start,
    });
    const promotion = { promotionId: request.promotionId, service, artifact: request.artifact };
    await promote({ action: "enter", promotion, environment: dev });
    const wave = dev.waves[0]?.deploymentId ?? "";
    await stores.deployments.transition(wave, "IN_PROGRESS");

    // Act
    await handler(push(2));

    // Assess
    expect(aborts).toEqual([
      { deploymentId: wave, actor: "glidepath:supersede", reason: `superseded by v2 (${idOf(service, 2)})` },
    ]);
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
        await stores.promotions.releaseLock({ service, promotionId: idOf(service, 1) });
        return result;
      },
    });

    // Act
    const outcomes = await createTriggerHandler(ports(config, { promotions: endsMeanwhile }))(push(2));

    // Assess
    expect(outcomes).toMatchObject([{ outcome: "started", promotionId: idOf(service, 2) }]);
    expect(await stores.promotions.getLock(service)).toMatchObject({ holder: idOf(service, 2) });
    expect((await stores.promotions.getLock(service)).queued).toBeUndefined();
  });

  it("lets no newcomer take a lock released but not yet handed to the waiting promotion", async () => {
    // Prepare
    const { config, service } = configFor();
    const handler = createTriggerHandler(ports(config));
    await handler(push(1));
    await handler(push(2));
    await stores.promotions.releaseLock({ service, promotionId: idOf(service, 1) });

    // Act
    const outcomes = await handler(push(3));

    // Assess
    expect(outcomes).toMatchObject([{ outcome: "started", promotionId: idOf(service, 3) }]);
    expect(await record(idOf(service, 2))).toMatchObject({ status: "SUPERSEDED" });
    expect(starts.map((request) => request.artifact.version)).toEqual(["v1", "v3"]);
  });

  it.each([
    ["after the newer one ended", true],
    ["while the newer one runs", false],
  ])(
    "supersedes an artifact published before the newest that took the lock, arriving late %s, and starts nothing",
    async (_when, ended) => {
      // Prepare
      const { config, service } = configFor();
      const handler = createTriggerHandler(ports(config));
      await handler(push(4));
      if (ended)
        await stores.promotions.releaseLock({ service, promotionId: idOf(service, 4), liveVersion: "v4" });

      // Act
      const outcomes = await handler(push(1));
      const redelivered = await handler(push(1));

      // Assess
      expect(outcomes).toEqual([
        { outcome: "superseded", promotionId: idOf(service, 1), service, version: "v1" },
      ]);
      expect(redelivered).toMatchObject([{ outcome: "duplicate", status: "SUPERSEDED" }]);
      expect(starts.map((request) => request.artifact.version)).toEqual(["v4"]);
      expect(await record(idOf(service, 1))).toMatchObject({
        status: "SUPERSEDED",
        lock: "none",
        reason: `published before v4 (${idOf(service, 4)}), which took the lock first: an older artifact is not promoted after a newer one`,
      });
      expect(await stores.decisions.list(idOf(service, 1))).toMatchObject([
        {
          id: `outdated-by-${idOf(service, 4)}`,
          action: "supersede",
          actor: "glidepath:supersede",
          values: { newer: idOf(service, 4), newerVersion: "v4", version: "v1" },
        },
      ]);
      const lock = await stores.promotions.getLock(service);
      expect(lock.queued).toBeUndefined();
      expect(lock.holder).toBe(ended ? undefined : idOf(service, 4));
    },
  );

  it("stops a waiting promotion whose service left the config, and hands the lock on", async () => {
    // Prepare
    const { config, service } = configFor();
    const handler = createTriggerHandler(ports(config));
    await handler(push(1));
    await handler(push(2));
    const promote = createPromoteHandler({ ...stores, account, clock: () => new Date() } as never, {
      config: { ...config, services: [] },
      start: ports(config).start,
    });
    const first = starts[0];
    if (first === undefined) throw new Error("not started");
    await promote({ action: "start", request: first, executionArn: executionArnOf(first) });
    await stores.promotions.save({
      ...(await record(first.promotionId)),
      environments: (await record(first.promotionId)).environments.map((environment) => ({
        ...environment,
        status: "SUCCEEDED" as const,
      })),
      revision: (await record(first.promotionId)).revision + 1,
    });

    // Act
    await promote({
      action: "finish",
      outcome: "promoted",
      promotion: { promotionId: first.promotionId, service, artifact: first.artifact },
    });

    // Assess
    expect(await record(idOf(service, 2))).toMatchObject({
      status: "STOPPED",
      lock: "none",
      reason: `${service} is no longer in the config`,
    });
    expect(await stores.promotions.getLock(service)).toMatchObject({ liveVersion: "v1" });
    expect((await stores.promotions.getLock(service)).holder).toBeUndefined();
  });
});

describe("trigger handler: deployments asked for by a human (DeployRequested, glidepath deploy)", () => {
  const deployRequested = (service: string, n: number, detail: Record<string, unknown> = {}) => ({
    version: "0",
    id: `deploy-${n}`,
    "detail-type": "DeployRequested",
    source: "glidepath.cli",
    account: "123456789012",
    region: "us-west-2",
    time: "2026-12-01T10:00:00Z",
    resources: [],
    detail: {
      service,
      uri: `123456789012.dkr.ecr.us-west-2.amazonaws.com/my-repository-name@${digestOf(n)}`,
      digest: digestOf(n),
      version: `1.${n}.0`,
      requestedBy: "cli:arn:aws:sts::123456789012:assumed-role/Deployer/alice",
      ...detail,
    },
  });

  it("starts one promotion of an ECR service for the same digest asked twice, and records who asked", async () => {
    // Prepare
    const { config, service } = configFor();
    const handler = createTriggerHandler(ports(config));

    // Act
    const first = await handler(deployRequested(service, 7001));
    const second = await handler(deployRequested(service, 7001));

    // Assess
    expect(first).toMatchObject([{ outcome: "started", promotionId: idOf(service, 7001) }]);
    expect(second).toMatchObject([{ outcome: "duplicate", promotionId: idOf(service, 7001) }]);
    expect(starts).toHaveLength(1);
    expect(await record(idOf(service, 7001))).toMatchObject({
      status: "RUNNING",
      requestedBy: "cli:arn:aws:sts::123456789012:assumed-role/Deployer/alice",
    });
  });

  it("with an environment, the promotion starts there and leaves the ones before it out", async () => {
    // Prepare
    const { config, service } = configFor();

    // Act
    await createTriggerHandler(ports(config))(deployRequested(service, 7002, { environment: "production" }));

    // Assess
    expect(starts.map((request) => request.environments.map((environment) => environment.name))).toEqual([
      ["production"],
    ]);
    const promotion = await record(idOf(service, 7002));
    expect(promotion.environments.map((environment) => environment.name)).toEqual(["production"]);
  });

  it("throws TriggerEventInvalidError for an unknown service or environment, naming what the config has", async () => {
    // Prepare
    const { config, service } = configFor();
    const handler = createTriggerHandler(ports(config));

    // Act
    const unknownService = handler(deployRequested("nobody", 7003));
    const unknownEnvironment = handler(deployRequested(service, 7004, { environment: "qa" }));

    // Assess
    await expect(unknownService).rejects.toThrow(TriggerEventInvalidError);
    await expect(unknownService).rejects.toThrow(
      `service: no service 'nobody' in the config (has: ${service})`,
    );
    await expect(unknownEnvironment).rejects.toThrow(
      `environment: service '${service}' has no environment 'qa' (has: dev, production)`,
    );
    expect(starts).toEqual([]);
  });
});
