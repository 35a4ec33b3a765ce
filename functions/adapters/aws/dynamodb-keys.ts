import type { AlarmRef } from "../../domain/ports/alarm-watch-store.ts";
import { TableSchema } from "./table-schema.ts";

export const ItemType = {
  Promotion: "promotion",
  Deployment: "deployment",
  Lock: "lock",
  Gate: "gate",
  Decision: "decision",
  AlarmWatch: "alarm-watch",
  Release: "release",
} as const;

export type ItemType = (typeof ItemType)[keyof typeof ItemType];

export type TableKey = Readonly<Record<typeof TableSchema.partitionKey | typeof TableSchema.sortKey, string>>;

export type HistoryIndexKey = Readonly<
  Record<typeof TableSchema.historyIndex.partitionKey | typeof TableSchema.historyIndex.sortKey, string>
>;

const separator = "#";

/** `#` separates key segments, so a name containing it could collide with another item's key. */
function segment(kind: string, value: string): string {
  if (value.length === 0 || value.includes(separator)) {
    throw new Error(
      `${kind} ${JSON.stringify(value)} cannot be used in a key: it must be non-empty and without "#".`,
    );
  }
  return value;
}

export const DecisionSortKeyPrefix = `DECISION${separator}`;

export function deploymentKey(deploymentId: string): TableKey {
  return {
    [TableSchema.partitionKey]: `DEPLOYMENT#${segment("deployment id", deploymentId)}`,
    [TableSchema.sortKey]: "DEPLOYMENT",
  };
}

export function promotionKey(promotionId: string): TableKey {
  return {
    [TableSchema.partitionKey]: `PROMOTION#${segment("promotion id", promotionId)}`,
    [TableSchema.sortKey]: "PROMOTION",
  };
}

/** One lock per service: a promotion holds it from its first environment to its end. */
export function lockKey(service: string): TableKey {
  return {
    [TableSchema.partitionKey]: `LOCK#${segment("service", service)}`,
    [TableSchema.sortKey]: "LOCK",
  };
}

/** Task tokens live beside their deployment. */
export function gateKey(deploymentId: string, gateId: string): TableKey {
  return {
    [TableSchema.partitionKey]: `DEPLOYMENT#${segment("deployment id", deploymentId)}`,
    [TableSchema.sortKey]: `GATE#${segment("gate id", gateId)}`,
  };
}

/**
 * The partition a decision is logged in: its deployment's, or its promotion's for the decisions a promotion
 * takes between deployments (entering an environment, freeze windows, hooks, its end).
 */
export function decisionPartition(subjectId: string): string {
  return subjectId.startsWith("p-")
    ? `PROMOTION#${segment("promotion id", subjectId)}`
    : `DEPLOYMENT#${segment("deployment id", subjectId)}`;
}

/** `at` first so that a query over the prefix returns the log in time order. */
export function decisionKey(subjectId: string, at: string, decisionId: string): TableKey {
  return {
    [TableSchema.partitionKey]: decisionPartition(subjectId),
    [TableSchema.sortKey]: `${DecisionSortKeyPrefix}${segment("decision time", at)}#${segment("decision id", decisionId)}`,
  };
}

/** A service's promotions, newest first, in the history index beside its deployments' histories. */
export function releaseKey(releaseId: string): TableKey {
  return {
    [TableSchema.partitionKey]: `RELEASE#${segment("release id", releaseId)}`,
    [TableSchema.sortKey]: "RELEASE",
  };
}

/** Every release in one history partition: `glidepath history --releases` lists them newest first. */
export const releaseHistoryPartition = "RELEASES";

export function promotionHistoryPartition(service: string): string {
  return `PROMOTIONS#${segment("service", service)}`;
}

export function historyPartition(service: string, environment: string): string {
  return `HISTORY#${segment("service", service)}#${segment("environment", environment)}`;
}

/** ISO-8601 timestamps sort as strings; the id breaks ties between deployments created in the same millisecond. */
export function historyKey(
  service: string,
  environment: string,
  createdAt: string,
  id: string,
): HistoryIndexKey {
  return historyIndexKey(historyPartition(service, environment), createdAt, id);
}

export function historyIndexKey(partition: string, createdAt: string, id: string): HistoryIndexKey {
  return {
    [TableSchema.historyIndex.partitionKey]: partition,
    [TableSchema.historyIndex.sortKey]: `${createdAt}#${id}`,
  };
}

/** One item per alarm a live deployment watches: an alarm event finds its deployments with one query. */
export function alarmWatchKey(alarm: AlarmRef, deploymentId: string): TableKey {
  return {
    [TableSchema.partitionKey]: alarmWatchPartition(alarm),
    [TableSchema.sortKey]: `DEPLOYMENT#${segment("deployment id", deploymentId)}`,
  };
}

/** `ALARM#<account>#<region>#<name>`: one alarm name may exist in every account and region. */
export function alarmWatchPartition(alarm: AlarmRef): string {
  return `ALARM#${segment("account", alarm.account)}#${segment("region", alarm.region)}#${segment("alarm name", alarm.name)}`;
}
