import { DeploymentStatus } from "./deployment.ts";
import { EnvironmentStatus, type Promotion } from "./promotion/record.ts";
import type { Release } from "./release/record.ts";

export const DefaultDoraWindowDays = 30;

const secondsPerDay = 86_400;

export interface DoraWindowOptions {
  /**
   * Length of the window, ending at `now`.
   * @default 30
   */
  readonly days?: number;
  /** @default new Date() */
  readonly now?: Date;
}

/** The releases of a service's DORA metrics: each that deployed it in the environment is one change of it. */
export interface ServiceReleases {
  readonly service: string;
  /** Any releases, in any order: those without the service are left out. */
  readonly releases: readonly Release[];
}

export interface DoraOptions extends DoraWindowOptions {
  /** @default no releases */
  readonly releases?: ServiceReleases;
}

/** A sample of durations in seconds; `null` statistics when the sample is empty. */
export interface DurationSummary {
  readonly count: number;
  readonly medianSeconds: number | null;
  readonly meanSeconds: number | null;
}

export interface DoraMetrics {
  /** ISO-8601 bounds: a deployment counts when it ended after `from` and no later than `to`. */
  readonly window: { readonly from: string; readonly to: string; readonly days: number };
  /**
   * Changes that ended in the window, by outcome: one per promotion that deployed to the environment (its
   * region waves count once). Promotions that never deployed there (superseded, stopped before it, or stopped
   * in it before any wave deployed) are no change.
   */
  readonly finished: {
    readonly succeeded: number;
    readonly failed: number;
    readonly rolledBack: number;
    readonly total: number;
  };
  /** Succeeded changes per day and per week of the window (0, not null, when there were none). */
  readonly deploymentFrequency: { readonly perDay: number; readonly perWeek: number };
  /**
   * Lead time of each succeeded change in the window: from the push (the promotion's `publishedAt`, the time of
   * its ECR push or ArtifactPublished event) to the end of the environment: queueing, every earlier
   * environment, every phase, bake and approval until it succeeded here.
   */
  readonly leadTime: DurationSummary;
  /** (rolled back + failed) / every finished change of the window; `null` when none finished. */
  readonly changeFailureRate: number | null;
  /**
   * For each failed or rolled-back change that ended in the window: its end to the end of the next succeeded
   * change. `unrestored` counts failures no success has followed yet (left out of the sample).
   */
  readonly timeToRestore: DurationSummary & { readonly unrestored: number };
}

interface Ended {
  readonly status: DeploymentStatus;
  readonly created: number;
  readonly ended: number;
}

/**
 * The four DORA metrics of one service in one environment, from its promotion records and the releases that
 * shipped it (any order; those still in the environment are left out). A change ends when its environment
 * does (`endedAt`).
 */
export function doraMetrics(
  promotions: readonly Promotion[],
  environment: string,
  options: DoraOptions = {},
): DoraMetrics {
  const days = options.days ?? DefaultDoraWindowDays;
  if (!Number.isFinite(days) || days <= 0) {
    throw new RangeError(`days must be a positive number, got ${days}.`);
  }
  const to = (options.now ?? new Date()).getTime();
  const from = to - days * secondsPerDay * 1000;

  const ended = [
    ...changes(promotions, environment),
    ...(options.releases === undefined ? [] : releaseChanges(options.releases, environment)),
  ]
    .filter((record) => Number.isFinite(record.created) && Number.isFinite(record.ended))
    .sort((a, b) => a.ended - b.ended);
  const inWindow = ended.filter((record) => record.ended > from && record.ended <= to);

  const succeeded = inWindow.filter((record) => record.status === DeploymentStatus.Succeeded);
  const failures = inWindow.filter((record) => record.status !== DeploymentStatus.Succeeded);
  const successes = ended.filter((record) => record.status === DeploymentStatus.Succeeded);

  const restores: number[] = [];
  for (const failure of failures) {
    const next = successes.find((success) => success.ended > failure.ended);
    if (next !== undefined) restores.push(seconds(next.ended - failure.ended));
  }

  return {
    window: { from: new Date(from).toISOString(), to: new Date(to).toISOString(), days },
    finished: {
      succeeded: succeeded.length,
      failed: count(inWindow, DeploymentStatus.Failed),
      rolledBack: count(inWindow, DeploymentStatus.RolledBack),
      total: inWindow.length,
    },
    deploymentFrequency: {
      perDay: succeeded.length / days,
      perWeek: (succeeded.length / days) * 7,
    },
    leadTime: summarise(succeeded.map((record) => seconds(record.ended - record.created))),
    changeFailureRate: inWindow.length === 0 ? null : failures.length / inWindow.length,
    timeToRestore: { ...summarise(restores), unrestored: failures.length - restores.length },
  };
}

/**
 * One change per promotion that deployed to the environment: succeeded, rolled back (a wave rolled back) or
 * failed. A frozen environment counts by what its waves did; one that never deployed a wave is no change.
 */
function changes(promotions: readonly Promotion[], name: string): Ended[] {
  const result: Ended[] = [];
  for (const promotion of promotions) {
    const environment = promotion.environments.find((candidate) => candidate.name === name);
    if (environment?.endedAt === undefined) continue;
    const outcomes = environment.waves.map((wave) => wave.outcome);
    const deployed = outcomes.some((outcome) => outcome !== undefined);
    const status = statusOf(environment.status, outcomes, deployed);
    if (status === undefined) continue;
    result.push({
      status,
      created: Date.parse(promotion.publishedAt),
      ended: Date.parse(environment.endedAt),
    });
  }
  return result;
}

/**
 * One change per release that deployed the service to the environment: a release that failed there is a
 * failure of each service it changed (rolled back when the service was rolled back, failed otherwise, even
 * when the service itself succeeded and stayed); a service it never deployed there is no change.
 */
function releaseChanges({ service, releases }: ServiceReleases, name: string): Ended[] {
  const result: Ended[] = [];
  for (const release of releases) {
    const environment = release.environments.find((candidate) => candidate.name === name);
    const own = environment?.services[service];
    if (environment?.endedAt === undefined || own === undefined) continue;
    const status = releaseStatusOf(environment.status, own);
    if (status === undefined) continue;
    result.push({ status, created: Date.parse(release.publishedAt), ended: Date.parse(environment.endedAt) });
  }
  return result;
}

function releaseStatusOf(
  environment: EnvironmentStatus,
  service: EnvironmentStatus,
): DeploymentStatus | undefined {
  if (environment === EnvironmentStatus.Succeeded) return DeploymentStatus.Succeeded;
  if (environment !== EnvironmentStatus.Failed && environment !== EnvironmentStatus.Frozen) return undefined;
  switch (service) {
    case EnvironmentStatus.RolledBack:
      return DeploymentStatus.RolledBack;
    case EnvironmentStatus.Failed:
    case EnvironmentStatus.Succeeded:
      return DeploymentStatus.Failed;
    default:
      return undefined;
  }
}

function statusOf(
  status: EnvironmentStatus,
  outcomes: readonly (string | undefined)[],
  deployed: boolean,
): DeploymentStatus | undefined {
  switch (status) {
    case EnvironmentStatus.Succeeded:
      return DeploymentStatus.Succeeded;
    case EnvironmentStatus.RolledBack:
      return DeploymentStatus.RolledBack;
    case EnvironmentStatus.Failed:
      return DeploymentStatus.Failed;
    case EnvironmentStatus.Frozen:
      if (!deployed) return undefined;
      return outcomes.includes(DeploymentStatus.RolledBack)
        ? DeploymentStatus.RolledBack
        : DeploymentStatus.Failed;
    default:
      return undefined;
  }
}

function count(records: readonly Ended[], status: DeploymentStatus): number {
  return records.filter((record) => record.status === status).length;
}

function seconds(milliseconds: number): number {
  return milliseconds / 1000;
}

function summarise(sample: readonly number[]): DurationSummary {
  if (sample.length === 0) return { count: 0, medianSeconds: null, meanSeconds: null };
  const sorted = [...sample].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
  const mean = sorted.reduce((sum, value) => sum + value, 0) / sorted.length;
  return { count: sorted.length, medianSeconds: median, meanSeconds: mean };
}
