import { type AttributeValue, type CreateTableCommandInput, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll } from "vitest";
import { dynamoDbStores } from "../../functions/adapters/aws/dynamodb-stores.ts";
import { TableSchema } from "../../functions/adapters/aws/table-schema.ts";
import type { Stores } from "../../functions/domain/ports/stores.ts";
import { type LocalTable, startDynalite as startLocalDynalite } from "../../local/dynalite.ts";

export type { LocalTable };

export interface StartDynaliteProps {
  /** @default "glidepath-test" */
  readonly tableName?: string;
}

/**
 * The Glidepath table written from TableSchema, for store tests that need no synth. A test asserts that it is
 * exactly what the local runtime reads out of the synthesized template.
 */
export function tableDefinition(tableName: string): CreateTableCommandInput {
  const { partitionKey, sortKey, historyIndex } = TableSchema;
  return {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [partitionKey, sortKey, historyIndex.partitionKey, historyIndex.sortKey].map(
      (name) => ({
        AttributeName: name,
        AttributeType: "S",
      }),
    ),
    KeySchema: [
      { AttributeName: partitionKey, KeyType: "HASH" },
      { AttributeName: sortKey, KeyType: "RANGE" },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: historyIndex.name,
        KeySchema: [
          { AttributeName: historyIndex.partitionKey, KeyType: "HASH" },
          { AttributeName: historyIndex.sortKey, KeyType: "RANGE" },
        ],
        Projection: { ProjectionType: "ALL" },
      },
    ],
  };
}

/** Starts an in-memory dynalite on a free loopback port with the Glidepath table already created. */
export function startDynalite(props: StartDynaliteProps = {}): Promise<LocalTable> {
  return startLocalDynalite(tableDefinition(props.tableName ?? "glidepath-test"));
}

/**
 * One table for the test file, started before its tests and closed after them, and fresh stores on it that
 * read the file's clock.
 */
export function useStoreTable(clock: () => Date): {
  readonly table: () => LocalTable;
  readonly stores: () => Stores;
} {
  let started: LocalTable | undefined;
  beforeAll(async () => {
    started = await startDynalite();
  });
  afterAll(async () => {
    await started?.close();
  });
  const table = () => {
    if (started === undefined) throw new Error("the table is started before the file's tests");
    return started;
  };
  return {
    table,
    stores: () => dynamoDbStores({ client: table().client, tableName: table().tableName, clock }),
  };
}

/** An item exactly as stored, read with the low-level client: for assertions on attributes and their types. */
export async function rawItem(
  table: LocalTable,
  key: Record<string, string>,
): Promise<Record<string, AttributeValue> | undefined> {
  const output = await table.rawClient.send(
    new GetItemCommand({
      TableName: table.tableName,
      Key: Object.fromEntries(Object.entries(key).map(([name, value]) => [name, { S: value }])),
      ConsistentRead: true,
    }),
  );
  return output.Item;
}
