import type { DynamoTable, Item } from "./dynamodb-table.ts";

/**
 * A record created once under its deterministic id: a second create of the same id (a redelivered event)
 * writes nothing and returns the stored record, unchanged, with `created: false`.
 */
export async function createOnce<T>(
  table: DynamoTable,
  item: Item,
  record: T,
  stored: () => Promise<T | undefined>,
  what: string,
): Promise<{ readonly record: T; readonly created: boolean }> {
  if (await table.putIfAbsent(item)) return { record, created: true };
  const existing = await stored();
  if (existing === undefined) throw new Error(`${what} exists but cannot be read`);
  return { record: existing, created: false };
}

/** Writes a record decided from revision `revision - 1` only if it is still the stored one's. */
export function saveAtRevision(table: DynamoTable, item: Item, revision: number): Promise<boolean> {
  return table.putIf(item, {
    ConditionExpression: "#revision = :read",
    ExpressionAttributeNames: { "#revision": "revision" },
    ExpressionAttributeValues: { ":read": revision - 1 },
  });
}
