import { createHash } from "node:crypto";
import { z } from "zod";

/**
 * A promotion's life: QUEUED while it waits for the service's lock, RUNNING from its pipeline's start, and one
 * of the outcomes. FROZEN is a stop in an environment where an irreversible hook had run: nothing was undone and
 * someone must fix forward.
 */
export const PromotionStatus = {
  Queued: "QUEUED",
  Running: "RUNNING",
  Promoted: "PROMOTED",
  Stopped: "STOPPED",
  Frozen: "FROZEN",
  Superseded: "SUPERSEDED",
} as const;
export type PromotionStatus = (typeof PromotionStatus)[keyof typeof PromotionStatus];

const promotionStatuses = Object.values(PromotionStatus) as [PromotionStatus, ...PromotionStatus[]];

export function isPromotionOver(status: PromotionStatus): boolean {
  return status !== PromotionStatus.Queued && status !== PromotionStatus.Running;
}

/**
 * One environment of a promotion: PENDING until entered, IN_PROGRESS while its gate, freeze check, hooks and
 * waves run, then SUCCEEDED, ROLLED_BACK or FAILED (a wave that deployed did), NOT_DEPLOYED (it stopped before
 * any wave deployed: a rejected approval, a freeze, a hook) or FROZEN (an irreversible hook had run).
 * An environment the promotion never reached stays PENDING.
 */
export const EnvironmentStatus = {
  Pending: "PENDING",
  InProgress: "IN_PROGRESS",
  Succeeded: "SUCCEEDED",
  RolledBack: "ROLLED_BACK",
  Failed: "FAILED",
  NotDeployed: "NOT_DEPLOYED",
  Frozen: "FROZEN",
} as const;
export type EnvironmentStatus = (typeof EnvironmentStatus)[keyof typeof EnvironmentStatus];

/** The statuses of an environment that failed: its undo hooks may still run and answer. */
export const failedEnvironmentStatuses: readonly EnvironmentStatus[] = [
  EnvironmentStatus.RolledBack,
  EnvironmentStatus.Failed,
  EnvironmentStatus.NotDeployed,
  EnvironmentStatus.Frozen,
];

const environmentStatuses = Object.values(EnvironmentStatus) as [EnvironmentStatus, ...EnvironmentStatus[]];

/** Where the promotion stands with its service's lock. `none`: it never held it, or has given it back. */
export const LockPlace = { Holder: "holder", Queued: "queued", None: "none" } as const;
export type LockPlace = (typeof LockPlace)[keyof typeof LockPlace];

/** An artifact as a record keeps it. */
export const ArtifactSchema = z.object({
  uri: z.string().min(1),
  digest: z.string().min(1),
  version: z.string().min(1),
});

/** A hook's typed answer, as the promotion keeps it. */
export const HookRunSchema = z.object({
  environment: z.string().min(1),
  stage: z.enum(["preDeploy", "postDeploy", "undo"]),
  hook: z.string().min(1),
  passed: z.boolean(),
  reason: z.string(),
  irreversible: z.boolean(),
  at: z.string(),
});

export const PromotionEnvironmentRecordSchema = z.object({
  name: z.string().min(1),
  status: z.enum(environmentStatuses),
  /** Its region waves in order; their deployment ids are known before any is created. */
  waves: z.array(
    z.object({
      deploymentId: z.string().min(1),
      /** Set only when the environment deploys several regions as waves (it is part of the deployment id). */
      region: z.string().optional(),
      /** The account and region the wave deploys in; absent on promotions recorded before it was kept. */
      place: z.object({ account: z.string(), region: z.string() }).optional(),
      /** Set when the wave ended: its deployment's final status. */
      outcome: z.string().optional(),
    }),
  ),
  enteredAt: z.string().optional(),
  endedAt: z.string().optional(),
  reason: z.string().optional(),
  approval: z.object({ by: z.string(), at: z.string() }).optional(),
});
export type PromotionEnvironmentRecord = z.output<typeof PromotionEnvironmentRecordSchema>;

export const PromotionSchema = z.object({
  id: z.string().regex(/^p-[0-9a-f]{20}$/, { error: "must be a promotion id (p- and 20 hex digits)" }),
  service: z.string().min(1),
  artifact: ArtifactSchema,
  /** The artifact event's time: orders the pushes of one service in the queue. */
  publishedAt: z.string(),
  /** Who asked for it, when a human did (`glidepath deploy`) rather than an artifact event. */
  requestedBy: z.string().optional(),
  status: z.enum(promotionStatuses),
  /** In promotion order. */
  environments: z.array(PromotionEnvironmentRecordSchema).min(1),
  hooks: z.array(HookRunSchema),
  /** The environment it is in now (or stopped in); absent before it entered one. */
  current: z.string().optional(),
  lock: z.enum([LockPlace.Holder, LockPlace.Queued, LockPlace.None]),
  executionArn: z.string().optional(),
  /** A newer artifact asked it to stop (`concurrency: "supersede"`): it enters no further environment. */
  abortRequested: z.object({ by: z.string(), reason: z.string(), at: z.string() }).optional(),
  /** Why it has its status: the outcome's reason, or what superseded it. */
  reason: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** Bumped by every write: a write conditioned on it loses to a concurrent one instead of undoing it. */
  revision: z.number().int().min(0),
});
export type Promotion = z.output<typeof PromotionSchema>;

/**
 * Deterministic, as deployment ids are: a redelivered artifact event computes the same id, so creating its
 * promotion twice is naturally idempotent.
 */
export function promotionId(input: {
  readonly service: string;
  readonly digest: string;
  readonly attempt?: number;
}): string {
  const hash = createHash("sha256")
    .update(JSON.stringify(["promotion", input.service, input.digest, input.attempt ?? 1]))
    .digest("hex");
  return `p-${hash.slice(0, 20)}`;
}

/**
 * How a promotion or a release ends: PROMOTED, or FROZEN when one of its environments froze (an irreversible
 * hook ran before a failure), else STOPPED.
 */
export function endStatus(
  outcome: "promoted" | "stopped" | "frozen",
  environments: readonly { readonly status: string }[],
): PromotionStatus {
  if (outcome === "promoted") return PromotionStatus.Promoted;
  const frozen = environments.some((environment) => environment.status === EnvironmentStatus.Frozen);
  return frozen ? PromotionStatus.Frozen : PromotionStatus.Stopped;
}
