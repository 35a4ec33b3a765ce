/**
 * Deployment records on the state table: pk `DEPLOYMENT#<id>`, sk `DEPLOYMENT`, in the history index under
 * `HISTORY#<service>#<env>` / `<createdAt>#<id>`, with the Deployment's fields as top-level attributes.
 * Created with a conditional put (idempotent by its deterministic id); each transition is one UpdateItem
 * conditioned on the current status being a legal predecessor, so concurrent writers cannot skip or repeat a
 * step. A record gets its TTL when it reaches a terminal status.
 */
import { z } from "zod";
import {
  allStatuses,
  canTransition,
  type Deployment,
  DeploymentStatus,
  deploymentId,
  isTerminal,
  nextStatuses,
  predecessorsOf,
} from "../../domain/deployment.ts";
import { DeploymentNotFoundError, IllegalTransitionError } from "../../domain/errors.ts";
import type {
  CreateDeploymentInput,
  CreateDeploymentResult,
  DeploymentStore,
  HistoryPage,
  HistoryQuery,
  ProgressPatch,
  TransitionPatch,
} from "../../domain/ports/deployment-store.ts";
import { deploymentKey, historyKey, historyPartition, ItemType } from "./dynamodb-keys.ts";
import {
  type ConditionalUpdate,
  compact,
  type DynamoTable,
  type Item,
  maxConditionalAttempts,
  parseItem,
} from "./dynamodb-table.ts";
import { historyPage } from "./history-page.ts";
import { TableSchema } from "./table-schema.ts";
import { UpdateBuilder } from "./update-builder.ts";

const WeightsSchema = z.object({ old: z.number(), new: z.number() });

const DeploymentItemSchema = z.object({
  id: z.string(),
  service: z.string(),
  environment: z.string(),
  artifact: z.object({ uri: z.string(), digest: z.string(), version: z.string() }),
  strategy: z.string(),
  status: z.enum(allStatuses as [DeploymentStatus, ...DeploymentStatus[]]),
  currentStep: z.string().optional(),
  weights: WeightsSchema,
  executionArn: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  statusReason: z.string().optional(),
  approvals: z
    .array(
      z.object({
        gate: z.string(),
        by: z.string(),
        at: z.string(),
        outcome: z.enum(["approved", "rejected"]),
      }),
    )
    .default([]),
  attempt: z.number().int(),
  region: z.string().optional(),
  promotionId: z.string().optional(),
  releaseId: z.string().optional(),
  rollbackId: z.string().optional(),
});

export class DynamoDbDeploymentStore implements DeploymentStore {
  private readonly table: DynamoTable;

  constructor(table: DynamoTable) {
    this.table = table;
  }

  async create(input: CreateDeploymentInput): Promise<CreateDeploymentResult> {
    const attempt = input.attempt ?? 1;
    const id = deploymentId({
      service: input.service,
      environment: input.environment,
      digest: input.artifact.digest,
      attempt,
      ...(input.region === undefined ? {} : { region: input.region }),
      ...(input.releaseId === undefined ? {} : { releaseId: input.releaseId }),
      ...(input.rollbackId === undefined ? {} : { rollbackId: input.rollbackId }),
    });
    const now = this.table.clock().toISOString();
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
      ...(input.releaseId === undefined ? {} : { releaseId: input.releaseId }),
      ...(input.rollbackId === undefined ? {} : { rollbackId: input.rollbackId }),
    };
    const created = await this.table.putIfAbsent({
      ...deploymentKey(id),
      ...historyKey(deployment.service, deployment.environment, deployment.createdAt, id),
      itemType: ItemType.Deployment,
      ...deployment,
    });
    if (created) return { deployment, created: true };
    const existing = await this.get(id);
    if (existing === undefined) throw new DeploymentNotFoundError(id);
    return { deployment: existing, created: false };
  }

  async get(id: string): Promise<Deployment | undefined> {
    const item = await this.table.getItem(deploymentKey(id));
    return item === undefined ? undefined : toDeployment(item);
  }

  async transition(id: string, to: DeploymentStatus, patch: TransitionPatch = {}): Promise<Deployment> {
    const predecessors = predecessorsOf(to);
    for (let attempt = 1; attempt <= maxConditionalAttempts; attempt++) {
      if (predecessors.length > 0) {
        const updated = await this.table.updateIf(
          deploymentKey(id),
          this.transitionUpdate(to, predecessors, patch),
        );
        if (updated !== undefined) return toDeployment(updated);
      }
      const current = await this.get(id);
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
    const update = new UpdateBuilder().set("updatedAt", this.table.clock().toISOString());
    applyProgress(update, patch);
    const live = allStatuses.filter((status) => !isTerminal(status));
    const statusIsLive = `#status IN (${live.map((status, index) => update.bindValue(`live${index}`, status)).join(", ")})`;
    update.name("status");
    const updated = await this.table.updateIf(deploymentKey(id), {
      ...update.build(),
      ConditionExpression: statusIsLive,
      ReturnValues: "ALL_NEW",
    });
    if (updated !== undefined) return toDeployment(updated);
    const current = await this.get(id);
    if (current === undefined) throw new DeploymentNotFoundError(id);
    throw new IllegalTransitionError(id, current.status, current.status, nextStatuses(current.status));
  }

  history(query: HistoryQuery): Promise<HistoryPage<Deployment>> {
    return historyPage(
      this.table,
      {
        partition: historyPartition(query.service, query.environment),
        limit: query.limit,
        cursor: query.cursor,
      },
      toDeployment,
    );
  }

  private transitionUpdate(
    to: DeploymentStatus,
    predecessors: readonly DeploymentStatus[],
    patch: TransitionPatch,
  ): ConditionalUpdate {
    const now = this.table.clock();
    const update = new UpdateBuilder().set("status", to).set("updatedAt", now.toISOString());
    applyProgress(update, patch);
    if (patch.statusReason !== undefined) update.set("statusReason", patch.statusReason);
    else update.remove("statusReason");
    if (isTerminal(to)) update.set(TableSchema.timeToLiveAttribute, this.table.expiresAt(now));
    const fromValues = predecessors.map((status, index) => update.bindValue(`from${index}`, status));
    return {
      ...update.build(),
      ConditionExpression: `#status IN (${fromValues.join(", ")})`,
      ReturnValues: "ALL_NEW",
    };
  }
}

function applyProgress(update: UpdateBuilder, patch: ProgressPatch): void {
  if (patch.currentStep !== undefined) update.set("currentStep", patch.currentStep);
  if (patch.weights !== undefined) update.set("weights", { old: patch.weights.old, new: patch.weights.new });
  if (patch.executionArn !== undefined) update.set("executionArn", patch.executionArn);
}

function toDeployment(item: Item): Deployment {
  return compact<Deployment>(parseItem(DeploymentItemSchema, item, "deployment"));
}
