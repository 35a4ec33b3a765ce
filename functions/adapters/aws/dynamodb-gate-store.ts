/**
 * Gates on the state table, beside their deployment: pk `DEPLOYMENT#<id>`, sk `GATE#<gateId>`, the Gate's
 * fields, its task token, and its deadline as `closesAt` (`expiresAt` is the table's TTL attribute, set to the
 * deadline plus the retention period). The deployment item's `openGateId` names its most recently opened gate,
 * and its `heldDecision` keeps a human's decision that found no gate open, for the next one.
 */
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import {
  type Gate,
  GateAction,
  type GateDecision,
  GateKind,
  type HeldDecision,
  humanActions,
} from "../../domain/gates.ts";
import type { DecideGateResult, GateStore } from "../../domain/ports/gate-store.ts";
import { deploymentKey, gateKey, ItemType } from "./dynamodb-keys.ts";
import { type DynamoTable, type Item, parseItem, stringOrUndefined } from "./dynamodb-table.ts";
import { TableSchema } from "./table-schema.ts";

const GateDecisionSchema = z.object({
  action: z.enum(Object.values(GateAction) as [GateAction, ...GateAction[]]),
  actor: z.string(),
  at: z.string(),
  reason: z.string().optional(),
});

const HeldDecisionSchema = GateDecisionSchema.extend({
  action: z.enum(humanActions),
  responseUrl: z.string().optional(),
});

const GateItemSchema = z.object({
  deploymentId: z.string(),
  gateId: z.string(),
  kind: z.enum(Object.values(GateKind) as [GateKind, ...GateKind[]]),
  approvers: z.array(z.string()).default([]),
  openedAt: z.string(),
  closesAt: z.string(),
  status: z.enum(["open", "decided"]),
  label: z.string(),
  decision: GateDecisionSchema.optional(),
  taskToken: z.string(),
});

const { partitionKey, timeToLiveAttribute } = TableSchema;

export class DynamoDbGateStore implements GateStore {
  private readonly table: DynamoTable;

  constructor(table: DynamoTable) {
    this.table = table;
  }

  async open(gate: Gate, taskToken: string): Promise<void> {
    const key = gateKey(gate.deploymentId, gate.gateId);
    const opened = await this.table.putIfAbsent({
      ...key,
      itemType: ItemType.Gate,
      ...gate,
      closesAt: gate.expiresAt,
      taskToken,
      [timeToLiveAttribute]: this.table.expiresAt(new Date(gate.expiresAt)),
    });
    if (!opened) {
      // A redelivered task: Step Functions now waits on the new token (a decided gate keeps its record).
      await this.table.updateIf(key, {
        UpdateExpression: "SET #token = :token",
        ConditionExpression: "#status = :open",
        ExpressionAttributeNames: { "#token": "taskToken", "#status": "status" },
        ExpressionAttributeValues: { ":token": taskToken, ":open": "open" },
      });
    }
    await this.table.client.send(
      new UpdateCommand({
        TableName: this.table.tableName,
        Key: deploymentKey(gate.deploymentId),
        UpdateExpression: "SET #gate = :gate",
        ConditionExpression: "attribute_exists(#pk)",
        ExpressionAttributeNames: { "#gate": "openGateId", "#pk": partitionKey },
        ExpressionAttributeValues: { ":gate": gate.gateId },
      }),
    );
  }

  async hold(deploymentId: string, decision: HeldDecision): Promise<boolean> {
    const held = await this.table.updateIf(deploymentKey(deploymentId), {
      UpdateExpression: "SET #held = :held",
      ConditionExpression: "attribute_exists(#pk) AND attribute_not_exists(#held)",
      ExpressionAttributeNames: { "#held": "heldDecision", "#pk": partitionKey },
      ExpressionAttributeValues: { ":held": JSON.parse(JSON.stringify(decision)) as unknown },
    });
    return held !== undefined;
  }

  async takeHeld(deploymentId: string): Promise<HeldDecision | undefined> {
    const before = await this.table.updateIf(deploymentKey(deploymentId), {
      UpdateExpression: "REMOVE #held",
      ConditionExpression: "attribute_exists(#held)",
      ExpressionAttributeNames: { "#held": "heldDecision" },
      ReturnValues: "ALL_OLD",
    });
    if (before === undefined) return undefined;
    return parseItem(HeldDecisionSchema, before.heldDecision as Item, `held decision of ${deploymentId}`);
  }

  async get(deploymentId: string, gateId: string): Promise<Gate | undefined> {
    const item = await this.table.getItem(gateKey(deploymentId, gateId));
    return item === undefined ? undefined : toGate(item).gate;
  }

  async getOpen(deploymentId: string): Promise<Gate | undefined> {
    const deployment = await this.table.getItem(deploymentKey(deploymentId));
    const gateId = stringOrUndefined(deployment?.openGateId);
    if (gateId === undefined) return undefined;
    const gate = await this.get(deploymentId, gateId);
    return gate?.status === "open" ? gate : undefined;
  }

  async decide(deploymentId: string, gateId: string, decision: GateDecision): Promise<DecideGateResult> {
    const decided = await this.table.updateIf(gateKey(deploymentId, gateId), {
      UpdateExpression: "SET #status = :decided, #decision = :decision",
      // An expired gate's task has timed out: nothing waits on its token any more.
      ConditionExpression: "#status = :open AND #closesAt > :now",
      ExpressionAttributeNames: { "#status": "status", "#decision": "decision", "#closesAt": "closesAt" },
      ExpressionAttributeValues: {
        ":now": this.table.clock().toISOString(),
        ":decided": "decided",
        ":open": "open",
        ":decision": JSON.parse(JSON.stringify(decision)) as unknown,
      },
      ReturnValues: "ALL_NEW",
    });
    if (decided === undefined) return { decided: false, gate: await this.get(deploymentId, gateId) };
    const { gate, taskToken } = toGate(decided);
    return { decided: true, taskToken, gate };
  }
}

/** The gate, and apart from it its task token, which never leaves the store except to resolve the task. */
function toGate(item: Record<string, unknown>): { readonly gate: Gate; readonly taskToken: string } {
  const { closesAt, taskToken, decision, ...rest } = parseItem(GateItemSchema, item, "gate");
  return {
    gate: {
      ...rest,
      expiresAt: closesAt,
      ...(decision === undefined ? {} : { decision: compactDecision(decision) }),
    },
    taskToken,
  };
}

function compactDecision(decision: z.output<typeof GateDecisionSchema>): GateDecision {
  return decision.reason === undefined
    ? { action: decision.action, actor: decision.actor, at: decision.at }
    : decision;
}
