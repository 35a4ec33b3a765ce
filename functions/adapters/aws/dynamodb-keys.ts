import { TableSchema } from "./table-schema.ts";

export const ItemType = {
  Deployment: "deployment",
  Lock: "lock",
  Gate: "gate",
  Decision: "decision",
  AlarmWatch: "alarm-watch",
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

export function lockKey(service: string, environment: string): TableKey {
  return {
    [TableSchema.partitionKey]: `LOCK#${segment("service", service)}#${segment("environment", environment)}`,
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

/** `at` first so that a query over the prefix returns the log in time order. */
export function decisionKey(deploymentId: string, at: string, decisionId: string): TableKey {
  return {
    [TableSchema.partitionKey]: `DEPLOYMENT#${segment("deployment id", deploymentId)}`,
    [TableSchema.sortKey]: `${DecisionSortKeyPrefix}${segment("decision time", at)}#${segment("decision id", decisionId)}`,
  };
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
  return {
    [TableSchema.historyIndex.partitionKey]: historyPartition(service, environment),
    [TableSchema.historyIndex.sortKey]: `${createdAt}#${id}`,
  };
}

/** One item per alarm a live deployment watches: an alarm event finds its deployments with one query. */
export function alarmWatchKey(alarmName: string, deploymentId: string): TableKey {
  return {
    [TableSchema.partitionKey]: alarmWatchPartition(alarmName),
    [TableSchema.sortKey]: `DEPLOYMENT#${segment("deployment id", deploymentId)}`,
  };
}

export function alarmWatchPartition(alarmName: string): string {
  return `ALARM#${segment("alarm name", alarmName)}`;
}
