import { DynamoDBClient, type DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  type PutCommandInput,
  QueryCommand,
  type QueryCommandInput,
  type QueryCommandOutput,
  UpdateCommand,
  type UpdateCommandInput,
} from "@aws-sdk/lib-dynamodb";
import type { z } from "zod";
import type { TableKey } from "./dynamodb-keys.ts";
import { awsClientConfig } from "./retry.ts";
import { TableSchema } from "./table-schema.ts";

export const DefaultRetentionDays = 400;

/**
 * A document client for the stores, with every AWS client's retry configuration (`awsClientConfig`: the SDK's
 * standard strategy, which retries throttling and transient errors with backoff; conditional check failures
 * are never retried).
 */
export function createDocumentClient(config: DynamoDBClientConfig = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient({ ...awsClientConfig, ...config }), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

export interface DynamoTableProps {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /**
   * Days a finished record (and each decision) is kept before DynamoDB's TTL deletes it.
   * @default 400
   */
  readonly retentionDays?: number;
  /** @default () => new Date() */
  readonly clock?: () => Date;
}

export type Item = Record<string, unknown>;

/** A PutItem's condition; the table and item come from the caller. */
type ConditionalPut = Pick<
  PutCommandInput,
  "ConditionExpression" | "ExpressionAttributeNames" | "ExpressionAttributeValues"
>;

/** An UpdateItem's expression, condition and return values; the table and key come from the table. */
export type ConditionalUpdate = Omit<UpdateCommandInput, "TableName" | "Key">;

type QueryParams = Pick<
  QueryCommandInput,
  "KeyConditionExpression" | "ExpressionAttributeNames" | "ExpressionAttributeValues" | "ScanIndexForward"
>;

const secondsPerDay = 86_400;

/**
 * A conditional write that failed is followed by a read to explain it; when the item changed in between (a
 * lock freed, a status moved on), the write is tried again this many times in all.
 */
export const maxConditionalAttempts = 3;

/**
 * The one state table and the operations every store is built of: conditional puts and updates, consistent
 * reads and queries, and the TTL every finished item gets. No transactions: dynalite, the local DynamoDB, has
 * none, and every store operation is one conditional write.
 */
export class DynamoTable {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly clock: () => Date;
  private readonly retentionSeconds: number;

  constructor(props: DynamoTableProps) {
    const retentionDays = props.retentionDays ?? DefaultRetentionDays;
    if (!Number.isFinite(retentionDays) || retentionDays <= 0) {
      throw new RangeError(`retentionDays must be a positive number of days, got ${retentionDays}.`);
    }
    this.client = props.client;
    this.tableName = props.tableName;
    this.retentionSeconds = Math.round(retentionDays * secondsPerDay);
    this.clock = props.clock ?? (() => new Date());
  }

  /** Puts an item unless one with its key exists; false when it did. */
  putIfAbsent(item: Item): Promise<boolean> {
    return this.putIf(item, {
      ConditionExpression: "attribute_not_exists(#pk)",
      ExpressionAttributeNames: { "#pk": TableSchema.partitionKey },
    });
  }

  /** One conditional PutItem: false, writing nothing, when the condition did not hold. */
  async putIf(item: Item, condition: ConditionalPut): Promise<boolean> {
    try {
      await this.client.send(new PutCommand({ TableName: this.tableName, Item: item, ...condition }));
      return true;
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      return false;
    }
  }

  /**
   * One conditional UpdateItem: the item's attributes as `ReturnValues` asks, or undefined when the condition
   * did not hold (which callers explain by reading the item).
   */
  async updateIf(key: TableKey, params: ConditionalUpdate): Promise<Item | undefined> {
    try {
      const output = await this.client.send(
        new UpdateCommand({ TableName: this.tableName, Key: key, ...params }),
      );
      return output.Attributes ?? {};
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      return undefined;
    }
  }

  async getItem(key: TableKey): Promise<Item | undefined> {
    const output = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    return output.Item;
  }

  /** Every item a consistent query of the table returns, following its pages. */
  async queryAll(query: QueryParams): Promise<Item[]> {
    const items: Item[] = [];
    let exclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const output: QueryCommandOutput = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          ...query,
          ConsistentRead: true,
          ExclusiveStartKey: exclusiveStartKey,
        }),
      );
      items.push(...(output.Items ?? []));
      exclusiveStartKey = output.LastEvaluatedKey;
    } while (exclusiveStartKey !== undefined);
    return items;
  }

  /** The TTL of an item that ended at `from`: epoch seconds, the retention period later. */
  expiresAt(from: Date): number {
    return Math.floor(from.getTime() / 1000) + this.retentionSeconds;
  }
}

/**
 * Reads an item back through its record's schema: an item that does not match (written by another version,
 * or by hand) fails here, naming the item and the fields, instead of as a wrong value further on.
 */
export function parseItem<T extends z.ZodType>(schema: T, item: Item, what: string): z.output<T> {
  const result = schema.safeParse(item);
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (issue) => `${issue.path.join(".") || "(item)"}: ${issue.message}`,
  );
  throw new Error(`the state table's ${what} item is not a valid record: ${problems.join("; ")}`);
}

export function isConditionalCheckFailed(error: unknown): boolean {
  return error instanceof Error && error.name === "ConditionalCheckFailedException";
}

export function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** Leaves optional fields absent rather than present with `undefined`. */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}
