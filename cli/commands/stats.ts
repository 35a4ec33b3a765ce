import type { Deployment } from "../../functions/domain/deployment.ts";
import {
  DefaultDoraWindowDays,
  type DoraMetrics,
  type DurationSummary,
  doraMetrics,
} from "../../functions/domain/dora.ts";
import { formatDuration, table } from "../format.ts";
import { positiveInteger, resolveTableName, type StateTableDependencies } from "../state-table.ts";

export const DefaultStatsEnvironment = "production";

/** Records read per history page while collecting every deployment. */
const pageSize = 100;

export interface StatsOptions {
  readonly service: string;
  /** @default "production" */
  readonly env?: string;
  /** A positive integer, as typed. @default "30" */
  readonly days?: string;
  readonly table?: string;
  readonly json?: boolean;
}

export interface StatsDependencies extends StateTableDependencies {
  /** @default () => new Date() */
  readonly now?: () => Date;
}

/**
 * `glidepath stats --service S`: the four DORA metrics of one environment over the last `--days` days, from
 * every page of its history. With `--json` the last line is the metrics as JSON.
 */
export async function statsCommand(
  options: StatsOptions,
  dependencies: StatsDependencies,
  print: (line: string) => void,
): Promise<void> {
  const tableName = resolveTableName(options.table, dependencies.env);
  const days = options.days === undefined ? DefaultDoraWindowDays : positiveInteger("--days", options.days);
  const environment = options.env ?? DefaultStatsEnvironment;
  const stores = dependencies.stores(tableName);
  const deployments: Deployment[] = [];
  let cursor: string | undefined;
  do {
    const page = await stores.deployments.history({
      service: options.service,
      environment,
      limit: pageSize,
      ...(cursor === undefined ? {} : { cursor }),
    });
    deployments.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== undefined);

  // Lead time runs from the push: the creation of each promotion's first deployment (in the first environment).
  const promotionStarts = new Map<string, string>();
  for (const promotionId of new Set(deployments.flatMap((deployment) => deployment.promotionId ?? []))) {
    const first =
      deployments.find((deployment) => deployment.id === promotionId) ??
      (await stores.deployments.get(promotionId));
    if (first !== undefined) promotionStarts.set(promotionId, first.createdAt);
  }
  const metrics = doraMetrics(deployments, {
    days,
    now: (dependencies.now ?? (() => new Date()))(),
    promotionStarts,
  });
  if (options.json) {
    print(JSON.stringify({ service: options.service, environment, ...metrics }));
    return;
  }
  print(
    `${options.service} → ${environment}, last ${days} days (${metrics.window.from} → ${metrics.window.to}), ${metrics.finished.total} finished deployments`,
  );
  print(table(["metric", "value"], rows(metrics)));
}

function rows(metrics: DoraMetrics): string[][] {
  const { finished, deploymentFrequency, leadTime, changeFailureRate, timeToRestore } = metrics;
  const restore =
    timeToRestore.count === 0 && timeToRestore.unrestored === 0
      ? "- (no failures)"
      : `${summary(timeToRestore)}${timeToRestore.unrestored > 0 ? `; ${timeToRestore.unrestored} not restored yet` : ""}`;
  return [
    [
      "deployment frequency",
      `${round(deploymentFrequency.perDay)}/day, ${round(deploymentFrequency.perWeek)}/week (${finished.succeeded} succeeded)`,
    ],
    ["lead time", leadTime.count === 0 ? "- (no successful deployments)" : summary(leadTime)],
    [
      "change failure rate",
      changeFailureRate === null
        ? "- (no finished deployments)"
        : `${round(changeFailureRate * 100)}% (${finished.failed} failed + ${finished.rolledBack} rolled back of ${finished.total})`,
    ],
    ["time to restore", restore],
  ];
}

function summary(durations: DurationSummary): string {
  const format = (value: number | null) => (value === null ? "-" : formatDuration(Math.round(value)));
  return `median ${format(durations.medianSeconds)}, mean ${format(durations.meanSeconds)} (${durations.count})`;
}

/** At most two decimals, without trailing zeros. */
function round(value: number): string {
  return String(Math.round(value * 100) / 100);
}
