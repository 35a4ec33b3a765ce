import type { Deployment } from "../../functions/domain/deployment.ts";
import { InvalidCursorError } from "../../functions/domain/errors.ts";
import type { HistoryPage } from "../../functions/domain/ports/deployment-store.ts";
import { table } from "../format.ts";
import { positiveInteger, resolveTableName, type StateTableDependencies } from "../state-table.ts";
import { UsageError } from "../usage-error.ts";

export const DefaultHistoryLimit = 20;

export interface HistoryOptions {
  readonly service: string;
  readonly env: string;
  /** A positive integer, as typed. @default "20" */
  readonly limit?: string;
  readonly cursor?: string;
  readonly table?: string;
  readonly json?: boolean;
}

/**
 * `glidepath history --service S --env E`: one page of deployments, newest first, and the `--cursor` of the
 * next page. With `--json` the last line is `{ items, nextCursor }` (`nextCursor` is null on the last page).
 */
export async function historyCommand(
  options: HistoryOptions,
  dependencies: StateTableDependencies,
  print: (line: string) => void,
): Promise<void> {
  const tableName = resolveTableName(options.table, dependencies.env);
  const limit = options.limit === undefined ? DefaultHistoryLimit : positiveInteger("--limit", options.limit);
  const stores = dependencies.stores(tableName);
  let page: HistoryPage<Deployment>;
  try {
    page = await stores.deployments.history({
      service: options.service,
      environment: options.env,
      limit,
      ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
    });
  } catch (error) {
    if (error instanceof InvalidCursorError) throw new UsageError(error.message);
    throw error;
  }
  if (options.json) {
    print(JSON.stringify({ items: page.items, nextCursor: page.nextCursor ?? null }));
    return;
  }
  if (page.items.length === 0) {
    print(
      `no deployments of ${options.service} in ${options.env}${options.cursor === undefined ? "" : " on this page"}`,
    );
    return;
  }
  // Region waves: a column for the region, only when the environment has several.
  const waves = page.items.some((deployment) => deployment.region !== undefined);
  print(
    table(
      ["created", "id", ...(waves ? ["region"] : []), "version", "strategy", "status", "reason"],
      page.items.map((deployment) => row(deployment, waves)),
    ),
  );
  if (page.nextCursor === undefined) {
    print("(last page)");
    return;
  }
  const tableOption = options.table === undefined ? "" : ` --table ${options.table}`;
  print(
    `next page: glidepath history --service ${options.service} --env ${options.env} --limit ${limit}${tableOption} --cursor ${page.nextCursor}`,
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
