import type { Artifact, Deployment, DeploymentStatus, Weights } from "../deployment.ts";

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
  /** The release the deployment is part of: part of its id; see `Deployment.releaseId`. */
  readonly releaseId?: string;
  /** The rollback the deployment is: part of its id; see `Deployment.rollbackId`. */
  readonly rollbackId?: string;
}

export interface CreateDeploymentResult {
  readonly deployment: Deployment;
  /** false when the deployment already existed: a redelivered step, not a new deployment. */
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

export interface HistoryQuery {
  readonly service: string;
  readonly environment: string;
  readonly limit: number;
  /** The `nextCursor` of the previous page, unchanged. */
  readonly cursor?: string;
}

export interface HistoryPage<T> {
  /** Newest first. */
  readonly items: readonly T[];
  /** Absent on the last page. */
  readonly nextCursor?: string;
}

/** Deployment records: one wave of one environment. Every write is safe to repeat. */
export interface DeploymentStore {
  /** Idempotent: the id is derived from service, environment, digest, attempt and region. */
  create(input: CreateDeploymentInput): Promise<CreateDeploymentResult>;

  get(id: string): Promise<Deployment | undefined>;

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

  /** Newest first. Throws `InvalidCursorError` for a cursor that is not a `nextCursor` of the same history. */
  history(query: HistoryQuery): Promise<HistoryPage<Deployment>>;
}
