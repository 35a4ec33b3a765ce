/**
 * The StateStore on one DynamoDB table (key names from TableSchema).
 *
 * | item       | pk                   | sk                 | gsi1pk / gsi1sk                            | expiresAt                     |
 * |------------|----------------------|--------------------|--------------------------------------------|-------------------------------|
 * | deployment | DEPLOYMENT#<id>      | DEPLOYMENT         | HISTORY#<service>#<env> / <createdAt>#<id> | on reaching a terminal status |
 * | lock       | LOCK#<service>#<env> | LOCK               | —                                          | never                         |
 * | gate       | DEPLOYMENT#<id>      | GATE#<gateId>      | —                                          | reserved: the gates adapter   |
 * | decision   | DEPLOYMENT#<id>      | DECISION#<at>#<id> | —                                          | `at` + retention              |
 *
 * Every item carries `itemType` (deployment, lock, gate, decision). Only deployments are in gsi1, so the
 * index is exactly the per service+environment history. Names used in keys may not contain `#`.
 *
 * - deployment: the Deployment record's fields as top-level attributes. Created with a conditional put
 *   (idempotent by its deterministic id); each transition is one UpdateItem conditioned on the current
 *   status being a legal predecessor, so concurrent writers cannot skip or repeat a step.
 * - lock: `holder` (deployment id, absent when free), `acquiredAt`, `liveVersion` (version serving the
 *   environment), `releasedBy` (last releaser, so a redelivered release is a no-op), `queued` and
 *   `queuedOrder` (the one deployment waiting, and the order that lets only a newer artifact replace it),
 *   `updatedAt`.
 *
 * Races the lock's single conditional writes close, each on the one lock item, so DynamoDB serialises them:
 * - two acquires: one wins, the other learns the holder;
 * - many enqueues at once: each replaces the waiting deployment only if it is newer, and learns whom it
 *   replaced (or that it lost), so every loser is reported exactly once;
 * - an enqueue against a release: the enqueue reports the lock free, and its caller takes the queue;
 * - a release followed by the hand-over: a lock with a waiting deployment refuses newcomers even without a
 *   holder, and `takeQueued` moves `queued` to `holder` in the same write, so nothing jumps the queue;
 * - an enqueue against a hand-over: either the waiting one was handed the lock before (and is not
 *   superseded) or it was replaced before (and can no longer be handed the lock).
 * - decision: the Decision's fields; `values` is stored in its JSON form.
 *
 * No transactions: dynalite, the local DynamoDB, has none, and every operation here is one conditional write.
 * expiresAt is epoch seconds, the table's TTL attribute; live deployments and locks never expire.
 */
import { DynamoDBClient, type DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  type QueryCommandOutput,
  UpdateCommand,
  type UpdateCommandInput,
} from "@aws-sdk/lib-dynamodb";
import {
  allStatuses,
  canTransition,
  type Decision,
  type Deployment,
  DeploymentStatus,
  deploymentId,
  isTerminal,
  nextStatuses,
  predecessorsOf,
} from "../../domain/deployment.ts";
import {
  DeploymentNotFoundError,
  IllegalTransitionError,
  InvalidCursorError,
  LockNotHeldError,
} from "../../domain/errors.ts";
import type { Gate, GateDecision } from "../../domain/gates.ts";
import type {
  AcquireLockResult,
  CreateDeploymentInput,
  CreateDeploymentResult,
  EnqueueRequest,
  EnqueueResult,
  HistoryPage,
  HistoryQuery,
  LockRelease,
  LockRequest,
  LockState,
  ProgressPatch,
  StateStore,
  TransitionPatch,
} from "../../domain/ports/state-store.ts";
import {
  alarmWatchKey,
  alarmWatchPartition,
  DecisionSortKeyPrefix,
  decisionKey,
  deploymentKey,
  gateKey,
  historyKey,
  historyPartition,
  ItemType,
  lockKey,
  type TableKey,
} from "./dynamodb-keys.ts";
import { TableSchema } from "./table-schema.ts";

export interface DynamoDbStateStoreProps {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /**
   * Days a finished deployment (and each decision) is kept before DynamoDB's TTL deletes it.
   * @default 400
   */
  readonly retentionDays?: number;
  /** @default () => new Date() */
  readonly clock?: () => Date;
}

export const DefaultRetentionDays = 400;

/** @default 5 attempts: the SDK's standard retry strategy backs off on throttling between them. */
export const DefaultMaxAttempts = 5;

/**
 * A document client for the store. `maxAttempts` bounds the standard retry strategy, which retries
 * throttling and transient errors with backoff; conditional check failures are never retried.
 */
export function createDocumentClient(config: DynamoDBClientConfig = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(
    new DynamoDBClient({ maxAttempts: DefaultMaxAttempts, retryMode: "standard", ...config }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
}

type Item = Record<string, unknown>;

/** An UpdateItem's expression, condition and return values; the table and key come from the store. */
type ConditionalUpdate = Omit<UpdateCommandInput, "TableName" | "Key">;

const secondsPerDay = 86_400;

/**
 * A conditional write that failed is followed by a read to explain it; when the item changed in between (a
 * lock freed, a status moved on), the write is tried again this many times in all.
 */
const maxConditionalAttempts = 3;

const { partitionKey, sortKey, timeToLiveAttribute } = TableSchema;
const historyIndex = TableSchema.historyIndex;

export class DynamoDbStateStore implements StateStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly retentionSeconds: number;
  private readonly clock: () => Date;

  constructor(props: DynamoDbStateStoreProps) {
    const retentionDays = props.retentionDays ?? DefaultRetentionDays;
    if (!Number.isFinite(retentionDays) || retentionDays <= 0) {
      throw new RangeError(`retentionDays must be a positive number of days, got ${retentionDays}.`);
    }
    this.client = props.client;
    this.tableName = props.tableName;
    this.retentionSeconds = Math.round(retentionDays * secondsPerDay);
    this.clock = props.clock ?? (() => new Date());
  }

  async createDeployment(input: CreateDeploymentInput): Promise<CreateDeploymentResult> {
    const attempt = input.attempt ?? 1;
    const id = deploymentId({
      service: input.service,
      environment: input.environment,
      digest: input.artifact.digest,
      attempt,
      ...(input.region === undefined ? {} : { region: input.region }),
    });
    const now = this.clock().toISOString();
    const deployment: Deployment = {
      id,
      service: input.service,
      environment: input.environment,
      artifact: { uri: input.artifact.uri, digest: input.artifact.digest, version: input.artifact.version },
      strategy: input.strategy,
      status: DeploymentStatus.Queued,
      weights: input.weights ?? { old: 100, new: 0 },
      createdAt: now,
      updatedAt: now,
      approvals: [],
      attempt,
      ...(input.region === undefined ? {} : { region: input.region }),
      ...(input.promotionId === undefined ? {} : { promotionId: input.promotionId }),
    };
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...deploymentKey(id),
            ...historyKey(deployment.service, deployment.environment, deployment.createdAt, id),
            itemType: ItemType.Deployment,
            ...deployment,
          },
          ConditionExpression: "attribute_not_exists(#pk)",
          ExpressionAttributeNames: { "#pk": partitionKey },
        }),
      );
      return { deployment, created: true };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      const existing = await this.getDeployment(id);
      if (existing === undefined) throw error;
      return { deployment: existing, created: false };
    }
  }

  async getDeployment(id: string): Promise<Deployment | undefined> {
    const item = await this.getItem(deploymentKey(id));
    return item === undefined ? undefined : toDeployment(item);
  }

  async transition(id: string, to: DeploymentStatus, patch: TransitionPatch = {}): Promise<Deployment> {
    const predecessors = predecessorsOf(to);
    for (let attempt = 1; attempt <= maxConditionalAttempts; attempt++) {
      if (predecessors.length > 0) {
        const updated = await this.updateIf(
          deploymentKey(id),
          this.transitionUpdate(to, predecessors, patch),
        );
        if (updated !== undefined) return toDeployment(updated);
      }
      const current = await this.getDeployment(id);
      if (current === undefined) throw new DeploymentNotFoundError(id);
      // Step Functions delivers at least once: the same transition arriving again changes nothing.
      if (current.status === to && predecessors.length > 0) return current;
      if (!canTransition(current.status, to)) {
        throw new IllegalTransitionError(id, current.status, to, nextStatuses(current.status));
      }
    }
    throw new Error(`Deployment ${id} kept changing status while moving to ${to}; retry the transition.`);
  }

  async recordProgress(id: string, patch: ProgressPatch): Promise<Deployment> {
    const update = new UpdateBuilder().set("updatedAt", this.clock().toISOString());
    applyProgress(update, patch);
    const live = allStatuses.filter((status) => !isTerminal(status));
    const statusIsLive = `#status IN (${live.map((status, index) => update.bindValue(`live${index}`, status)).join(", ")})`;
    update.name("status");
    const updated = await this.updateIf(deploymentKey(id), {
      ...update.build(),
      ConditionExpression: statusIsLive,
      ReturnValues: "ALL_NEW",
    });
    if (updated !== undefined) return toDeployment(updated);
    const current = await this.getDeployment(id);
    if (current === undefined) throw new DeploymentNotFoundError(id);
    throw new IllegalTransitionError(id, current.status, current.status, nextStatuses(current.status));
  }

  async acquireLock(request: LockRequest): Promise<AcquireLockResult> {
    const key = lockKey(request.service, request.environment);
    for (let attempt = 1; attempt <= maxConditionalAttempts; attempt++) {
      const now = this.clock().toISOString();
      const update = new UpdateBuilder()
        .set("itemType", ItemType.Lock)
        .set("service", request.service)
        .set("environment", request.environment)
        .set("holder", request.deploymentId)
        .setIfNotExists("acquiredAt", now)
        .set("updatedAt", now);
      // Re-entrant, so that a retried acquire by the holder succeeds. A waiting deployment owns a free lock.
      const holderIsFreeOrMe = `(attribute_not_exists(#holder) AND attribute_not_exists(${update.name("queued")})) OR #holder = ${update.value("holder")}`;
      const acquired = await this.updateIf(key, { ...update.build(), ConditionExpression: holderIsFreeOrMe });
      if (acquired !== undefined) return { acquired: true };
      const item = await this.getItem(key);
      const holder = stringOrUndefined(item?.holder);
      const queued = stringOrUndefined(item?.queued);
      if (holder !== undefined && holder !== request.deploymentId) {
        return compact({ acquired: false as const, holder, queued });
      }
      if (holder === undefined && queued !== undefined) return { acquired: false, queued };
    }
    throw new Error(
      `The lock of ${request.service}/${request.environment} kept changing hands while ${request.deploymentId} tried to acquire it; retry.`,
    );
  }

  async releaseLock(release: LockRelease): Promise<void> {
    const key = lockKey(release.service, release.environment);
    const update = new UpdateBuilder()
      .set("releasedBy", release.deploymentId)
      .set("updatedAt", this.clock().toISOString())
      .remove("holder")
      .remove("acquiredAt");
    if (release.liveVersion !== undefined) update.set("liveVersion", release.liveVersion);
    const holderIsMe = `#holder = ${update.value("releasedBy")}`;
    const released = await this.updateIf(key, { ...update.build(), ConditionExpression: holderIsMe });
    if (released !== undefined) return;
    const item = await this.getItem(key);
    // A redelivered release of a lock this deployment already gave up.
    if (item?.releasedBy === release.deploymentId) return;
    throw new LockNotHeldError(
      release.service,
      release.environment,
      release.deploymentId,
      stringOrUndefined(item?.holder),
    );
  }

  async enqueue(request: EnqueueRequest): Promise<EnqueueResult> {
    const key = lockKey(request.service, request.environment);
    for (let attempt = 1; attempt <= maxConditionalAttempts; attempt++) {
      const update = new UpdateBuilder()
        .set("itemType", ItemType.Lock)
        .set("service", request.service)
        .set("environment", request.environment)
        .set("queued", request.deploymentId)
        .set("queuedOrder", request.order)
        .set("updatedAt", this.clock().toISOString());
      const newerThanWaiting = `(attribute_not_exists(#queuedOrder) OR #queuedOrder < ${update.value("queuedOrder")})`;
      const notTheHolder = `(attribute_not_exists(${update.name("holder")}) OR #holder <> ${update.value("queued")})`;
      const before = await this.updateIf(key, {
        ...update.build(),
        ConditionExpression: `${newerThanWaiting} AND ${notTheHolder}`,
        ReturnValues: "ALL_OLD",
      });
      if (before !== undefined) {
        const previous = stringOrUndefined(before.queued);
        return compact({
          superseded: previous === request.deploymentId ? undefined : previous,
          holder: stringOrUndefined(before.holder),
        });
      }
      const item = await this.getItem(key);
      const holder = stringOrUndefined(item?.holder);
      if (holder === request.deploymentId) return { holder };
      if (item?.queued === request.deploymentId) return compact({ holder });
      const waitingOrder = stringOrUndefined(item?.queuedOrder);
      if (waitingOrder !== undefined && waitingOrder >= request.order) {
        return compact({ superseded: request.deploymentId, holder });
      }
    }
    throw new Error(
      `The queue of ${request.service}/${request.environment} kept changing while ${request.deploymentId} tried to join it; retry.`,
    );
  }

  async takeQueued(lock: {
    readonly service: string;
    readonly environment: string;
  }): Promise<string | undefined> {
    const now = this.clock().toISOString();
    const taken = await this.updateIf(lockKey(lock.service, lock.environment), {
      UpdateExpression:
        "SET #holder = #queued, #acquiredAt = :now, #updatedAt = :now REMOVE #queued, #queuedOrder",
      ConditionExpression: "attribute_not_exists(#holder) AND attribute_exists(#queued)",
      ExpressionAttributeNames: {
        "#holder": "holder",
        "#queued": "queued",
        "#queuedOrder": "queuedOrder",
        "#acquiredAt": "acquiredAt",
        "#updatedAt": "updatedAt",
      },
      ExpressionAttributeValues: { ":now": now },
      ReturnValues: "ALL_NEW",
    });
    return stringOrUndefined(taken?.holder);
  }

  async getLock(service: string, environment: string): Promise<LockState> {
    const item = await this.getItem(lockKey(service, environment));
    return compact({
      holder: stringOrUndefined(item?.holder),
      acquiredAt: stringOrUndefined(item?.acquiredAt),
      liveVersion: stringOrUndefined(item?.liveVersion),
      queued: stringOrUndefined(item?.queued),
    });
  }

  async appendDecision(decision: Decision): Promise<{ readonly appended: boolean }> {
    const at = new Date(decision.at);
    if (Number.isNaN(at.getTime())) {
      throw new RangeError(`Decision ${decision.id}: at must be an ISO-8601 timestamp, got ${decision.at}.`);
    }
    // Normalised so that every entry sorts by time within the key, whatever offset the caller wrote.
    const atIso = at.toISOString();
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...decisionKey(decision.deploymentId, atIso, decision.id),
            itemType: ItemType.Decision,
            deploymentId: decision.deploymentId,
            id: decision.id,
            at: atIso,
            action: decision.action,
            actor: decision.actor,
            reason: decision.reason,
            values: JSON.parse(JSON.stringify(decision.values)) as unknown,
            [timeToLiveAttribute]: this.expiresAt(at),
          },
          ConditionExpression: "attribute_not_exists(#pk)",
          ExpressionAttributeNames: { "#pk": partitionKey },
        }),
      );
      return { appended: true };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      return { appended: false };
    }
  }

  async listDecisions(id: string): Promise<readonly Decision[]> {
    const items = await this.queryAll({
      KeyConditionExpression: "#pk = :pk AND begins_with(#sk, :prefix)",
      ExpressionAttributeNames: { "#pk": partitionKey, "#sk": sortKey },
      ExpressionAttributeValues: { ":pk": deploymentKey(id)[partitionKey], ":prefix": DecisionSortKeyPrefix },
      ScanIndexForward: true,
    });
    return items.map(toDecision);
  }

  async listHistory(query: HistoryQuery): Promise<HistoryPage> {
    if (!Number.isInteger(query.limit) || query.limit < 1) {
      throw new RangeError(`limit must be a positive integer, got ${query.limit}.`);
    }
    const partition = historyPartition(query.service, query.environment);
    const output = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: historyIndex.name,
        KeyConditionExpression: "#gpk = :gpk",
        ExpressionAttributeNames: { "#gpk": historyIndex.partitionKey },
        ExpressionAttributeValues: { ":gpk": partition },
        ScanIndexForward: false,
        // One more than asked tells whether another page exists, so the last page never comes back empty.
        Limit: query.limit + 1,
        ExclusiveStartKey: query.cursor === undefined ? undefined : decodeCursor(query.cursor, partition),
      }),
    );
    const items = output.Items ?? [];
    const page = items.slice(0, query.limit);
    const last = page.at(-1);
    const nextKey =
      items.length > query.limit && last !== undefined ? historyPageKey(last) : output.LastEvaluatedKey;
    return compact({
      items: page.map(toDeployment),
      nextCursor: nextKey === undefined ? undefined : encodeCursor(nextKey),
    });
  }

  async openGate(gate: Gate, taskToken: string): Promise<void> {
    const key = gateKey(gate.deploymentId, gate.gateId);
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          // The gate's own expiry is stored as `closesAt`: `expiresAt` is the table's TTL attribute.
          Item: {
            ...key,
            itemType: ItemType.Gate,
            ...gate,
            closesAt: gate.expiresAt,
            taskToken,
            [timeToLiveAttribute]: this.expiresAt(new Date(gate.expiresAt)),
          },
          ConditionExpression: "attribute_not_exists(#pk)",
          ExpressionAttributeNames: { "#pk": partitionKey },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      // A redelivered task: Step Functions now waits on the new token (a decided gate keeps its record).
      await this.updateIf(key, {
        UpdateExpression: "SET #token = :token",
        ConditionExpression: "#status = :open",
        ExpressionAttributeNames: { "#token": "taskToken", "#status": "status" },
        ExpressionAttributeValues: { ":token": taskToken, ":open": "open" },
      });
    }
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: deploymentKey(gate.deploymentId),
        UpdateExpression: "SET #gate = :gate",
        ConditionExpression: "attribute_exists(#pk)",
        ExpressionAttributeNames: { "#gate": "openGateId", "#pk": partitionKey },
        ExpressionAttributeValues: { ":gate": gate.gateId },
      }),
    );
  }

  async getGate(deploymentId: string, gateId: string): Promise<Gate | undefined> {
    const item = await this.getItem(gateKey(deploymentId, gateId));
    return item === undefined ? undefined : toGate(item);
  }

  async getOpenGate(deploymentId: string): Promise<Gate | undefined> {
    const deployment = await this.getItem(deploymentKey(deploymentId));
    const gateId = stringOrUndefined(deployment?.openGateId);
    if (gateId === undefined) return undefined;
    const gate = await this.getGate(deploymentId, gateId);
    return gate?.status === "open" ? gate : undefined;
  }

  async decideGate(
    deploymentId: string,
    gateId: string,
    decision: GateDecision,
  ): Promise<{ decided: true; taskToken: string; gate: Gate } | { decided: false; gate: Gate | undefined }> {
    const decided = await this.updateIf(gateKey(deploymentId, gateId), {
      UpdateExpression: "SET #status = :decided, #decision = :decision",
      // An expired gate's task has timed out: nothing waits on its token any more.
      ConditionExpression: "#status = :open AND #closesAt > :now",
      ExpressionAttributeNames: { "#status": "status", "#decision": "decision", "#closesAt": "closesAt" },
      ExpressionAttributeValues: {
        ":now": this.clock().toISOString(),
        ":decided": "decided",
        ":open": "open",
        ":decision": JSON.parse(JSON.stringify(decision)) as unknown,
      },
      ReturnValues: "ALL_NEW",
    });
    if (decided === undefined) return { decided: false, gate: await this.getGate(deploymentId, gateId) };
    return { decided: true, taskToken: String(decided.taskToken), gate: toGate(decided) };
  }

  async watchAlarms(deploymentId: string, alarmNames: readonly string[]): Promise<void> {
    for (const name of alarmNames) {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
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

  async unwatchAlarms(deploymentId: string, alarmNames: readonly string[]): Promise<void> {
    for (const name of alarmNames) {
      await this.client.send(
        new DeleteCommand({ TableName: this.tableName, Key: alarmWatchKey(name, deploymentId) }),
      );
    }
  }

  async deploymentsWatching(alarmName: string): Promise<readonly string[]> {
    const items = await this.queryAll({
      KeyConditionExpression: "#pk = :pk",
      ExpressionAttributeNames: { "#pk": partitionKey },
      ExpressionAttributeValues: { ":pk": alarmWatchPartition(alarmName) },
    });
    return items.map((item) => String(item.deploymentId));
  }

  /** Every item a consistent query of the table returns, following its pages. */
  private async queryAll(
    query: Pick<
      QueryCommandInput,
      "KeyConditionExpression" | "ExpressionAttributeNames" | "ExpressionAttributeValues" | "ScanIndexForward"
    >,
  ): Promise<Item[]> {
    const items: Item[] = [];
    let exclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const output: QueryCommandOutput = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          ...query,
          ConsistentRead: true,
          ExclusiveStartKey: exclusiveStartKey,
        }),
      );
      items.push(...(output.Items ?? []));
      exclusiveStartKey = output.LastEvaluatedKey;
    } while (exclusiveStartKey !== undefined);
    return items;
  }

  private transitionUpdate(
    to: DeploymentStatus,
    predecessors: readonly DeploymentStatus[],
    patch: TransitionPatch,
  ): ConditionalUpdate {
    const now = this.clock();
    const update = new UpdateBuilder().set("status", to).set("updatedAt", now.toISOString());
    applyProgress(update, patch);
    if (patch.statusReason !== undefined) update.set("statusReason", patch.statusReason);
    else update.remove("statusReason");
    if (isTerminal(to)) update.set(timeToLiveAttribute, this.expiresAt(now));
    const fromValues = predecessors.map((status, index) => update.bindValue(`from${index}`, status));
    return {
      ...update.build(),
      ConditionExpression: `#status IN (${fromValues.join(", ")})`,
      ReturnValues: "ALL_NEW",
    };
  }

  /**
   * One conditional UpdateItem: the item's attributes as `ReturnValues` asks, or undefined when the condition
   * did not hold (which callers explain by reading the item).
   */
  private async updateIf(key: TableKey, params: ConditionalUpdate): Promise<Item | undefined> {
    try {
      const output = await this.client.send(
        new UpdateCommand({ TableName: this.tableName, Key: key, ...params }),
      );
      return output.Attributes ?? {};
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      return undefined;
    }
  }

  private async getItem(key: TableKey): Promise<Item | undefined> {
    const output = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    return output.Item;
  }

  private expiresAt(from: Date): number {
    return Math.floor(from.getTime() / 1000) + this.retentionSeconds;
  }
}

/**
 * Builds an update expression with every attribute name aliased (`status`, `values`, `at` are DynamoDB
 * reserved words) and every value bound.
 */
/** The gate without its task token, which never leaves the store except to resolve the task. */
function toGate(item: Item): Gate {
  const decision = item.decision as Gate["decision"] | undefined;
  return {
    deploymentId: String(item.deploymentId),
    gateId: String(item.gateId),
    kind: item.kind as Gate["kind"],
    approvers: (item.approvers ?? []) as string[],
    openedAt: String(item.openedAt),
    expiresAt: String(item.closesAt),
    status: item.status as Gate["status"],
    label: String(item.label),
    ...(decision === undefined ? {} : { decision }),
  };
}

function applyProgress(update: UpdateBuilder, patch: ProgressPatch): void {
  if (patch.currentStep !== undefined) update.set("currentStep", patch.currentStep);
  if (patch.weights !== undefined) update.set("weights", { old: patch.weights.old, new: patch.weights.new });
  if (patch.executionArn !== undefined) update.set("executionArn", patch.executionArn);
}

class UpdateBuilder {
  private readonly names: Record<string, string> = {};
  private readonly values: Record<string, unknown> = {};
  private readonly sets: string[] = [];
  private readonly removes: string[] = [];

  /** Aliases are `#<attribute>`, so conditions can name an attribute the update names too. */
  name(attribute: string): string {
    const alias = `#${attribute}`;
    this.names[alias] = attribute;
    return alias;
  }

  /** The placeholder of the value set for `attribute`, for use in a condition. */
  value(attribute: string): string {
    return `:${attribute}`;
  }

  bindValue(placeholder: string, value: unknown): string {
    this.values[`:${placeholder}`] = value;
    return `:${placeholder}`;
  }

  set(attribute: string, value: unknown): this {
    this.sets.push(`${this.name(attribute)} = ${this.bindValue(attribute, value)}`);
    return this;
  }

  setIfNotExists(attribute: string, value: unknown): this {
    const alias = this.name(attribute);
    this.sets.push(`${alias} = if_not_exists(${alias}, ${this.bindValue(attribute, value)})`);
    return this;
  }

  remove(attribute: string): this {
    this.removes.push(this.name(attribute));
    return this;
  }

  build(): {
    UpdateExpression: string;
    ExpressionAttributeNames: Record<string, string>;
    ExpressionAttributeValues: Record<string, unknown>;
  } {
    const clauses = [
      this.sets.length > 0 ? `SET ${this.sets.join(", ")}` : "",
      this.removes.length > 0 ? `REMOVE ${this.removes.join(", ")}` : "",
    ].filter((clause) => clause !== "");
    return {
      UpdateExpression: clauses.join(" "),
      ExpressionAttributeNames: this.names,
      ExpressionAttributeValues: this.values,
    };
  }
}

function isConditionalCheckFailed(error: unknown): boolean {
  return error instanceof Error && error.name === "ConditionalCheckFailedException";
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** Leaves optional fields absent rather than present with `undefined`. */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}

function toDeployment(item: Item): Deployment {
  const record = item as unknown as Deployment;
  return compact<Deployment>({
    id: record.id,
    service: record.service,
    environment: record.environment,
    artifact: record.artifact,
    strategy: record.strategy,
    status: record.status,
    currentStep: record.currentStep,
    weights: record.weights,
    executionArn: record.executionArn,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    statusReason: record.statusReason,
    approvals: record.approvals ?? [],
    attempt: record.attempt,
    region: record.region,
    promotionId: record.promotionId,
  });
}

function toDecision(item: Item): Decision {
  const record = item as unknown as Decision;
  return {
    deploymentId: record.deploymentId,
    id: record.id,
    at: record.at,
    action: record.action,
    actor: record.actor,
    reason: record.reason,
    values: record.values ?? {},
  };
}

const historyKeyAttributes = [
  partitionKey,
  sortKey,
  historyIndex.partitionKey,
  historyIndex.sortKey,
] as const;

/** The key DynamoDB would return as LastEvaluatedKey for a query on the history index ending at `item`. */
function historyPageKey(item: Item): Item {
  return Object.fromEntries(historyKeyAttributes.map((attribute) => [attribute, item[attribute]]));
}

function encodeCursor(key: Item): string {
  return Buffer.from(JSON.stringify(key), "utf8").toString("base64url");
}

function decodeCursor(cursor: string, partition: string): Item {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw new InvalidCursorError(cursor, "it is not a cursor returned by listHistory");
  }
  if (typeof key !== "object" || key === null || Array.isArray(key)) {
    throw new InvalidCursorError(cursor, "it is not a cursor returned by listHistory");
  }
  const fields = key as Item;
  const names = Object.keys(fields).sort();
  const expected = [...historyKeyAttributes].sort();
  const wellFormed =
    names.length === expected.length &&
    names.every((name, index) => name === expected[index] && typeof fields[name] === "string");
  if (!wellFormed) throw new InvalidCursorError(cursor, "it is not a cursor returned by listHistory");
  if (fields[historyIndex.partitionKey] !== partition) {
    throw new InvalidCursorError(cursor, "it belongs to the history of another service or environment");
  }
  return fields;
}
