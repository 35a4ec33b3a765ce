import { PutItemCommand } from "@aws-sdk/client-dynamodb";
import { beforeEach, describe, expect, it } from "vitest";
import { lockKey, promotionKey } from "../../functions/adapters/aws/dynamodb-keys.ts";
import { TableSchema } from "../../functions/adapters/aws/table-schema.ts";
import { parseConfig } from "../../functions/domain/config/index.ts";
import { ErrorNames, InvalidCursorError, LockNotHeldError } from "../../functions/domain/errors.ts";
import type { Stores } from "../../functions/domain/ports/stores.ts";
import { newPromotion } from "../../functions/domain/promotion/controller.ts";
import type { Promotion } from "../../functions/domain/promotion/record.ts";
import { promotionRequest } from "../../functions/domain/promotion/request.ts";
import { rawItem, useStoreTable } from "../helpers/dynalite.ts";

const start = new Date("2030-01-01T00:00:00.000Z");

let now: Date;
let stores: Stores;
const db = useStoreTable(() => now);
let serviceCounter = 0;

beforeEach(() => {
  now = start;
  stores = db.stores();
});

/** Every test works on its own service so that the shared table needs no cleaning. */
function freshService(): string {
  serviceCounter += 1;
  return `svc-${serviceCounter}`;
}

function advance(seconds: number): void {
  now = new Date(now.getTime() + seconds * 1000);
}

/** A new promotion of `service` for artifact `n`, created `n` seconds after the start. */
function promotionOf(service: string, n = 1): Promotion {
  const config = parseConfig({
    services: [
      {
        name: service,
        artifact: { type: "custom", source: "ci" },
        target: { type: "local" },
        environments: [
          { name: "dev", account: "123456789012", region: "eu-west-1", strategy: "ECSAllAtOnce" },
        ],
      },
    ],
  });
  const serviceConfig = config.services[0];
  if (serviceConfig === undefined) throw new Error("no service");
  const artifact = {
    uri: `local://${service}`,
    digest: `sha256:${String(n).padStart(64, "0")}`,
    version: `1.${n}.0`,
  };
  const at = new Date(start.getTime() + n * 1000).toISOString();
  return newPromotion({
    request: promotionRequest({ service: serviceConfig, artifact }),
    publishedAt: at,
    now: at,
  });
}

describe("DynamoDbPromotionStore records", () => {
  it("creates a promotion once: a second create returns the stored record with created=false", async () => {
    // Prepare
    const promotion = promotionOf(freshService());

    // Act
    const first = await stores.promotions.create(promotion);
    const again = await stores.promotions.create({ ...promotion, publishedAt: "2031-01-01T00:00:00.000Z" });

    // Assess
    expect(first).toEqual({ promotion, created: true });
    expect(again).toEqual({ promotion, created: false });
    expect(await stores.promotions.get(promotion.id)).toEqual(promotion);
  });

  it("saves only a promotion decided from the stored revision: of two writers the second loses", async () => {
    // Prepare
    const promotion = promotionOf(freshService());
    await stores.promotions.create(promotion);
    const running = { ...promotion, status: "RUNNING" as const, revision: 1 };
    const superseded = { ...promotion, status: "SUPERSEDED" as const, revision: 1 };

    // Act
    const first = await stores.promotions.save(running);
    const second = await stores.promotions.save(superseded);

    // Assess
    expect([first, second]).toEqual([true, false]);
    expect(await stores.promotions.get(promotion.id)).toMatchObject({ status: "RUNNING", revision: 1 });
  });

  it("gives a promotion its TTL when it is over, and not before", async () => {
    // Prepare
    const promotion = promotionOf(freshService());
    await stores.promotions.create(promotion);
    const ttl = TableSchema.timeToLiveAttribute;
    const whileQueued = (await rawItem(db.table(), promotionKey(promotion.id)))?.[ttl];

    // Act
    await stores.promotions.save({ ...promotion, status: "PROMOTED", revision: 1 });

    // Assess
    expect(whileQueued).toBeUndefined();
    const expected = Math.floor(Date.parse(promotion.updatedAt) / 1000) + 400 * 86_400;
    expect((await rawItem(db.table(), promotionKey(promotion.id)))?.[ttl]).toEqual({ N: String(expected) });
  });

  it("pages through a service's promotions newest first, and refuses another service's cursor", async () => {
    // Prepare
    const service = freshService();
    const other = freshService();
    for (const n of [1, 2, 3]) await stores.promotions.create(promotionOf(service, n));
    await stores.promotions.create(promotionOf(other, 1));

    // Act
    const first = await stores.promotions.history({ service, limit: 2 });
    const second = await stores.promotions.history({ service, limit: 2, cursor: first.nextCursor ?? "" });
    const foreign = stores.promotions.history({ service: other, limit: 2, cursor: first.nextCursor ?? "" });

    // Assess
    expect(first.items.map((promotion) => promotion.artifact.version)).toEqual(["1.3.0", "1.2.0"]);
    expect(second.items.map((promotion) => promotion.artifact.version)).toEqual(["1.1.0"]);
    expect(second.nextCursor).toBeUndefined();
    await expect(foreign).rejects.toBeInstanceOf(InvalidCursorError);
  });

  it("refuses to read back an item that is not a valid promotion, naming the bad fields", async () => {
    // Prepare
    const id = "p-00000000000000000bad";
    await db.table().rawClient.send(
      new PutItemCommand({
        TableName: db.table().tableName,
        Item: {
          ...Object.fromEntries(
            Object.entries(promotionKey(id)).map(([name, value]) => [name, { S: value }]),
          ),
          id: { S: id },
          status: { S: "HALF_DONE" },
        },
      }),
    );

    // Act
    const read = stores.promotions.get(id);

    // Assess
    await expect(read).rejects.toThrow(/promotion item is not a valid record: .*status/);
  });
});

describe("DynamoDbPromotionStore queue", () => {
  it("keeps the newer of two waiting promotions whatever order they arrive in", async () => {
    // Prepare
    const service = freshService();
    await stores.promotions.acquireLock({ service, promotionId: "p-holder" });
    await stores.promotions.enqueue({
      service,
      promotionId: "p-new",
      order: "2026-11-26T14:00:02.000Z#b",
      version: "1.0.2",
    });

    // Act
    const late = await stores.promotions.enqueue({
      service,
      promotionId: "p-old",
      order: "2026-11-26T14:00:01.000Z#a",
      version: "1.0.1",
    });
    const again = await stores.promotions.enqueue({
      service,
      promotionId: "p-new",
      order: "2026-11-26T14:00:02.000Z#b",
      version: "1.0.2",
    });

    // Assess
    expect(late).toEqual({ superseded: "p-old", holder: "p-holder" });
    expect(again).toEqual({ holder: "p-holder" });
    expect(await stores.promotions.getLock(service)).toMatchObject({ holder: "p-holder", queued: "p-new" });
  });

  it("hands the lock to the waiting promotion only once it is free, and to nobody else", async () => {
    // Prepare
    const service = freshService();
    await stores.promotions.acquireLock({ service, promotionId: "p-holder" });
    await stores.promotions.enqueue({ service, promotionId: "p-next", order: "1", version: "1.0.1" });

    // Act
    const whileHeld = await stores.promotions.takeQueued(service);
    await stores.promotions.releaseLock({ service, promotionId: "p-holder" });
    const newcomer = await stores.promotions.acquireLock({ service, promotionId: "p-newcomer" });
    const handed = await stores.promotions.takeQueued(service);
    const twice = await stores.promotions.takeQueued(service);

    // Assess
    expect(whileHeld).toBeUndefined();
    expect(newcomer).toEqual({ acquired: false, queued: "p-next" });
    expect(handed).toBe("p-next");
    expect(twice).toBeUndefined();
    expect(await stores.promotions.getLock(service)).toMatchObject({ holder: "p-next" });
  });
});

describe("DynamoDbPromotionStore publication order", () => {
  const older = "2026-11-26T14:00:01.000Z#a";
  const newer = "2026-11-26T14:00:04.000Z#b";

  it("refuses the lock to an artifact published before the newest that took it, after that one released it", async () => {
    // Prepare
    const service = freshService();
    await stores.promotions.acquireLock({ service, promotionId: "p-104", order: newer, version: "1.0.4" });
    await stores.promotions.releaseLock({ service, promotionId: "p-104" });

    // Act
    const late = await stores.promotions.acquireLock({
      service,
      promotionId: "p-101",
      order: older,
      version: "1.0.1",
    });

    // Assess
    expect(late).toEqual({ acquired: false, outdatedBy: { promotionId: "p-104", version: "1.0.4" } });
    const lock = await stores.promotions.getLock(service);
    expect(lock.holder).toBeUndefined();
    expect(lock.newest).toEqual({ promotionId: "p-104", version: "1.0.4" });
  });

  it("keeps an older artifact out of the queue behind a newer holder, and lets a newer one in", async () => {
    // Prepare
    const service = freshService();
    await stores.promotions.acquireLock({ service, promotionId: "p-104", order: newer, version: "1.0.4" });

    // Act
    const late = await stores.promotions.enqueue({
      service,
      promotionId: "p-101",
      order: older,
      version: "1.0.1",
    });
    const next = await stores.promotions.enqueue({
      service,
      promotionId: "p-105",
      order: "2026-11-26T14:00:05.000Z#c",
      version: "1.0.5",
    });

    // Assess
    expect(late).toEqual({ outdatedBy: { promotionId: "p-104", version: "1.0.4" }, holder: "p-104" });
    expect(next).toEqual({ holder: "p-104" });
    expect((await stores.promotions.getLock(service)).queued).toBe("p-105");
  });

  it("records the promotion handed the lock as the newest, so an artifact older than it is refused", async () => {
    // Prepare
    const service = freshService();
    await stores.promotions.acquireLock({ service, promotionId: "p-101", order: older, version: "1.0.1" });
    await stores.promotions.enqueue({ service, promotionId: "p-104", order: newer, version: "1.0.4" });
    await stores.promotions.releaseLock({ service, promotionId: "p-101" });
    await stores.promotions.takeQueued(service);
    await stores.promotions.releaseLock({ service, promotionId: "p-104" });

    // Act
    const late = await stores.promotions.acquireLock({
      service,
      promotionId: "p-102",
      order: "2026-11-26T14:00:02.000Z#d",
      version: "1.0.2",
    });

    // Assess
    expect(late).toEqual({ acquired: false, outdatedBy: { promotionId: "p-104", version: "1.0.4" } });
    expect(await rawItem(db.table(), lockKey(service))).not.toHaveProperty("queuedVersion");
  });

  it("lets the holder acquire again with its own order, and a release acquire without one", async () => {
    // Prepare
    const service = freshService();
    await stores.promotions.acquireLock({ service, promotionId: "p-104", order: newer, version: "1.0.4" });

    // Act
    const again = await stores.promotions.acquireLock({
      service,
      promotionId: "p-104",
      order: newer,
      version: "1.0.4",
    });
    await stores.promotions.releaseLock({ service, promotionId: "p-104" });
    const release = await stores.promotions.acquireLock({ service, promotionId: "r-0123456789abcdef0123" });

    // Assess
    expect(again).toEqual({ acquired: true });
    expect(release).toEqual({ acquired: true });
    expect((await stores.promotions.getLock(service)).newest).toEqual({
      promotionId: "p-104",
      version: "1.0.4",
    });
  });
});

describe("DynamoDbPromotionStore locks", () => {
  it("gives the lock to exactly one of 50 concurrent promotions", async () => {
    // Prepare
    const service = freshService();
    const bystander = freshService();
    await stores.promotions.acquireLock({
      service: bystander,
      promotionId: "d-bystander",
    });
    const contenders = Array.from({ length: 50 }, (_, index) => `d-contender-${index}`);

    // Act
    const results = await Promise.all(
      contenders.map((promotionId) => stores.promotions.acquireLock({ service, promotionId })),
    );

    // Assess
    const winners = contenders.filter((_, index) => results[index]?.acquired);
    expect(winners).toHaveLength(1);
    const winner = winners[0];
    for (const result of results) {
      if (!result.acquired) expect(result.holder).toBe(winner);
    }
    expect((await stores.promotions.getLock(service)).holder).toBe(winner);
    expect((await rawItem(db.table(), lockKey(service)))?.holder).toEqual({ S: winner });
    expect((await stores.promotions.getLock(bystander)).holder).toBe("d-bystander");
  });

  it("is re-entrant for the holder", async () => {
    // Prepare
    const service = freshService();
    await stores.promotions.acquireLock({ service, promotionId: "d-a" });
    const before = await stores.promotions.getLock(service);
    advance(10);

    // Act
    const retry = await stores.promotions.acquireLock({
      service,
      promotionId: "d-a",
    });

    // Assess
    expect(retry).toEqual({ acquired: true });
    expect(await stores.promotions.getLock(service)).toEqual(before);
  });

  it("refuses a release by a promotion that does not hold the lock, changing nothing", async () => {
    // Prepare
    const service = freshService();
    await stores.promotions.acquireLock({ service, promotionId: "d-a" });
    const before = await rawItem(db.table(), lockKey(service));

    // Act
    const attempt = stores.promotions.releaseLock({
      service,
      promotionId: "d-b",
      liveVersion: "9.9.9",
    });

    // Assess
    const error = await attempt.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LockNotHeldError);
    expect(error).toMatchObject({ name: ErrorNames.LockNotHeld, holder: "d-a", promotionId: "d-b" });
    expect(await rawItem(db.table(), lockKey(service))).toStrictEqual(before);
  });

  it("refuses a release of a lock that was never taken", async () => {
    // Prepare
    const service = freshService();

    // Act
    const attempt = stores.promotions.releaseLock({
      service,
      promotionId: "d-a",
    });

    // Assess
    await expect(attempt).rejects.toThrow(/nobody holds it/);
  });

  it("records the live version on release and hands the lock to the next promotion", async () => {
    // Prepare
    const service = freshService();
    await stores.promotions.acquireLock({ service, promotionId: "d-a" });

    // Act
    await stores.promotions.releaseLock({
      service,
      promotionId: "d-a",
      liveVersion: "1.4.0",
    });
    const next = await stores.promotions.acquireLock({
      service,
      promotionId: "d-b",
    });

    // Assess
    expect(next).toEqual({ acquired: true });
    expect(await stores.promotions.getLock(service)).toEqual({
      holder: "d-b",
      acquiredAt: start.toISOString(),
      liveVersion: "1.4.0",
    });
  });

  it("treats a second release by the same promotion as a no-op", async () => {
    // Prepare
    const service = freshService();
    await stores.promotions.acquireLock({ service, promotionId: "d-a" });
    await stores.promotions.releaseLock({
      service,
      promotionId: "d-a",
      liveVersion: "1.4.0",
    });
    const before = await rawItem(db.table(), lockKey(service));
    advance(10);

    // Act
    await stores.promotions.releaseLock({
      service,
      promotionId: "d-a",
      liveVersion: "1.4.0",
    });

    // Assess
    expect(await rawItem(db.table(), lockKey(service))).toStrictEqual(before);
    expect(await stores.promotions.getLock(service)).toEqual({ liveVersion: "1.4.0" });
  });
});
