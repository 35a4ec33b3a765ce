/**
 * Alarm watches on the state table: one item per alarm a live deployment watches, pk `ALARM#<name>`, sk
 * `DEPLOYMENT#<id>`, so an alarm event finds its deployments with one query.
 */
import { DeleteCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import type { AlarmWatchStore } from "../../domain/ports/alarm-watch-store.ts";
import { alarmWatchKey, alarmWatchPartition, ItemType } from "./dynamodb-keys.ts";
import { type DynamoTable, parseItem } from "./dynamodb-table.ts";
import { TableSchema } from "./table-schema.ts";

const AlarmWatchItemSchema = z.object({ alarmName: z.string(), deploymentId: z.string() });

export class DynamoDbAlarmWatchStore implements AlarmWatchStore {
  private readonly table: DynamoTable;

  constructor(table: DynamoTable) {
    this.table = table;
  }

  async watch(deploymentId: string, alarmNames: readonly string[]): Promise<void> {
    for (const name of alarmNames) {
      await this.table.client.send(
        new PutCommand({
          TableName: this.table.tableName,
          Item: {
            ...alarmWatchKey(name, deploymentId),
            itemType: ItemType.AlarmWatch,
            alarmName: name,
            deploymentId,
          },
        }),
      );
    }
  }

  async unwatch(deploymentId: string, alarmNames: readonly string[]): Promise<void> {
    for (const name of alarmNames) {
      await this.table.client.send(
        new DeleteCommand({ TableName: this.table.tableName, Key: alarmWatchKey(name, deploymentId) }),
      );
    }
  }

  async watching(alarmName: string): Promise<readonly string[]> {
    const items = await this.table.queryAll({
      KeyConditionExpression: "#pk = :pk",
      ExpressionAttributeNames: { "#pk": TableSchema.partitionKey },
      ExpressionAttributeValues: { ":pk": alarmWatchPartition(alarmName) },
    });
    return items.map((item) => parseItem(AlarmWatchItemSchema, item, "alarm watch").deploymentId);
  }
}
