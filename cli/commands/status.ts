import { existsSync } from "node:fs";
import { DescribeExecutionCommand, SFNClient } from "@aws-sdk/client-sfn";
import { dynamoDbStores } from "../../functions/adapters/aws/dynamodb-stores.ts";
import { createDocumentClient } from "../../functions/adapters/aws/dynamodb-table.ts";
import type { LocalTable } from "../../local/dynalite.ts";
import { openSavedTable, savedTableFile } from "../../local/saved-table.ts";
import { readLocalRun } from "../local-run.ts";
import { positiveInteger, resolveTableName } from "../state-table.ts";
import { type Block, renderBlocks } from "../status/render.ts";
import { type DescribeExecution, readStatus, type StatusStores } from "../status/snapshot.ts";
import { type StatusView, statusView } from "../status/view.ts";
import { UsageError } from "../usage-error.ts";

export interface StatusOptions {
  readonly watch?: boolean;
  readonly json?: boolean;
  readonly table?: string;
  /** Seconds between reads while watching, as typed. @default "2" */
  readonly interval?: string;
}

export interface StatusDependencies {
  readonly stores: (tableName: string) => StatusStores;
  /** Where `GLIDEPATH_TABLE` and `NO_COLOR` are looked up. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The local run's table name: no `--table` needed. */
  readonly tableName?: string;
  readonly describe?: DescribeExecution;
  /** Standard output is a terminal: `--watch` redraws in place, and statuses are coloured unless NO_COLOR. */
  readonly terminal?: { readonly columns: number; readonly write: (text: string) => void };
  readonly sleep?: (ms: number) => Promise<void>;
  /** Frees what the reads opened (the saved local table's server). */
  readonly close?: () => Promise<void>;
}

/** The deployed control plane: DynamoDB and DescribeExecution with the caller's credentials and region. */
export function awsStatusDependencies(env = process.env): StatusDependencies {
  const sfn = new SFNClient({});
  return {
    stores: (tableName) => dynamoDbStores({ client: createDocumentClient(), tableName }),
    env,
    describe: async (executionArn) => {
      const output = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      return {
        status: output.status ?? "UNKNOWN",
        ...(output.stopDate === undefined ? {} : { stopDate: output.stopDate.toISOString() }),
      };
    },
    ...terminalOf(),
  };
}

/**
 * The local run's table: while `npm start` runs here, its dynalite (and, once it has ended mid-watch, what it
 * left); after it, what the last run left (`.glidepath/table.json`) unless an AWS table is named. Undefined
 * when neither is there.
 */
export function localStatusDependencies(env = process.env): StatusDependencies | undefined {
  const live = readLocalRun()?.table;
  const saved = existsSync(savedTableFile);
  if (live === undefined && (!saved || (env.GLIDEPATH_TABLE ?? "") !== "")) return undefined;
  // Opened only if read: while the run lives, the file it leaves may not exist yet.
  const savedTable = lazySavedStores(savedTableFile);
  const savedStores = savedTable.stores;
  return {
    close: savedTable.close,
    stores: (tableName) => {
      if (live === undefined) return savedStores(tableName);
      const running = dynamoDbStores({
        client: createDocumentClient({
          endpoint: live.endpoint,
          region: "us-east-1",
          credentials: { accessKeyId: "local", secretAccessKey: "local" },
          maxAttempts: 1,
        }),
        tableName,
      });
      return withFallback(running, () => savedStores(tableName));
    },
    env,
    tableName: live?.tableName ?? "glidepath-local",
    ...terminalOf(),
  };
}

function missing(): never {
  throw new UsageError("the local run has ended and left no table (.glidepath/table.json)");
}

/** The saved table, opened (in this process's own dynalite) on first use. */
function lazySavedStores(file: string): {
  readonly stores: (tableName: string) => StatusStores;
  readonly close: () => Promise<void>;
} {
  let table: Promise<LocalTable | undefined> | undefined;
  const stores = (tableName: string): StatusStores =>
    storesThrough(async (call) => {
      table ??= openSavedTable(file);
      const opened = (await table) ?? missing();
      return call(dynamoDbStores({ client: opened.client, tableName }));
    });
  return { stores, close: async () => (await table)?.close() };
}

/**
 * Reads the running local table until its connection is lost (the run ended and closed it: refused when the
 * server is gone, reset or hung up when it closed during a read), then what the run left behind (saved before it closed).
 */
export function withFallback(running: StatusStores, fallback: () => StatusStores): StatusStores {
  let gone = false;
  return storesThrough(async (call) => {
    if (!gone) {
      try {
        return await call(running);
      } catch (error) {
        if (!connectionLost(error)) throw error;
        gone = true;
      }
    }
    return call(fallback());
  });
}

const lostConnectionCodes = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE"]);

/** The error of a request whose server went away: refused, reset mid-read, or the socket closed under it. */
function connectionLost(error: unknown): boolean {
  const { code, message } = error as { code?: string; message?: string };
  return (code !== undefined && lostConnectionCodes.has(code)) || message === "socket hang up";
}

/** The reads of `status`, each made by `read` on the stores it chooses. */
function storesThrough(read: <T>(call: (stores: StatusStores) => Promise<T>) => Promise<T>): StatusStores {
  return {
    promotions: { get: (id) => read((stores) => stores.promotions.get(id)) },
    deployments: { get: (id) => read((stores) => stores.deployments.get(id)) },
    gates: { getOpen: (id) => read((stores) => stores.gates.getOpen(id)) },
    decisions: { list: (id) => read((stores) => stores.decisions.list(id)) },
  };
}

function terminalOf(): Pick<StatusDependencies, "terminal"> {
  if (!process.stdout.isTTY) return {};
  return {
    terminal: {
      columns: process.stdout.columns || 80,
      write: (text) => {
        process.stdout.write(text);
      },
    },
  };
}

/**
 * `glidepath status <promotion-or-deployment-id> [--watch] [--json]`: the tree of the promotion, its
 * environments and waves, and the running wave's phase, last verdict and open gate with the commands that
 * decide it. `--watch` reads again every `--interval` seconds until the promotion ends: on a terminal it
 * redraws the tree in place, elsewhere it prints only the lines that changed (with `--json`, the view again
 * when it changed). Resolves to the exit code: 0, or with `--watch` 0 when it succeeded and 1 otherwise.
 */
export async function statusCommand(
  id: string,
  options: StatusOptions,
  dependencies: StatusDependencies,
  print: (line: string) => void,
): Promise<number> {
  const tableName = dependencies.tableName ?? resolveTableName(options.table, dependencies.env);
  const intervalMs = positiveInteger("--interval", options.interval ?? "2") * 1000;
  const stores = dependencies.stores(tableName);
  const noColor = (dependencies.env.NO_COLOR ?? "") !== "";
  const color = dependencies.terminal !== undefined && !noColor;
  const sleep = dependencies.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
  try {
    return await watchStatus(id, options, dependencies, print, { stores, intervalMs, color, sleep });
  } finally {
    await dependencies.close?.();
  }
}

async function watchStatus(
  id: string,
  options: StatusOptions,
  dependencies: StatusDependencies,
  print: (line: string) => void,
  run: {
    readonly stores: StatusStores;
    readonly intervalMs: number;
    readonly color: boolean;
    readonly sleep: (ms: number) => Promise<void>;
  },
): Promise<number> {
  const { stores, intervalMs, color, sleep } = run;
  let shown: readonly string[] = [];
  let drawnRows = 0;
  for (;;) {
    const view = statusView(await readStatus(id, stores, dependencies.describe));
    const blocks: readonly Block[] = options.json
      ? [{ lines: [JSON.stringify(view)] }]
      : renderBlocks(view, { color });
    const lines = blocks.flatMap((block) => block.lines);
    if (!options.watch) {
      for (const line of lines) print(line);
      return 0;
    }
    const terminal = dependencies.terminal;
    if (terminal !== undefined && !options.json) {
      // Up to the first line drawn last time, clear to the end, draw again.
      terminal.write(`${drawnRows > 0 ? `\u001b[${drawnRows}F\u001b[J` : ""}${lines.join("\n")}\n`);
      drawnRows = lines.reduce((rows, line) => rows + rowsOf(line, terminal.columns), 0);
    } else if (options.json) {
      if (!sameView(shown[0], view)) print(lines[0] ?? "");
    } else {
      // Off a terminal, a block is printed again when it changed (a wave with its step, a phase with its last
      // verdict, a gate with its commands), after the line of the wave it belongs to.
      const before = new Set(shown);
      const printed = new Set<string>();
      const out = (line: string) => {
        printed.add(line);
        print(line);
      };
      for (const block of blocks) {
        if (block.lines.every((line) => before.has(line))) continue;
        if (block.under !== undefined && !printed.has(block.under)) out(block.under);
        for (const line of block.lines) out(line);
      }
    }
    shown = lines;
    if (view.ended) return view.succeeded ? 0 : 1;
    await sleep(intervalMs);
  }
}

/** Whether a view printed before says the same as this one (the time it was read aside). */
function sameView(before: string | undefined, view: StatusView): boolean {
  if (before === undefined) return false;
  const { readAt: _, ...rest } = view;
  const { readAt: __, ...previous } = JSON.parse(before) as StatusView;
  return JSON.stringify(previous) === JSON.stringify(rest);
}

/** Terminal rows a line takes, its colour codes aside. */
function rowsOf(line: string, columns: number): number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes
  const visible = line.replace(/\u001b\[[0-9;]*m/g, "").length;
  return Math.max(1, Math.ceil(visible / Math.max(columns, 1)));
}
