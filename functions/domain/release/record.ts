import { z } from "zod";
import {
  ArtifactSchema,
  EnvironmentStatus,
  HookRunSchema,
  PromotionStatus,
  type PromotionStatus as PromotionStatusValue,
} from "../promotion/record.ts";
import type { ReleasePlan } from "./manifest.ts";

const releaseIdPattern = /^r-[0-9a-f]{20}$/;
const statuses = Object.values(PromotionStatus) as [PromotionStatusValue, ...PromotionStatusValue[]];
const environmentStatuses = Object.values(EnvironmentStatus) as [EnvironmentStatus, ...EnvironmentStatus[]];

/**
 * One environment of a release: its status as a promotion's environment has one (PENDING until entered), and
 * each service's status there, by the same values.
 */
export const ReleaseEnvironmentSchema = z.object({
  name: z.string().min(1),
  status: z.enum(environmentStatuses),
  services: z.record(z.string().min(1), z.enum(environmentStatuses)),
  enteredAt: z.string().optional(),
  endedAt: z.string().optional(),
  reason: z.string().optional(),
});

/**
 * A release as a record of its own, beside promotions: its artifacts, the order its services deploy in, and
 * where it stands in each environment. Its life is a promotion's (QUEUED for its services' locks, RUNNING,
 * then an outcome); `locks` are the services whose lock it holds.
 */
export const ReleaseSchema = z.object({
  id: z.string().regex(releaseIdPattern, { error: "must be a release id (r- and 20 hex digits)" }),
  name: z.string().min(1).optional(),
  artifacts: z.record(z.string().min(1), ArtifactSchema),
  groups: z.array(z.array(z.string().min(1)).min(1)).min(1),
  /** The event's time (or the CLI's): orders the release among the pushes of its services. */
  publishedAt: z.string(),
  status: z.enum(statuses),
  /** In promotion order. */
  environments: z.array(ReleaseEnvironmentSchema).min(1),
  locks: z.array(z.string().min(1)),
  /** Each service's hook answers, as a promotion keeps its own (the last answer per environment, stage and hook). */
  hooks: z.array(HookRunSchema.extend({ service: z.string().min(1) })).default([]),
  executionArn: z.string().optional(),
  reason: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** Bumped by every write: a write conditioned on it loses to a concurrent one instead of undoing it. */
  revision: z.number().int().min(0),
});
export type Release = z.output<typeof ReleaseSchema>;

/** The record of a planned release, before it has any lock: QUEUED, every environment and service PENDING. */
export function newRelease(plan: ReleasePlan, publishedAt: string, now: string): Release {
  const services = plan.groups.flat();
  return {
    id: plan.releaseId,
    ...(plan.name === undefined ? {} : { name: plan.name }),
    artifacts: { ...plan.artifacts },
    groups: plan.groups.map((group) => [...group]),
    publishedAt,
    status: PromotionStatus.Queued,
    environments: plan.environments.map((name) => ({
      name,
      status: EnvironmentStatus.Pending,
      services: Object.fromEntries(services.map((service) => [service, EnvironmentStatus.Pending])),
    })),
    locks: [],
    hooks: [],
    createdAt: now,
    updatedAt: now,
    revision: 0,
  };
}

/**
 * The order a release takes its services' locks in: by name, the same for every release, so two releases
 * that share services wait for each other instead of each holding a lock the other needs.
 */
export function lockOrder(release: { readonly groups: readonly (readonly string[])[] }): string[] {
  return release.groups.flat().sort();
}

/** A lock's holder is a promotion or a release: a release's id is `r-` and 20 hex digits. */
export function isReleaseId(id: string): boolean {
  return releaseIdPattern.test(id);
}

/** The services whose lock the release still has to take, in lock order: the first one is the next to take. */
export function locksToTake(release: Pick<Release, "groups" | "locks">): string[] {
  const held = new Set(release.locks);
  return lockOrder(release).filter((service) => !held.has(service));
}
