import type { Deployment } from "../../functions/domain/deployment.ts";
import { InvalidCursorError } from "../../functions/domain/errors.ts";
import type { HistoryPage } from "../../functions/domain/ports/deployment-store.ts";
import type { Promotion } from "../../functions/domain/promotion/record.ts";
import type { Release } from "../../functions/domain/release/record.ts";
import { table } from "../format.ts";
import { positiveInteger, resolveTableName, type StateTableDependencies } from "../state-table.ts";
import { UsageError } from "../usage-error.ts";

export const DefaultHistoryLimit = 20;

export interface HistoryOptions {
  /** Required unless `releases`. */
  readonly service?: string;
  /** Required unless `promotions` or `releases`. */
  readonly env?: string;
  /** List the service's promotions instead of one environment's deployments. */
  readonly promotions?: boolean;
  /** List every release (all services) instead. */
  readonly releases?: boolean;
  /** A positive integer, as typed. @default "20" */
  readonly limit?: string;
  readonly cursor?: string;
  readonly table?: string;
  readonly json?: boolean;
}

/**
 * `glidepath history --service S --env E`: one page of deployments, newest first, and the `--cursor` of the
 * next page; `--promotions` instead of `--env`: one page of the service's promotions; `--releases` alone:
 * one page of the releases. With `--json` the last line is `{ items, nextCursor }` (`nextCursor` is null on
 * the last page).
 */
export async function historyCommand(
  options: HistoryOptions,
  dependencies: StateTableDependencies,
  print: (line: string) => void,
): Promise<void> {
  const tableName = resolveTableName(options.table, dependencies.env);
  const limit = options.limit === undefined ? DefaultHistoryLimit : positiveInteger("--limit", options.limit);
  const cursor = options.cursor === undefined ? {} : { cursor: options.cursor };
  const tableOption = options.table === undefined ? "" : ` --table ${options.table}`;
  const onThisPage = options.cursor === undefined ? "" : " on this page";
  if (options.releases === true) {
    if (options.service !== undefined || options.env !== undefined || options.promotions === true) {
      throw new UsageError(
        "--releases lists every release, of every service: leave out --service, --env and --promotions",
      );
    }
    const page = await readPage(() => dependencies.stores(tableName).releases.history({ limit, ...cursor }));
    printPage(page, options, print, {
      empty: `no releases${onThisPage}`,
      table: releaseTable,
      next: `next page: glidepath history --releases --limit ${limit}${tableOption} --cursor ${page.nextCursor}`,
    });
    return;
  }
  const service = options.service;
  if (service === undefined) {
    throw new UsageError(
      "pass --service <name> (with --env or --promotions), or --releases for the releases",
    );
  }
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
  const next = (scope: string, page: HistoryPage<unknown>) =>
    `next page: glidepath history --service ${service} ${scope} --limit ${limit}${tableOption} --cursor ${page.nextCursor}`;
  if (environment === undefined) {
    const page = await readPage(() => stores.promotions.history({ service, limit, ...cursor }));
    printPage(page, options, print, {
      empty: `no promotions of ${service}${onThisPage}`,
      table: promotionTable,
      next: next("--promotions", page),
    });
    return;
  }
  const page = await readPage(() => stores.deployments.history({ service, environment, limit, ...cursor }));
  printPage(page, options, print, {
    empty: `no deployments of ${service} in ${environment}${onThisPage}`,
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

/**
 * A release per row: its services and versions in deployment order, where it got to, each environment's
 * status with the services that did not succeed there, and why it ended so.
 */
function releaseTable(releases: readonly Release[]): string {
  return table(
    ["created", "id", "name", "services", "status", "environments", "reason"],
    releases.map((release) => [
      formatTimestamp(release.createdAt),
      release.id,
      release.name ?? "-",
      release.groups
        .flat()
        .map((service) => `${service}@${release.artifacts[service]?.version ?? "?"}`)
        .join(" "),
      release.status,
      release.environments.map(environmentCell).join(" "),
      release.reason ?? "-",
    ]),
  );
}

/**
 * `staging:FAILED(orders:FAILED,payments:ROLLED_BACK)`: the services that did not succeed, unless every
 * service is where the environment is (all SUCCEEDED, PENDING or NOT_DEPLOYED).
 */
function environmentCell(environment: Release["environments"][number]): string {
  const services = Object.entries(environment.services);
  const detail = services.every(([, status]) => status === environment.status)
    ? []
    : services
        .filter(([, status]) => status !== "SUCCEEDED")
        .map(([service, status]) => `${service}:${status}`);
  return `${environment.name}:${environment.status}${detail.length === 0 ? "" : `(${detail.join(",")})`}`;
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
