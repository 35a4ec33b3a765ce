import type { Artifact, Decision, Deployment, DeploymentStatus, Weights } from "../deployment.ts";
import type { Gate, GateDecision } from "../gates.ts";

export interface CreateDeploymentInput {
  readonly service: string;
  readonly environment: string;
  readonly artifact: Artifact;
  readonly strategy: string;
  /** @default 1 */
  readonly attempt?: number;
  /** @default { old: 100, new: 0 } */
  readonly weights?: Weights;
  /** The wave's region, when the environment deploys several regions as waves; part of the id. */
  readonly region?: string;
  /** The promotion the deployment is part of; see `Deployment.promotionId`. */
  readonly promotionId?: string;
}

export interface CreateDeploymentResult {
  readonly deployment: Deployment;
  /** false when the deployment already existed: a redelivered trigger, not a new deployment. */
  readonly created: boolean;
}

/**
 * Fields a transition may change together with the status. Omitted fields keep their value, except
 * `statusReason`, which explains the status it was given with and is cleared by a transition without one.
 */
export interface TransitionPatch {
  readonly currentStep?: string;
  readonly weights?: Weights;
  readonly executionArn?: string;
  readonly statusReason?: string;
}

export type ProgressPatch = Omit<TransitionPatch, "statusReason">;

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

export interface HistoryQuery {
  readonly service: string;
  readonly environment: string;
  readonly limit: number;
  /** The `nextCursor` of the previous page, unchanged. */
  readonly cursor?: string;
}

export interface HistoryPage {
  /** Newest first. */
  readonly items: readonly Deployment[];
  /** Absent on the last page. */
  readonly nextCursor?: string;
}

/**
 * Durable state of deployments, per service+environment locks and the decision log. Every write is safe to
 * repeat: Step Functions, EventBridge and Lambda all deliver at least once.
 */
export interface StateStore {
  /** Idempotent: the id is derived from service, environment, digest and attempt. */
  createDeployment(input: CreateDeploymentInput): Promise<CreateDeploymentResult>;

  getDeployment(id: string): Promise<Deployment | undefined>;

  /**
   * Moves a deployment to `to` atomically. Repeating a transition that already happened returns the record
   * unchanged. Throws `IllegalTransitionError` (writing nothing) when `to` is not allowed from the current
   * status and `DeploymentNotFoundError` for an unknown id.
   */
  transition(id: string, to: DeploymentStatus, patch?: TransitionPatch): Promise<Deployment>;

  /**
   * Records progress (current step, weights, execution ARN) without changing the status. Throws
   * `IllegalTransitionError` when the deployment has already ended: a finished deployment's record is final.
   */
  recordProgress(id: string, patch: ProgressPatch): Promise<Deployment>;

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

  /**
   * Recording the same decision again (same deployment, `at` and `id`) is a no-op. Both are part of the key,
   * so a retrying caller must reuse them rather than take a fresh timestamp.
   */
  appendDecision(decision: Decision): Promise<{ readonly appended: boolean }>;

  /** Oldest first. */
  listDecisions(deploymentId: string): Promise<readonly Decision[]>;

  /** Newest first. Throws `InvalidCursorError` for a cursor that is not a `nextCursor` of the same history. */
  listHistory(query: HistoryQuery): Promise<HistoryPage>;

  /**
   * Keeps a gate and its task token, and makes it the deployment's open gate. Opening the same gate again
   * (a redelivered task) keeps the first record but takes the new token, which is the one Step Functions waits on.
   */
  openGate(gate: Gate, taskToken: string): Promise<void>;

  /** The gate as stored, without its token. */
  getGate(deploymentId: string, gateId: string): Promise<Gate | undefined>;

  /** The deployment's most recently opened gate, if it is still open. */
  getOpenGate(deploymentId: string): Promise<Gate | undefined>;

  /**
   * Decides an open gate: the first decision wins through a conditional update. Returns the token to resolve
   * the task with, or the decision that won before.
   */
  decideGate(
    deploymentId: string,
    gateId: string,
    decision: GateDecision,
  ): Promise<
    | { readonly decided: true; readonly taskToken: string; readonly gate: Gate }
    | { readonly decided: false; readonly gate: Gate | undefined }
  >;

  /** Records that a deployment watches these alarms, so an alarm event finds the deployments it concerns. */
  watchAlarms(deploymentId: string, alarmNames: readonly string[]): Promise<void>;

  unwatchAlarms(deploymentId: string, alarmNames: readonly string[]): Promise<void>;

  /** Deployments that watch the alarm now. */
  deploymentsWatching(alarmName: string): Promise<readonly string[]>;
}
