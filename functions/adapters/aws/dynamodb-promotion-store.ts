/**
 * Promotions on the state table: pk `PROMOTION#<id>`, sk `PROMOTION`, the Promotion's fields, in the history
 * index under `PROMOTIONS#<service>` / `<createdAt>#<id>`. Created with a conditional put (idempotent by its
 * deterministic id); every save is conditioned on the revision it was decided from. A promotion gets its TTL
 * when it is over.
 *
 * The service's lock: pk `LOCK#<service>`, sk `LOCK`, with `holder` (a promotion or release id, absent when
 * free), `acquiredAt`, `liveVersion` (the version serving the service), `releasedBy` (the last releaser, so
 * a redelivered release is a no-op), `queued` and `queuedOrder` (the one waiting promotion, and the order that
 * lets only a newer artifact replace it, with `queuedVersion`), `newest`, `newestOrder` and `newestVersion` (the
 * newest artifact, in publication order, that took the lock: an older one arriving later is outdated by it),
 * `updatedAt`. Locks never expire.
 *
 * Races the lock's single conditional writes close, each on the one lock item, so DynamoDB serialises them:
 * - two acquires: one wins, the other learns the holder;
 * - many enqueues at once: each replaces the waiting one only if it is newer, and learns whom it replaced (or
 *   that it lost), so every loser is reported exactly once;
 * - an enqueue against a release: the enqueue reports the lock free, and its caller takes the queue;
 * - a release followed by the hand-over: a lock with a waiting one refuses newcomers even without a holder,
 *   and `takeQueued` moves `queued` to `holder` in the same write, so nothing jumps the queue;
 * - an enqueue against a hand-over: either the waiting one was handed the lock before (and is not superseded)
 *   or it was replaced before (and can no longer be handed the lock);
 * - a late older artifact against a newer one that took the lock: the acquire and the enqueue are both
 *   conditioned on `newestOrder`, which every acquire and hand-over sets, so the older one never holds it.
 */
import { z } from "zod";
import { LockNotHeldError } from "../../domain/errors.ts";
import type { HistoryPage } from "../../domain/ports/deployment-store.ts";
import type {
  AcquireLockResult,
  EnqueueRequest,
  EnqueueResult,
  LockRelease,
  LockState,
  NewestArtifact,
  OrderedLockRequest,
  PromotionHistoryQuery,
  PromotionStore,
} from "../../domain/ports/promotion-store.ts";
import { isPromotionOver, type Promotion, PromotionSchema } from "../../domain/promotion/record.ts";
import {
  historyIndexKey,
  ItemType,
  lockKey,
  promotionHistoryPartition,
  promotionKey,
} from "./dynamodb-keys.ts";
import { compact, type DynamoTable, type Item, maxConditionalAttempts, parseItem } from "./dynamodb-table.ts";
import { historyPage } from "./history-page.ts";
import { createOnce, saveAtRevision } from "./revisioned-record.ts";
import { TableSchema } from "./table-schema.ts";
import { UpdateBuilder } from "./update-builder.ts";

export class DynamoDbPromotionStore implements PromotionStore {
  private readonly table: DynamoTable;

  constructor(table: DynamoTable) {
    this.table = table;
  }

  async create(promotion: Promotion): Promise<{ readonly promotion: Promotion; readonly created: boolean }> {
    const { record, created } = await createOnce(
      this.table,
      this.item(promotion),
      promotion,
      () => this.get(promotion.id),
      `promotion ${promotion.id}`,
    );
    return { promotion: record, created };
  }

  async get(id: string): Promise<Promotion | undefined> {
    const item = await this.table.getItem(promotionKey(id));
    return item === undefined ? undefined : toPromotion(item);
  }

  save(promotion: Promotion): Promise<boolean> {
    return saveAtRevision(this.table, this.item(promotion), promotion.revision);
  }

  history(query: PromotionHistoryQuery): Promise<HistoryPage<Promotion>> {
    return historyPage(
      this.table,
      { partition: promotionHistoryPartition(query.service), limit: query.limit, cursor: query.cursor },
      toPromotion,
    );
  }

  private item(promotion: Promotion): Item {
    return {
      ...promotionKey(promotion.id),
      ...historyIndexKey(promotionHistoryPartition(promotion.service), promotion.createdAt, promotion.id),
      itemType: ItemType.Promotion,
      ...JSON.parse(JSON.stringify(promotion)),
      ...(isPromotionOver(promotion.status)
        ? { [TableSchema.timeToLiveAttribute]: this.table.expiresAt(new Date(promotion.updatedAt)) }
        : {}),
    };
  }

  async acquireLock(request: OrderedLockRequest): Promise<AcquireLockResult> {
    const key = lockKey(request.service);
    for (let attempt = 1; attempt <= maxConditionalAttempts; attempt++) {
      const now = this.table.clock().toISOString();
      const update = new UpdateBuilder()
        .set("itemType", ItemType.Lock)
        .set("service", request.service)
        .set("holder", request.promotionId)
        .setIfNotExists("acquiredAt", now)
        .set("updatedAt", now);
      // Re-entrant, so that a retried acquire by the holder succeeds. A waiting deployment owns a free lock.
      let condition = `((attribute_not_exists(#holder) AND attribute_not_exists(${update.name("queued")})) OR #holder = ${update.value("holder")})`;
      if (request.order !== undefined) {
        update
          .set("newest", request.promotionId)
          .set("newestOrder", request.order)
          .set("newestVersion", request.version ?? "");
        // Equal only for the same promotion (the order ends with its id): a retried acquire.
        condition += ` AND (attribute_not_exists(#newestOrder) OR #newestOrder <= ${update.value("newestOrder")})`;
      }
      const acquired = await this.table.updateIf(key, { ...update.build(), ConditionExpression: condition });
      if (acquired !== undefined) return { acquired: true };
      const lock = lockOf(await this.table.getItem(key));
      const outdatedBy = outdated(lock, request.order);
      if (outdatedBy !== undefined) return { acquired: false, outdatedBy };
      const { holder, queued } = lock;
      if (holder !== undefined && holder !== request.promotionId) {
        return compact({ acquired: false as const, holder, queued });
      }
      if (holder === undefined && queued !== undefined) return { acquired: false, queued };
    }
    throw new Error(
      `The lock of ${request.service} kept changing hands while ${request.promotionId} tried to acquire it; retry.`,
    );
  }

  async releaseLock(release: LockRelease): Promise<void> {
    const key = lockKey(release.service);
    const update = new UpdateBuilder()
      .set("releasedBy", release.promotionId)
      .set("updatedAt", this.table.clock().toISOString())
      .remove("holder")
      .remove("acquiredAt");
    if (release.liveVersion !== undefined) update.set("liveVersion", release.liveVersion);
    const holderIsMe = `#holder = ${update.value("releasedBy")}`;
    const released = await this.table.updateIf(key, { ...update.build(), ConditionExpression: holderIsMe });
    if (released !== undefined) return;
    const item = await this.table.getItem(key);
    // A redelivered release of a lock this deployment already gave up.
    const lock = lockOf(item);
    if (lock.releasedBy === release.promotionId) return;
    throw new LockNotHeldError(release.service, release.promotionId, lock.holder);
  }

  async enqueue(request: EnqueueRequest): Promise<EnqueueResult> {
    const key = lockKey(request.service);
    for (let attempt = 1; attempt <= maxConditionalAttempts; attempt++) {
      const update = new UpdateBuilder()
        .set("itemType", ItemType.Lock)
        .set("service", request.service)
        .set("queued", request.promotionId)
        .set("queuedOrder", request.order)
        .set("queuedVersion", request.version)
        .set("updatedAt", this.table.clock().toISOString());
      const newerThanWaiting = `(attribute_not_exists(#queuedOrder) OR #queuedOrder < ${update.value("queuedOrder")})`;
      const newerThanTaken = `(attribute_not_exists(${update.name("newestOrder")}) OR #newestOrder < ${update.value("queuedOrder")})`;
      const notTheHolder = `(attribute_not_exists(${update.name("holder")}) OR #holder <> ${update.value("queued")})`;
      const before = await this.table.updateIf(key, {
        ...update.build(),
        ConditionExpression: `${newerThanWaiting} AND ${newerThanTaken} AND ${notTheHolder}`,
        ReturnValues: "ALL_OLD",
      });
      if (before !== undefined) {
        const { queued: previous, holder } = lockOf(before);
        return compact({ superseded: previous === request.promotionId ? undefined : previous, holder });
      }
      const lock = lockOf(await this.table.getItem(key));
      const { holder, queued, queuedOrder: waitingOrder } = lock;
      if (holder === request.promotionId) return { holder };
      if (queued === request.promotionId) return compact({ holder });
      const outdatedBy = outdated(lock, request.order);
      if (outdatedBy !== undefined) return compact({ outdatedBy, holder });
      if (waitingOrder !== undefined && waitingOrder >= request.order) {
        return compact({ superseded: request.promotionId, holder });
      }
    }
    throw new Error(
      `The queue of ${request.service} kept changing while ${request.promotionId} tried to join it; retry.`,
    );
  }

  async takeQueued(service: string): Promise<string | undefined> {
    const now = this.table.clock().toISOString();
    const taken = await this.table.updateIf(lockKey(service), {
      UpdateExpression:
        "SET #holder = #queued, #newest = #queued, #newestOrder = #queuedOrder, #newestVersion = #queuedVersion, #acquiredAt = :now, #updatedAt = :now REMOVE #queued, #queuedOrder, #queuedVersion",
      ConditionExpression: "attribute_not_exists(#holder) AND attribute_exists(#queued)",
      ExpressionAttributeNames: {
        "#holder": "holder",
        "#queued": "queued",
        "#queuedOrder": "queuedOrder",
        "#queuedVersion": "queuedVersion",
        "#newest": "newest",
        "#newestOrder": "newestOrder",
        "#newestVersion": "newestVersion",
        "#acquiredAt": "acquiredAt",
        "#updatedAt": "updatedAt",
      },
      ExpressionAttributeValues: { ":now": now },
      ReturnValues: "ALL_NEW",
    });
    return lockOf(taken).holder;
  }

  async getLock(service: string): Promise<LockState> {
    const lock = lockOf(await this.table.getItem(lockKey(service)));
    return compact({
      holder: lock.holder,
      acquiredAt: lock.acquiredAt,
      liveVersion: lock.liveVersion,
      queued: lock.queued,
      newest: newestOf(lock),
    });
  }
}

const LockItemSchema = z.object({
  holder: z.string().optional(),
  acquiredAt: z.string().optional(),
  liveVersion: z.string().optional(),
  releasedBy: z.string().optional(),
  queued: z.string().optional(),
  queuedOrder: z.string().optional(),
  newest: z.string().optional(),
  newestOrder: z.string().optional(),
  newestVersion: z.string().optional(),
});

type LockItem = z.output<typeof LockItemSchema>;

function newestOf(lock: LockItem): NewestArtifact | undefined {
  return lock.newest === undefined
    ? undefined
    : { promotionId: lock.newest, version: lock.newestVersion ?? "" };
}

/** The newest artifact that took the lock, when it was published after an artifact of `order`. */
function outdated(lock: LockItem, order: string | undefined): NewestArtifact | undefined {
  if (order === undefined || lock.newestOrder === undefined || lock.newestOrder <= order) return undefined;
  return newestOf(lock);
}

/** The lock item as read back (or as a conditional write returned it); a lock never written is free. */
function lockOf(item: Item | undefined): LockItem {
  return item === undefined ? {} : parseItem(LockItemSchema, item, "lock");
}

function toPromotion(item: Item): Promotion {
  return parseItem(PromotionSchema, item, "promotion");
}
