/**
 * Alarm watches on the state table: one item per alarm a live deployment watches, pk
 * `ALARM#<account>#<region>#<name>`, sk
 * `DEPLOYMENT#<id>`, so an alarm event finds its deployments with one query.
 */
import { DeleteCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import type { AlarmRef, AlarmWatchStore } from "../../domain/ports/alarm-watch-store.ts";
import { alarmWatchKey, alarmWatchPartition, ItemType } from "./dynamodb-keys.ts";
import { type DynamoTable, parseItem } from "./dynamodb-table.ts";
import { TableSchema } from "./table-schema.ts";

const AlarmWatchItemSchema = z.object({ alarmName: z.string(), deploymentId: z.string() });

export class DynamoDbAlarmWatchStore implements AlarmWatchStore {
  private readonly table: DynamoTable;

  constructor(table: DynamoTable) {
    this.table = table;
  }

  async watch(deploymentId: string, alarms: readonly AlarmRef[]): Promise<void> {
    for (const alarm of alarms) {
      await this.table.client.send(
        new PutCommand({
          TableName: this.table.tableName,
          Item: {
            ...alarmWatchKey(alarm, deploymentId),
            itemType: ItemType.AlarmWatch,
            alarmName: alarm.name,
            deploymentId,
          },
        }),
      );
    }
  }

  async unwatch(deploymentId: string, alarms: readonly AlarmRef[]): Promise<void> {
    for (const alarm of alarms) {
      await this.table.client.send(
        new DeleteCommand({ TableName: this.table.tableName, Key: alarmWatchKey(alarm, deploymentId) }),
      );
    }
  }

  async watching(alarm: AlarmRef): Promise<readonly string[]> {
    const items = await this.table.queryAll({
      KeyConditionExpression: "#pk = :pk",
      ExpressionAttributeNames: { "#pk": TableSchema.partitionKey },
      ExpressionAttributeValues: { ":pk": alarmWatchPartition(alarm) },
    });
    return items.map((item) => parseItem(AlarmWatchItemSchema, item, "alarm watch").deploymentId);
  }
}
