import { Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { AwsSolutionsChecks } from "cdk-nag";
import { beforeAll, describe, expect, it } from "vitest";
import { TableSchema } from "../../functions/adapters/aws/table-schema.ts";
import { StateTable } from "../../infra/constructs/state-table.ts";
import { useTestApps } from "../helpers/synth.ts";

describe("StateTable", () => {
  const newApp = useTestApps();
  let stack: Stack;
  let template: Template;

  beforeAll(() => {
    stack = new Stack(newApp(), "TableTest");
    new StateTable(stack, "State");
    template = Template.fromStack(stack);
  });

  it("keys the table and its history index with TableSchema's attribute names", () => {
    // Prepare: the table synthesized once for this file

    // Act
    const tables = template.findResources("AWS::DynamoDB::Table");

    // Assess
    expect(Object.keys(tables)).toHaveLength(1);
    template.hasResourceProperties("AWS::DynamoDB::Table", {
      KeySchema: [
        { AttributeName: TableSchema.partitionKey, KeyType: "HASH" },
        { AttributeName: TableSchema.sortKey, KeyType: "RANGE" },
      ],
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: TableSchema.partitionKey, AttributeType: "S" },
        { AttributeName: TableSchema.sortKey, AttributeType: "S" },
        { AttributeName: TableSchema.historyIndex.partitionKey, AttributeType: "S" },
        { AttributeName: TableSchema.historyIndex.sortKey, AttributeType: "S" },
      ]),
      GlobalSecondaryIndexes: [
        {
          IndexName: TableSchema.historyIndex.name,
          KeySchema: [
            { AttributeName: TableSchema.historyIndex.partitionKey, KeyType: "HASH" },
            { AttributeName: TableSchema.historyIndex.sortKey, KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "ALL" },
        },
      ],
    });
  });

  it("bills per request and expires items by the TTL attribute", () => {
    // Prepare: the table synthesized once for this file

    // Act
    const expected = {
      BillingMode: "PAY_PER_REQUEST",
      TimeToLiveSpecification: { AttributeName: TableSchema.timeToLiveAttribute, Enabled: true },
    };

    // Assess
    template.hasResourceProperties("AWS::DynamoDB::Table", expected);
    template.hasResourceProperties("AWS::DynamoDB::Table", {
      ProvisionedThroughput: Match.absent(),
    });
  });

  it("protects the data: point-in-time recovery, KMS encryption, deletion protection, retained on delete", () => {
    // Prepare: the table synthesized once for this file

    // Act
    const expected = {
      Properties: {
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        // SSEEnabled without a key ARN is the AWS managed key aws/dynamodb.
        SSESpecification: { SSEEnabled: true, KMSMasterKeyId: Match.absent() },
        DeletionProtectionEnabled: true,
      },
      DeletionPolicy: "Retain",
      UpdateReplacePolicy: "Retain",
    };

    // Assess
    template.hasResource("AWS::DynamoDB::Table", expected);
  });

  it("has no unacknowledged cdk-nag AwsSolutions findings", () => {
    // Prepare
    const checks = new AwsSolutionsChecks();

    // Act
    const { violations } = checks.validateScope(stack);

    // Assess
    expect(violations).toEqual([]);
  });
});
