/** The service's lock and the one promotion waiting for it. Every write is one conditional write, safe to repeat. */
export interface LockRequest {
  readonly service: string;
  readonly environment: string;
  readonly deploymentId: string;
}

export interface LockRelease extends LockRequest {
  /** The version now serving the environment, recorded when the deployment finished. */
  readonly liveVersion?: string;
}

export type AcquireLockResult =
  | { readonly acquired: true }
  | {
      readonly acquired: false;
      /**
       * Absent only between a release and the hand-over to the waiting deployment (see `takeQueued`): the lock
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
   * The deployment that no longer waits, for the caller to mark SUPERSEDED: the one that waited before, or the
   * enqueued one itself when a newer artifact already waits. Absent when nothing else waited (or the same
   * deployment was enqueued again).
   */
  readonly superseded?: string;
  /**
   * The lock's holder when the deployment was queued. Absent when the lock was free (a release that has not
   * handed over yet, or a holder that ended between the caller's acquire and this enqueue): the caller then
   * calls `takeQueued` itself, so a waiting deployment never waits on a lock nobody holds.
   */
  readonly holder?: string;
}

export interface LockState {
  readonly holder?: string;
  /** ISO-8601 timestamp of the holder's acquire. */
  readonly acquiredAt?: string;
  readonly liveVersion?: string;
  /** The one deployment waiting for the lock, if any: newer artifacts supersede it (see `enqueue`). */
  readonly queued?: string;
}

export interface PromotionStore {
  /**
   * Re-entrant: the holder acquiring again succeeds. A lock with a waiting deployment is not free even without
   * a holder: it is the waiting one's, through `takeQueued`, so a newcomer cannot jump the queue.
   */
  acquireLock(request: LockRequest): Promise<AcquireLockResult>;

  /**
   * Makes the deployment the one waiting for the lock, in one conditional write: only the newest waiting
   * artifact (greatest `order`) is kept. Enqueueing the same deployment again changes nothing.
   */
  enqueue(request: EnqueueRequest): Promise<EnqueueResult>;

  /**
   * Hands a free lock to the waiting deployment, in one conditional write: the waiting id is removed and made
   * the holder together, so nothing can take the lock in between. Returns the new holder, or undefined when
   * the lock is held or nobody waits.
   */
  takeQueued(lock: { readonly service: string; readonly environment: string }): Promise<string | undefined>;

  /**
   * Throws `LockNotHeldError` when another deployment holds the lock or it was never held by this one;
   * releasing again after a release is a no-op.
   */
  releaseLock(release: LockRelease): Promise<void>;

  getLock(service: string, environment: string): Promise<LockState>;
}
