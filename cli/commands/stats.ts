import {
  DefaultDoraWindowDays,
  type DoraMetrics,
  type DurationSummary,
  doraMetrics,
} from "../../functions/domain/dora.ts";
import type { HistoryPage } from "../../functions/domain/ports/deployment-store.ts";
import type { Promotion } from "../../functions/domain/promotion/record.ts";
import type { Release } from "../../functions/domain/release/record.ts";
import { formatDuration, table } from "../format.ts";
import { positiveInteger, resolveTableName, type StateTableDependencies } from "../state-table.ts";

export const DefaultStatsEnvironment = "production";

/** Promotions (and releases) read per history page while collecting every one of the service. */
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
 * every page of the service's promotions and of the releases: one change per promotion or release that
 * deployed it there. With `--json` the last line is the metrics as JSON.
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
  const promotions = await everyPage<Promotion>((cursor) =>
    stores.promotions.history({ service: options.service, limit: pageSize, ...cursor }),
  );
  // doraMetrics leaves out the releases without the service.
  const releases = await everyPage<Release>((cursor) =>
    stores.releases.history({ limit: pageSize, ...cursor }),
  );
  const metrics = doraMetrics(promotions, environment, {
    days,
    now: (dependencies.now ?? (() => new Date()))(),
    releases: { service: options.service, releases },
  });
  if (options.json) {
    print(JSON.stringify({ service: options.service, environment, ...metrics }));
    return;
  }
  print(
    `${options.service} → ${environment}, last ${days} days (${metrics.window.from} → ${metrics.window.to}), ${metrics.finished.total} finished changes`,
  );
  print(table(["metric", "value"], rows(metrics)));
}

/** Every item of a history, newest first, one page after the other. */
async function everyPage<T>(
  read: (cursor: { readonly cursor?: string }) => Promise<HistoryPage<T>>,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await read(cursor === undefined ? {} : { cursor });
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return items;
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
    ["lead time", leadTime.count === 0 ? "- (no successful changes)" : summary(leadTime)],
    [
      "change failure rate",
      changeFailureRate === null
        ? "- (no finished changes)"
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
