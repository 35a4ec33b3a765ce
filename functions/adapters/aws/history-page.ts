import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import { InvalidCursorError } from "../../domain/errors.ts";
import type { HistoryPage } from "../../domain/ports/deployment-store.ts";
import { compact, type DynamoTable, type Item } from "./dynamodb-table.ts";
import { TableSchema } from "./table-schema.ts";

const { partitionKey, sortKey, historyIndex } = TableSchema;
const historyKeyAttributes = [
  partitionKey,
  sortKey,
  historyIndex.partitionKey,
  historyIndex.sortKey,
] as const;

/**
 * One page of a history partition of the history index, newest first, and an opaque cursor for the next.
 * Deployments (per service and environment) and promotions (per service) each have their own partitions.
 */
export async function historyPage<T>(
  table: DynamoTable,
  query: { readonly partition: string; readonly limit: number; readonly cursor?: string | undefined },
  read: (item: Item) => T,
): Promise<HistoryPage<T>> {
  if (!Number.isInteger(query.limit) || query.limit < 1) {
    throw new RangeError(`limit must be a positive integer, got ${query.limit}.`);
  }
  const output = await table.client.send(
    new QueryCommand({
      TableName: table.tableName,
      IndexName: historyIndex.name,
      KeyConditionExpression: "#gpk = :gpk",
      ExpressionAttributeNames: { "#gpk": historyIndex.partitionKey },
      ExpressionAttributeValues: { ":gpk": query.partition },
      ScanIndexForward: false,
      // One more than asked tells whether another page exists, so the last page never comes back empty.
      Limit: query.limit + 1,
      ExclusiveStartKey: query.cursor === undefined ? undefined : decodeCursor(query.cursor, query.partition),
    }),
  );
  const items = output.Items ?? [];
  const page = items.slice(0, query.limit);
  const last = page.at(-1);
  const nextKey =
    items.length > query.limit && last !== undefined ? historyPageKey(last) : output.LastEvaluatedKey;
  return compact({
    items: page.map(read),
    nextCursor: nextKey === undefined ? undefined : encodeCursor(nextKey),
  });
}

/** The key DynamoDB would return as LastEvaluatedKey for a query on the history index ending at `item`. */
function historyPageKey(item: Item): Item {
  return Object.fromEntries(historyKeyAttributes.map((attribute) => [attribute, item[attribute]]));
}

function encodeCursor(key: Item): string {
  return Buffer.from(JSON.stringify(key), "utf8").toString("base64url");
}

function decodeCursor(cursor: string, partition: string): Item {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw new InvalidCursorError(cursor, "it is not a cursor returned by a history query");
  }
  if (typeof key !== "object" || key === null || Array.isArray(key)) {
    throw new InvalidCursorError(cursor, "it is not a cursor returned by a history query");
  }
  const fields = key as Item;
  const names = Object.keys(fields).sort();
  const expected = [...historyKeyAttributes].sort();
  const wellFormed =
    names.length === expected.length &&
    names.every((name, index) => name === expected[index] && typeof fields[name] === "string");
  if (!wellFormed) throw new InvalidCursorError(cursor, "it is not a cursor returned by a history query");
  if (fields[historyIndex.partitionKey] !== partition) {
    throw new InvalidCursorError(cursor, "it belongs to the history of another service or environment");
  }
  return fields;
}
