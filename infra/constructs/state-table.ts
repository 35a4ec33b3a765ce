import { RemovalPolicy } from "aws-cdk-lib";
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from "aws-cdk-lib/aws-dynamodb";
import { Construct } from "constructs";
import { TableSchema } from "../../functions/adapters/aws/table-schema.ts";

/**
 * The single table that holds deployments, locks, live versions, gates and the decision log. Its keys come from
 * `TableSchema`, which the DynamoDB state store reads too, so the two cannot drift.
 *
 * The table is the audit trail ("why did it roll back?"), so it outlives the stack: deletion protection is on
 * and the removal policy is RETAIN.
 */
export class StateTable extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const { partitionKey, sortKey, historyIndex, timeToLiveAttribute } = TableSchema;

    this.table = new Table(this, "Table", {
      partitionKey: { name: partitionKey, type: AttributeType.STRING },
      sortKey: { name: sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // An AWS managed key rather than the default AWS owned one: every use of the key shows in CloudTrail,
      // without a customer managed key to rotate and pay for.
      encryption: TableEncryption.AWS_MANAGED,
      timeToLiveAttribute,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.table.addGlobalSecondaryIndex({
      indexName: historyIndex.name,
      partitionKey: { name: historyIndex.partitionKey, type: AttributeType.STRING },
      sortKey: { name: historyIndex.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });
  }
}
