import type { Stores } from "../../domain/ports/stores.ts";
import { DynamoDbAlarmWatchStore } from "./dynamodb-alarm-watch-store.ts";
import { DynamoDbDecisionLog } from "./dynamodb-decision-log.ts";
import { DynamoDbDeploymentStore } from "./dynamodb-deployment-store.ts";
import { DynamoDbGateStore } from "./dynamodb-gate-store.ts";
import { DynamoDbPromotionStore } from "./dynamodb-promotion-store.ts";
import { DynamoDbReleaseStore } from "./dynamodb-release-store.ts";
import { DynamoTable, type DynamoTableProps } from "./dynamodb-table.ts";

/**
 * Every store on the one state table. Key names are in table-schema.ts, each item's keys in
 * dynamodb-keys.ts, and each store's file says what its items hold.
 */
export function dynamoDbStores(props: DynamoTableProps): Stores {
  const table = new DynamoTable(props);
  return {
    promotions: new DynamoDbPromotionStore(table),
    releases: new DynamoDbReleaseStore(table),
    deployments: new DynamoDbDeploymentStore(table),
    gates: new DynamoDbGateStore(table),
    decisions: new DynamoDbDecisionLog(table),
    alarmWatches: new DynamoDbAlarmWatchStore(table),
  };
}
