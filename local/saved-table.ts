import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import {
  type AttributeValue,
  BatchWriteItemCommand,
  type CreateTableCommandInput,
  ScanCommand,
} from "@aws-sdk/client-dynamodb";
import { type LocalTable, startDynalite } from "./dynalite.ts";

/** Where a local run leaves its state table when it ends, for `glidepath status` and `history` afterwards. */
export const savedTableFile = ".glidepath/table.json";

export interface SavedTable {
  readonly savedAt: string;
  readonly definition: CreateTableCommandInput;
  readonly items: readonly Record<string, AttributeValue>[];
}

/**
 * Writes every item of the run's table, as stored, with the table's definition: written to a temporary file
 * and renamed, so a reader never sees half of it.
 */
export async function saveTable(
  table: Pick<LocalTable, "rawClient" | "tableName">,
  definition: CreateTableCommandInput,
  file = savedTableFile,
): Promise<void> {
  const items: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await table.rawClient.send(
      new ScanCommand({
        TableName: table.tableName,
        ...(start === undefined ? {} : { ExclusiveStartKey: start }),
      }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  const saved: SavedTable = { savedAt: new Date().toISOString(), definition, items };
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, JSON.stringify(saved));
  renameSync(`${file}.tmp`, file);
}

/** What the last local run left; throws when it left nothing readable. */
export function readSavedTable(file = savedTableFile): SavedTable {
  return JSON.parse(readFileSync(file, "utf8")) as SavedTable;
}

/** Writes saved items into a table of the same definition. */
export async function loadItems(
  table: Pick<LocalTable, "rawClient" | "tableName">,
  items: SavedTable["items"],
): Promise<void> {
  for (let at = 0; at < items.length; at += 25) {
    await table.rawClient.send(
      new BatchWriteItemCommand({
        RequestItems: {
          [table.tableName]: items.slice(at, at + 25).map((Item) => ({ PutRequest: { Item } })),
        },
      }),
    );
  }
}

/** A dynalite table holding what the last local run left (`saveTable`); undefined when none did. */
export async function openSavedTable(file = savedTableFile): Promise<LocalTable | undefined> {
  let saved: SavedTable;
  try {
    saved = readSavedTable(file);
  } catch {
    return undefined;
  }
  const table = await startDynalite(saved.definition);
  await loadItems(table, saved.items);
  return table;
}
