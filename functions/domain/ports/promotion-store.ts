import type { Promotion } from "../promotion/record.ts";
import type { HistoryPage } from "./deployment-store.ts";

export interface LockRequest {
  readonly service: string;
  readonly promotionId: string;
}

/** A promotion's acquire: its artifact's place in publication order (see `EnqueueRequest.order`). */
export interface OrderedLockRequest extends LockRequest {
  /**
   * An artifact published before the newest that took the lock is not promoted after it: the acquire is refused
   * as `outdatedBy` that one. Absent for a release, which names its versions deliberately.
   */
  readonly order?: string;
  /** Recorded with `order` as the newest that took the lock. */
  readonly version?: string;
}

/** The newest artifact that took a service's lock, which an older one arriving late is outdated by. */
export interface NewestArtifact {
  readonly promotionId: string;
  readonly version: string;
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
      /** A newer artifact took the lock before this one arrived: it must not be promoted after it. */
      readonly outdatedBy?: NewestArtifact;
    };

export interface EnqueueRequest extends LockRequest {
  /**
   * Orders waiting artifacts: of two, the one with the greater order waits and the other is superseded. Any
   * string that sorts in publication order, such as `<event time>#<createdAt>#<id>`.
   */
  readonly order: string;
  /** Recorded as the newest that took the lock when it is handed the lock (`takeQueued`). */
  readonly version: string;
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
  /**
   * A newer artifact took the lock before this one joined the queue: it is not queued, and must not be
   * promoted after that one.
   */
  readonly outdatedBy?: NewestArtifact;
}

export interface LockState {
  readonly holder?: string;
  /** ISO-8601 timestamp of the holder's acquire. */
  readonly acquiredAt?: string;
  readonly liveVersion?: string;
  /** The one promotion waiting for the lock, if any: newer artifacts supersede it (see `enqueue`). */
  readonly queued?: string;
  /** The newest artifact (in publication order) that has taken the lock. */
  readonly newest?: NewestArtifact;
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
   * a holder: it is the waiting one's, through `takeQueued`, so a newcomer cannot jump the queue. With an
   * `order`, refused (`outdatedBy`) when a newer artifact took the lock before, and else recorded as the newest.
   */
  acquireLock(request: OrderedLockRequest): Promise<AcquireLockResult>;

  /**
   * Makes the promotion the one waiting for the lock, in one conditional write: only the newest waiting
   * artifact (greatest `order`) is kept, and none older than the newest that took the lock (`outdatedBy`).
   * Enqueueing the same promotion again changes nothing.
   */
  enqueue(request: EnqueueRequest): Promise<EnqueueResult>;

  /**
   * Hands a free lock to the waiting promotion, in one conditional write: the waiting id is removed and made
   * the holder together (and the newest that took it), so nothing can take the lock in between. Returns the
   * new holder, or undefined when the lock is held or nobody waits.
   */
  takeQueued(service: string): Promise<string | undefined>;

  /**
   * Throws `LockNotHeldError` when another promotion holds the lock or it was never held by this one;
   * releasing again after a release is a no-op.
   */
  releaseLock(release: LockRelease): Promise<void>;

  getLock(service: string): Promise<LockState>;
}
