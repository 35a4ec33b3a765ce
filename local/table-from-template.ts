import type { CreateTableCommandInput } from "@aws-sdk/client-dynamodb";

type Template = {
  readonly Resources: Record<
    string,
    { readonly Type: string; readonly Properties?: Record<string, unknown> }
  >;
};

/**
 * The CreateTable input of the one DynamoDB table in a synthesized template: key schema, attribute definitions
 * and global secondary indexes exactly as `cdk deploy` would create them, so the local table cannot drift
 * from the deployed one. Only what dynalite understands is kept (no SSE, PITR, TTL or deletion protection).
 */
export function tableFromTemplate(template: Template, tableName: string): CreateTableCommandInput {
  const tables = Object.entries(template.Resources).filter(
    ([, resource]) => resource.Type === "AWS::DynamoDB::Table",
  );
  if (tables.length !== 1) {
    throw new Error(`expected exactly one AWS::DynamoDB::Table in the template, found ${tables.length}`);
  }
  const properties = tables[0]?.[1].Properties ?? {};
  const indexes = (properties.GlobalSecondaryIndexes ??
    []) as CreateTableCommandInput["GlobalSecondaryIndexes"];
  return {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: properties.AttributeDefinitions as CreateTableCommandInput["AttributeDefinitions"],
    KeySchema: properties.KeySchema as CreateTableCommandInput["KeySchema"],
    ...(indexes === undefined || indexes.length === 0
      ? {}
      : {
          GlobalSecondaryIndexes: indexes.map(({ IndexName, KeySchema, Projection }) => ({
            IndexName,
            KeySchema,
            Projection,
          })),
        }),
  };
}
