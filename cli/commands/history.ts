import type { Deployment } from "../../functions/domain/deployment.ts";
import { InvalidCursorError } from "../../functions/domain/errors.ts";
import type { HistoryPage } from "../../functions/domain/ports/deployment-store.ts";
import type { Promotion } from "../../functions/domain/promotion/record.ts";
import { table } from "../format.ts";
import { positiveInteger, resolveTableName, type StateTableDependencies } from "../state-table.ts";
import { UsageError } from "../usage-error.ts";

export const DefaultHistoryLimit = 20;

export interface HistoryOptions {
  readonly service: string;
  /** Required unless `promotions`. */
  readonly env?: string;
  /** List the service's promotions instead of one environment's deployments. */
  readonly promotions?: boolean;
  /** A positive integer, as typed. @default "20" */
  readonly limit?: string;
  readonly cursor?: string;
  readonly table?: string;
  readonly json?: boolean;
}

/**
 * `glidepath history --service S --env E`: one page of deployments, newest first, and the `--cursor` of the
 * next page; `--promotions` instead of `--env`: one page of the service's promotions. With `--json` the last
 * line is `{ items, nextCursor }` (`nextCursor` is null on the last page).
 */
export async function historyCommand(
  options: HistoryOptions,
  dependencies: StateTableDependencies,
  print: (line: string) => void,
): Promise<void> {
  const tableName = resolveTableName(options.table, dependencies.env);
  const limit = options.limit === undefined ? DefaultHistoryLimit : positiveInteger("--limit", options.limit);
  if (options.promotions === true && options.env !== undefined) {
    throw new UsageError("--promotions lists every environment of the service: leave out --env");
  }
  const environment = options.env;
  if (options.promotions !== true && environment === undefined) {
    throw new UsageError(
      "pass --env <name> for an environment's deployments, or --promotions for the promotions",
    );
  }
  const stores = dependencies.stores(tableName);
  const cursor = options.cursor === undefined ? {} : { cursor: options.cursor };
  const tableOption = options.table === undefined ? "" : ` --table ${options.table}`;
  const next = (scope: string, page: HistoryPage<unknown>) =>
    `next page: glidepath history --service ${options.service} ${scope} --limit ${limit}${tableOption} --cursor ${page.nextCursor}`;
  const onThisPage = options.cursor === undefined ? "" : " on this page";
  if (environment === undefined) {
    const page = await readPage(() =>
      stores.promotions.history({ service: options.service, limit, ...cursor }),
    );
    printPage(page, options, print, {
      empty: `no promotions of ${options.service}${onThisPage}`,
      table: promotionTable,
      next: next("--promotions", page),
    });
    return;
  }
  const page = await readPage(() =>
    stores.deployments.history({ service: options.service, environment, limit, ...cursor }),
  );
  printPage(page, options, print, {
    empty: `no deployments of ${options.service} in ${environment}${onThisPage}`,
    table: deploymentTable,
    next: next(`--env ${environment}`, page),
  });
}

/** The page as JSON, or as a table followed by the command for the next page. */
function printPage<T>(
  page: HistoryPage<T>,
  options: HistoryOptions,
  print: (line: string) => void,
  render: { readonly empty: string; readonly table: (items: readonly T[]) => string; readonly next: string },
): void {
  if (options.json) {
    print(JSON.stringify({ items: page.items, nextCursor: page.nextCursor ?? null }));
    return;
  }
  if (page.items.length === 0) {
    print(render.empty);
    return;
  }
  print(render.table(page.items));
  print(page.nextCursor === undefined ? "(last page)" : render.next);
}

async function readPage<T>(read: () => Promise<HistoryPage<T>>): Promise<HistoryPage<T>> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof InvalidCursorError) throw new UsageError(error.message);
    throw error;
  }
}

function deploymentTable(deployments: readonly Deployment[]): string {
  // Region waves: a column for the region, only when the environment has several.
  const waves = deployments.some((deployment) => deployment.region !== undefined);
  return table(
    ["created", "id", ...(waves ? ["region"] : []), "version", "strategy", "status", "reason"],
    deployments.map((deployment) => row(deployment, waves)),
  );
}

/** A promotion per row: where it got to, each environment's status in promotion order, and why it ended so. */
function promotionTable(promotions: readonly Promotion[]): string {
  return table(
    ["created", "id", "version", "status", "environments", "reason"],
    promotions.map((promotion) => [
      formatTimestamp(promotion.createdAt),
      promotion.id,
      promotion.artifact.version,
      promotion.status,
      promotion.environments.map((environment) => `${environment.name}:${environment.status}`).join(" "),
      promotion.reason ?? "-",
    ]),
  );
}

function row(deployment: Deployment, waves: boolean): string[] {
  return [
    formatTimestamp(deployment.createdAt),
    deployment.id,
    ...(waves ? [deployment.region ?? "-"] : []),
    deployment.artifact.version,
    deployment.strategy,
    deployment.status,
    deployment.statusReason ?? "-",
  ];
}

/** `2025-03-01T09:30:00.000Z` → `2025-03-01 09:30:00Z`. */
export function formatTimestamp(iso: string): string {
  return iso.replace("T", " ").replace(/\.\d+Z$/, "Z");
}
