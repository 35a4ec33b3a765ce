import type { CreateTableCommandInput } from "@aws-sdk/client-dynamodb";
import { TableSchema } from "../../functions/adapters/aws/table-schema.ts";
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
