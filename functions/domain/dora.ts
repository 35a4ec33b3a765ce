import { type Deployment, DeploymentStatus, NotDeployedStep } from "./deployment.ts";

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
  /**
   * When each promotion began (`promotionId` → the `createdAt` of its first deployment, created from the push):
   * lead time then runs from the push, not from the promotion's arrival in this environment.
   */
  readonly promotionStarts?: ReadonlyMap<string, string>;
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
  /** Deployments that ended in the window, by outcome. SUPERSEDED ones never ran and are not counted. */
  readonly finished: {
    readonly succeeded: number;
    readonly failed: number;
    readonly rolledBack: number;
    readonly total: number;
  };
  /** SUCCEEDED deployments per day and per week of the window (0, not null, when there were none). */
  readonly deploymentFrequency: { readonly perDay: number; readonly perWeek: number };
  /**
   * Lead time of each SUCCEEDED deployment in the window: from the push (the `createdAt` of its promotion's
   * first deployment, which the trigger created from the push or ArtifactPublished event, seconds after the
   * publication; see `promotionStarts`) to the `updatedAt` of the SUCCEEDED record: queueing, every earlier
   * environment, every phase, bake and approval until it succeeded here. Without the promotion's start, from
   * the record's own `createdAt`.
   */
  readonly leadTime: DurationSummary;
  /**
   * (ROLLED_BACK + FAILED) / every finished deployment of the window; `null` when none finished.
   */
  readonly changeFailureRate: number | null;
  /**
   * For each FAILED or ROLLED_BACK deployment that ended in the window: its end to the end of the next
   * SUCCEEDED deployment. `unrestored` counts failures no success has followed yet (left out of the sample).
   */
  readonly timeToRestore: DurationSummary & { readonly unrestored: number };
}

interface Ended {
  readonly status: DeploymentStatus;
  readonly created: number;
  readonly ended: number;
}

/**
 * The four DORA metrics of one service in one environment, from its deployment records (any order; records of
 * live deployments are ignored). The end of a finished deployment is its `updatedAt`: a terminal record is
 * never written again.
 */
export function doraMetrics(
  deployments: readonly Deployment[],
  options: DoraWindowOptions = {},
): DoraMetrics {
  const days = options.days ?? DefaultDoraWindowDays;
  if (!Number.isFinite(days) || days <= 0) {
    throw new RangeError(`days must be a positive number, got ${days}.`);
  }
  const to = (options.now ?? new Date()).getTime();
  const from = to - days * secondsPerDay * 1000;

  const ended = changes(deployments, options.promotionStarts ?? new Map())
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
 * One change per promotion: the region waves of a promotion in this environment count once, ending with the
 * last wave, failed when any wave failed; a promotion with a wave still running has not finished. Deployments
 * that never ran (`NotDeployedStep`) are no change.
 */
function changes(deployments: readonly Deployment[], starts: ReadonlyMap<string, string>): Ended[] {
  const groups = new Map<string, Deployment[]>();
  for (const deployment of deployments) {
    if (deployment.currentStep === NotDeployedStep) continue;
    const key = deployment.promotionId ?? deployment.id;
    groups.set(key, [...(groups.get(key) ?? []), deployment]);
  }
  const result: Ended[] = [];
  for (const [key, waves] of groups) {
    if (!waves.every((wave) => outcomes.includes(wave.status))) continue;
    const failed = waves.find((wave) => wave.status !== DeploymentStatus.Succeeded);
    const start = starts.get(key);
    result.push({
      status: failed?.status ?? DeploymentStatus.Succeeded,
      created:
        start === undefined
          ? Math.min(...waves.map((wave) => Date.parse(wave.createdAt)))
          : Date.parse(start),
      ended: Math.max(...waves.map((wave) => Date.parse(wave.updatedAt))),
    });
  }
  return result;
}

const outcomes: readonly DeploymentStatus[] = [
  DeploymentStatus.Succeeded,
  DeploymentStatus.Failed,
  DeploymentStatus.RolledBack,
];

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
