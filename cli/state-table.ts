import { dynamoDbStores } from "../functions/adapters/aws/dynamodb-stores.ts";
import { createDocumentClient } from "../functions/adapters/aws/dynamodb-table.ts";
import type { Stores } from "../functions/domain/ports/stores.ts";
import { UsageError } from "./usage-error.ts";

/** What `history` and `stats` read the state table through; tests pass a dynalite-backed store. */
export interface StateTableDependencies {
  readonly stores: (tableName: string) => Pick<Stores, "deployments" | "promotions" | "releases">;
  /** Where `GLIDEPATH_TABLE` is looked up. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** The deployed table: DynamoDB with the caller's AWS credentials and region. */
export function awsStateTable(
  env: Readonly<Record<string, string | undefined>> = process.env,
): StateTableDependencies {
  return {
    stores: (tableName) => dynamoDbStores({ client: createDocumentClient(), tableName }),
    env,
  };
}

/** `--table`, else `GLIDEPATH_TABLE`, else a usage error saying where the name comes from. */
export function resolveTableName(option: string | undefined, env: StateTableDependencies["env"]): string {
  const name = option ?? env.GLIDEPATH_TABLE;
  if (name === undefined || name.trim() === "") {
    throw new UsageError(
      "no state table: pass --table NAME or set GLIDEPATH_TABLE. The name is the `TableName` output of the " +
        'Glidepath stack (aws cloudformation describe-stacks --stack-name <stack> --query "Stacks[0].Outputs").',
    );
  }
  return name.trim();
}

/** Parses a positive integer option such as `--limit` or `--days`. */
export function positiveInteger(option: string, value: string): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed) || parsed < 1) {
    throw new UsageError(`${option} must be a positive integer, got '${value}'`);
  }
  return parsed;
}
