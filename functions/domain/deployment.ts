import { createHash } from "node:crypto";
import { z } from "zod";

export const DeploymentStatus = {
  Queued: "QUEUED",
  InProgress: "IN_PROGRESS",
  Paused: "PAUSED",
  RollingBack: "ROLLING_BACK",
  RolledBack: "ROLLED_BACK",
  Succeeded: "SUCCEEDED",
  Failed: "FAILED",
  Superseded: "SUPERSEDED",
} as const;

export type DeploymentStatus = (typeof DeploymentStatus)[keyof typeof DeploymentStatus];

export const allStatuses: readonly DeploymentStatus[] = Object.values(DeploymentStatus);

/**
 * The whole life cycle in one table. A status missing from every list is terminal. FAILED is reachable from
 * every live status because an orchestration error must always be able to stop a deployment.
 */
const transitions: Readonly<Record<DeploymentStatus, readonly DeploymentStatus[]>> = {
  QUEUED: ["IN_PROGRESS", "SUPERSEDED", "FAILED"],
  IN_PROGRESS: ["PAUSED", "ROLLING_BACK", "SUCCEEDED", "FAILED"],
  PAUSED: ["IN_PROGRESS", "ROLLING_BACK", "FAILED"],
  ROLLING_BACK: ["ROLLED_BACK", "FAILED"],
  ROLLED_BACK: [],
  SUCCEEDED: [],
  FAILED: [],
  SUPERSEDED: [],
};

export function nextStatuses(from: DeploymentStatus): readonly DeploymentStatus[] {
  return transitions[from];
}

export function canTransition(from: DeploymentStatus, to: DeploymentStatus): boolean {
  return transitions[from].includes(to);
}

/** The statuses `to` may be entered from: the `IN (...)` list of the store's conditional update. */
export function predecessorsOf(to: DeploymentStatus): readonly DeploymentStatus[] {
  return allStatuses.filter((from) => canTransition(from, to));
}

export function isTerminal(status: DeploymentStatus): boolean {
  return transitions[status].length === 0;
}

export interface Artifact {
  /** Where the artifact is pulled from, e.g. an ECR image URI. */
  readonly uri: string;
  /** Content digest (`sha256:…`); the identity of the artifact, unlike a tag. */
  readonly digest: string;
  /** Human-facing version label shown in Slack and the CLI. */
  readonly version: string;
}

/** Traffic split in percent; `old + new` is 100. */
export interface Weights {
  readonly old: number;
  readonly new: number;
}

export interface Approval {
  readonly gate: string;
  readonly by: string;
  /** ISO-8601 timestamp. */
  readonly at: string;
  readonly outcome: "approved" | "rejected";
}

export interface Deployment {
  readonly id: string;
  readonly service: string;
  readonly environment: string;
  readonly artifact: Artifact;
  /** Strategy name or type as configured for the environment (`canary`, `ECSCanary10Percent5Minutes`, …). */
  readonly strategy: string;
  readonly status: DeploymentStatus;
  readonly currentStep?: string;
  readonly weights: Weights;
  readonly executionArn?: string;
  /** ISO-8601 timestamp. */
  readonly createdAt: string;
  /** ISO-8601 timestamp. */
  readonly updatedAt: string;
  /** Why the deployment is in its current status; cleared by the next transition that gives none. */
  readonly statusReason?: string;
  readonly approvals: readonly Approval[];
  /** 1 for the first try of an artifact in an environment; a redeploy of the same digest is attempt 2, … */
  readonly attempt: number;
  /** The region of this wave, when the environment deploys several regions as waves. */
  readonly region?: string;
  /** The promotion this deployment is part of: the promotion, not this deployment, holds the service's lock. */
  readonly promotionId?: string;
  /** The release this deployment is part of (see functions/domain/release/): its id is the release's own. */
  readonly releaseId?: string;
  /** The rollback a human asked for that this deployment is (`glidepath rollback`): part of its id. */
  readonly rollbackId?: string;
}

export interface DeploymentIdInput {
  readonly service: string;
  readonly environment: string;
  readonly digest: string;
  readonly attempt: number;
  /** The region of one wave, when the environment deploys several regions as waves. */
  readonly region?: string;
  /** The release that deploys it: its deployments are its own, apart from a promotion of the same digest. */
  readonly releaseId?: string;
  /** The rollback that deploys it (a digest that ran before, deployed again). */
  readonly rollbackId?: string;
}

/** A deployment id as `deploymentId()` makes it, wherever one arrives: step inputs, events, buttons, the CLI. */
export const DeploymentIdSchema = z
  .string()
  .regex(/^d-[0-9a-f]{20}$/, { error: "must be a deployment id (d- and 20 hex digits)" });

/**
 * Deterministic, so that a redelivered trigger event computes the same id and creating the deployment twice
 * is naturally idempotent. A JSON array keeps the fields unambiguous whatever characters they contain.
 */
export function deploymentId(input: DeploymentIdInput): string {
  const hash = createHash("sha256")
    .update(
      JSON.stringify([
        input.service,
        input.environment,
        input.digest,
        input.attempt,
        // Only present fields: the ids of deployments without them stay what they always were.
        ...(input.region === undefined ? [] : [input.region]),
        ...(input.releaseId === undefined ? [] : [{ release: input.releaseId }]),
        ...(input.rollbackId === undefined ? [] : [{ rollback: input.rollbackId }]),
      ]),
    )
    .digest("hex");
  return `d-${hash.slice(0, 20)}`;
}

export const DecisionAction = {
  Continue: "continue",
  Extend: "extend",
  Pause: "pause",
  Resume: "resume",
  Rollback: "rollback",
  Promote: "promote",
  Approve: "approve",
  Reject: "reject",
  Abort: "abort",
  Supersede: "supersede",
  /** A freeze window held the promotion, or an irreversible hook froze a failed environment. */
  Freeze: "freeze",
  /** An experiment was judged (values: the verdict, with each arm's counts and the lift's interval). */
  Verdict: "verdict",
  /** A pre- or post-deploy hook ran (values: its answer). */
  Hook: "hook",
  /** A promotion went on to the next environment, or ended. */
  Promotion: "promotion",
  /**
   * What the new version served from its first shift until the deployment ended (values: ExposureValues),
   * recorded by the record step from the wave's own metrics.
   */
  Exposure: "exposure",
} as const;

export type DecisionAction = (typeof DecisionAction)[keyof typeof DecisionAction];

/**
 * One entry of the decision log. The log alone must answer "why did it roll back?", so `values` carries the
 * evidence: alarm names and states, metric values per arm, thresholds, sample sizes.
 */
export interface Decision {
  readonly deploymentId: string;
  /**
   * Idempotency key chosen by the caller from what triggered the decision (event id, gate id + step), so a
   * redelivered event records nothing new.
   */
  readonly id: string;
  /** ISO-8601 timestamp of the decision; taken from the triggering event, not from the retrying caller's clock. */
  readonly at: string;
  readonly action: DecisionAction;
  /** Who or what decided: `alarm:api-5xx`, `analysis`, `slack:U0123`, `cli:alice`, `timer`. */
  readonly actor: string;
  readonly reason: string;
  readonly values: Readonly<Record<string, unknown>>;
}
