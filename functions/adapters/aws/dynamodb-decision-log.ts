/**
 * The decision log on the state table: pk `DEPLOYMENT#<id>` (or `PROMOTION#<id>` for a promotion's own), sk `DECISION#<at>#<id>` (time first, so a query
 * returns the log in order), the Decision's fields with `values` in their JSON form, and a TTL of `at` plus
 * the retention period. Appending is a conditional put: the same decision twice is one entry.
 */
import { z } from "zod";
import { type Decision, DecisionAction } from "../../domain/deployment.ts";
import type { DecisionLog } from "../../domain/ports/decision-log.ts";
import { DecisionSortKeyPrefix, decisionKey, decisionPartition, ItemType } from "./dynamodb-keys.ts";
import { type DynamoTable, parseItem } from "./dynamodb-table.ts";
import { TableSchema } from "./table-schema.ts";

const actions = Object.values(DecisionAction) as [DecisionAction, ...DecisionAction[]];

const DecisionItemSchema = z.object({
  deploymentId: z.string(),
  id: z.string(),
  at: z.string(),
  action: z.enum(actions),
  actor: z.string(),
  reason: z.string(),
  values: z.record(z.string(), z.unknown()).default({}),
});

const { partitionKey, sortKey, timeToLiveAttribute } = TableSchema;

export class DynamoDbDecisionLog implements DecisionLog {
  private readonly table: DynamoTable;

  constructor(table: DynamoTable) {
    this.table = table;
  }

  async append(decision: Decision): Promise<{ readonly appended: boolean }> {
    const at = new Date(decision.at);
    if (Number.isNaN(at.getTime())) {
      throw new RangeError(`Decision ${decision.id}: at must be an ISO-8601 timestamp, got ${decision.at}.`);
    }
    // Normalised so that every entry sorts by time within the key, whatever offset the caller wrote.
    const atIso = at.toISOString();
    const appended = await this.table.putIfAbsent({
      ...decisionKey(decision.deploymentId, atIso, decision.id),
      itemType: ItemType.Decision,
      deploymentId: decision.deploymentId,
      id: decision.id,
      at: atIso,
      action: decision.action,
      actor: decision.actor,
      reason: decision.reason,
      values: JSON.parse(JSON.stringify(decision.values)) as unknown,
      [timeToLiveAttribute]: this.table.expiresAt(at),
    });
    return { appended };
  }

  async list(id: string): Promise<readonly Decision[]> {
    const items = await this.table.queryAll({
      KeyConditionExpression: "#pk = :pk AND begins_with(#sk, :prefix)",
      ExpressionAttributeNames: { "#pk": partitionKey, "#sk": sortKey },
      ExpressionAttributeValues: { ":pk": decisionPartition(id), ":prefix": DecisionSortKeyPrefix },
      ScanIndexForward: true,
    });
    return items.map((item) => parseItem(DecisionItemSchema, item, "decision"));
  }
}
