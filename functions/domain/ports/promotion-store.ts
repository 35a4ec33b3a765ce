import type { Promotion } from "../promotion/record.ts";
import type { HistoryPage } from "./deployment-store.ts";

export interface LockRequest {
  readonly service: string;
  readonly promotionId: string;
}

export interface LockRelease extends LockRequest {
  /** The version now serving the service's environments, recorded when its promotion succeeded. */
  readonly liveVersion?: string;
}

export type AcquireLockResult =
  | { readonly acquired: true }
  | {
      readonly acquired: false;
      /**
       * Absent only between a release and the hand-over to the waiting promotion (see `takeQueued`): the lock
       * is free but promised to `queued`.
       */
      readonly holder?: string;
      readonly queued?: string;
    };

export interface EnqueueRequest extends LockRequest {
  /**
   * Orders waiting artifacts: of two, the one with the greater order waits and the other is superseded. Any
   * string that sorts in publication order, such as `<event time>#<createdAt>#<id>`.
   */
  readonly order: string;
}

export interface EnqueueResult {
  /**
   * The promotion that no longer waits, for the caller to mark SUPERSEDED: the one that waited before, or the
   * enqueued one itself when a newer artifact already waits. Absent when nothing else waited (or the same
   * promotion was enqueued again).
   */
  readonly superseded?: string;
  /**
   * The lock's holder when the promotion was queued. Absent when the lock was free (a release that has not
   * handed over yet, or a holder that ended between the caller's acquire and this enqueue): the caller then
   * calls `takeQueued` itself, so a waiting promotion never waits on a lock nobody holds.
   */
  readonly holder?: string;
}

export interface LockState {
  readonly holder?: string;
  /** ISO-8601 timestamp of the holder's acquire. */
  readonly acquiredAt?: string;
  readonly liveVersion?: string;
  /** The one promotion waiting for the lock, if any: newer artifacts supersede it (see `enqueue`). */
  readonly queued?: string;
}

export interface PromotionHistoryQuery {
  readonly service: string;
  readonly limit: number;
  /** The `nextCursor` of the previous page, unchanged. */
  readonly cursor?: string;
}

/**
 * Promotion records, and the service's lock with the one promotion waiting for it: one promotion per service
 * at a time. Every write is one conditional write, safe to repeat.
 */
export interface PromotionStore {
  /** Idempotent by the promotion's deterministic id: `created` is false when it existed (a redelivery). */
  create(promotion: Promotion): Promise<{ readonly promotion: Promotion; readonly created: boolean }>;

  get(id: string): Promise<Promotion | undefined>;

  /**
   * Writes the promotion if its stored revision is still `promotion.revision - 1` (the one it was decided from).
   * Returns false, writing nothing, when another writer got there first: the caller reloads and decides again.
   */
  save(promotion: Promotion): Promise<boolean>;

  /** Newest first. Throws `InvalidCursorError` for a cursor that is not a `nextCursor` of the same history. */
  history(query: PromotionHistoryQuery): Promise<HistoryPage<Promotion>>;

  /**
   * Re-entrant: the holder acquiring again succeeds. A lock with a waiting promotion is not free even without
   * a holder: it is the waiting one's, through `takeQueued`, so a newcomer cannot jump the queue.
   */
  acquireLock(request: LockRequest): Promise<AcquireLockResult>;

  /**
   * Makes the promotion the one waiting for the lock, in one conditional write: only the newest waiting
   * artifact (greatest `order`) is kept. Enqueueing the same promotion again changes nothing.
   */
  enqueue(request: EnqueueRequest): Promise<EnqueueResult>;

  /**
   * Hands a free lock to the waiting promotion, in one conditional write: the waiting id is removed and made
   * the holder together, so nothing can take the lock in between. Returns the new holder, or undefined when
   * the lock is held or nobody waits.
   */
  takeQueued(service: string): Promise<string | undefined>;

  /**
   * Throws `LockNotHeldError` when another promotion holds the lock or it was never held by this one;
   * releasing again after a release is a no-op.
   */
  releaseLock(release: LockRelease): Promise<void>;

  getLock(service: string): Promise<LockState>;
}
