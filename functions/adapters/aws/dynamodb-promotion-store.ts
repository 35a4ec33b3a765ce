/**
 * The service's lock on the state table: pk `LOCK#<service>#<env>`, sk `LOCK`, with `holder` (absent when
 * free), `acquiredAt`, `liveVersion` (the version serving the environment), `releasedBy` (the last releaser, so
 * a redelivered release is a no-op), `queued` and `queuedOrder` (the one waiting promotion, and the order that
 * lets only a newer artifact replace it), `updatedAt`. Locks never expire.
 *
 * Races the lock's single conditional writes close, each on the one lock item, so DynamoDB serialises them:
 * - two acquires: one wins, the other learns the holder;
 * - many enqueues at once: each replaces the waiting one only if it is newer, and learns whom it replaced (or
 *   that it lost), so every loser is reported exactly once;
 * - an enqueue against a release: the enqueue reports the lock free, and its caller takes the queue;
 * - a release followed by the hand-over: a lock with a waiting one refuses newcomers even without a holder,
 *   and `takeQueued` moves `queued` to `holder` in the same write, so nothing jumps the queue;
 * - an enqueue against a hand-over: either the waiting one was handed the lock before (and is not superseded)
 *   or it was replaced before (and can no longer be handed the lock).
 */
import { LockNotHeldError } from "../../domain/errors.ts";
import type {
  AcquireLockResult,
  EnqueueRequest,
  EnqueueResult,
  LockRelease,
  LockRequest,
  LockState,
  PromotionStore,
} from "../../domain/ports/promotion-store.ts";
import { ItemType, lockKey } from "./dynamodb-keys.ts";
import { compact, type DynamoTable, maxConditionalAttempts, stringOrUndefined } from "./dynamodb-table.ts";
import { UpdateBuilder } from "./update-builder.ts";

export class DynamoDbPromotionStore implements PromotionStore {
  private readonly table: DynamoTable;

  constructor(table: DynamoTable) {
    this.table = table;
  }

  async acquireLock(request: LockRequest): Promise<AcquireLockResult> {
    const key = lockKey(request.service, request.environment);
    for (let attempt = 1; attempt <= maxConditionalAttempts; attempt++) {
      const now = this.table.clock().toISOString();
      const update = new UpdateBuilder()
        .set("itemType", ItemType.Lock)
        .set("service", request.service)
        .set("environment", request.environment)
        .set("holder", request.deploymentId)
        .setIfNotExists("acquiredAt", now)
        .set("updatedAt", now);
      // Re-entrant, so that a retried acquire by the holder succeeds. A waiting deployment owns a free lock.
      const holderIsFreeOrMe = `(attribute_not_exists(#holder) AND attribute_not_exists(${update.name("queued")})) OR #holder = ${update.value("holder")}`;
      const acquired = await this.table.updateIf(key, {
        ...update.build(),
        ConditionExpression: holderIsFreeOrMe,
      });
      if (acquired !== undefined) return { acquired: true };
      const item = await this.table.getItem(key);
      const holder = stringOrUndefined(item?.holder);
      const queued = stringOrUndefined(item?.queued);
      if (holder !== undefined && holder !== request.deploymentId) {
        return compact({ acquired: false as const, holder, queued });
      }
      if (holder === undefined && queued !== undefined) return { acquired: false, queued };
    }
    throw new Error(
      `The lock of ${request.service}/${request.environment} kept changing hands while ${request.deploymentId} tried to acquire it; retry.`,
    );
  }

  async releaseLock(release: LockRelease): Promise<void> {
    const key = lockKey(release.service, release.environment);
    const update = new UpdateBuilder()
      .set("releasedBy", release.deploymentId)
      .set("updatedAt", this.table.clock().toISOString())
      .remove("holder")
      .remove("acquiredAt");
    if (release.liveVersion !== undefined) update.set("liveVersion", release.liveVersion);
    const holderIsMe = `#holder = ${update.value("releasedBy")}`;
    const released = await this.table.updateIf(key, { ...update.build(), ConditionExpression: holderIsMe });
    if (released !== undefined) return;
    const item = await this.table.getItem(key);
    // A redelivered release of a lock this deployment already gave up.
    if (item?.releasedBy === release.deploymentId) return;
    throw new LockNotHeldError(
      release.service,
      release.environment,
      release.deploymentId,
      stringOrUndefined(item?.holder),
    );
  }

  async enqueue(request: EnqueueRequest): Promise<EnqueueResult> {
    const key = lockKey(request.service, request.environment);
    for (let attempt = 1; attempt <= maxConditionalAttempts; attempt++) {
      const update = new UpdateBuilder()
        .set("itemType", ItemType.Lock)
        .set("service", request.service)
        .set("environment", request.environment)
        .set("queued", request.deploymentId)
        .set("queuedOrder", request.order)
        .set("updatedAt", this.table.clock().toISOString());
      const newerThanWaiting = `(attribute_not_exists(#queuedOrder) OR #queuedOrder < ${update.value("queuedOrder")})`;
      const notTheHolder = `(attribute_not_exists(${update.name("holder")}) OR #holder <> ${update.value("queued")})`;
      const before = await this.table.updateIf(key, {
        ...update.build(),
        ConditionExpression: `${newerThanWaiting} AND ${notTheHolder}`,
        ReturnValues: "ALL_OLD",
      });
      if (before !== undefined) {
        const previous = stringOrUndefined(before.queued);
        return compact({
          superseded: previous === request.deploymentId ? undefined : previous,
          holder: stringOrUndefined(before.holder),
        });
      }
      const item = await this.table.getItem(key);
      const holder = stringOrUndefined(item?.holder);
      if (holder === request.deploymentId) return { holder };
      if (item?.queued === request.deploymentId) return compact({ holder });
      const waitingOrder = stringOrUndefined(item?.queuedOrder);
      if (waitingOrder !== undefined && waitingOrder >= request.order) {
        return compact({ superseded: request.deploymentId, holder });
      }
    }
    throw new Error(
      `The queue of ${request.service}/${request.environment} kept changing while ${request.deploymentId} tried to join it; retry.`,
    );
  }

  async takeQueued(lock: {
    readonly service: string;
    readonly environment: string;
  }): Promise<string | undefined> {
    const now = this.table.clock().toISOString();
    const taken = await this.table.updateIf(lockKey(lock.service, lock.environment), {
      UpdateExpression:
        "SET #holder = #queued, #acquiredAt = :now, #updatedAt = :now REMOVE #queued, #queuedOrder",
      ConditionExpression: "attribute_not_exists(#holder) AND attribute_exists(#queued)",
      ExpressionAttributeNames: {
        "#holder": "holder",
        "#queued": "queued",
        "#queuedOrder": "queuedOrder",
        "#acquiredAt": "acquiredAt",
        "#updatedAt": "updatedAt",
      },
      ExpressionAttributeValues: { ":now": now },
      ReturnValues: "ALL_NEW",
    });
    return stringOrUndefined(taken?.holder);
  }

  async getLock(service: string, environment: string): Promise<LockState> {
    const item = await this.table.getItem(lockKey(service, environment));
    return compact({
      holder: stringOrUndefined(item?.holder),
      acquiredAt: stringOrUndefined(item?.acquiredAt),
      liveVersion: stringOrUndefined(item?.liveVersion),
      queued: stringOrUndefined(item?.queued),
    });
  }
}
