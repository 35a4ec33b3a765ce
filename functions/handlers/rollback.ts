import type { GlidepathConfig } from "../domain/config/index.ts";
import { resolveWaves } from "../domain/config/waves.ts";
import { type Artifact, DeploymentStatus } from "../domain/deployment.ts";
import type { DeploymentRequest } from "../domain/deployment-request.ts";
import { TriggerEventInvalidError } from "../domain/errors.ts";
import type { DecisionLog } from "../domain/ports/decision-log.ts";
import type { DeploymentStore } from "../domain/ports/deployment-store.ts";
import type { PromotionStore } from "../domain/ports/promotion-store.ts";
import type { AdjustRequest } from "../domain/promotion/request.ts";
import { waveRegion } from "../domain/promotion/request.ts";
import { restoreWave } from "../domain/release/restore.ts";
import {
  planRollback,
  RollbackRequestedDetailSchema,
  RollbackRequestedDetailType,
  type RollbackWaveHistory,
  rollbackId,
} from "../domain/rollback.ts";
import { CliEventSource, EnvelopeSchema } from "../domain/triggers.ts";
import { logger } from "../shared/logger.ts";
import { createWaveDeployments } from "./wave-deployments.ts";

/** How many of an environment's newest deployments a rollback looks through for a good artifact. */
export const rollbackHistoryLimit = 50;

export interface RollbackPorts {
  readonly config: GlidepathConfig;
  readonly deployments: Pick<DeploymentStore, "create" | "history">;
  readonly promotions: Pick<PromotionStore, "getLock">;
  readonly decisions: Pick<DecisionLog, "append">;
  /** StartExecution of the stack's all-at-once machine, by name: idempotent. */
  readonly startStrategy: (
    strategy: "all-at-once",
    name: string,
    request: DeploymentRequest,
  ) => Promise<{ readonly executionArn: string }>;
  /** The local run scales the deployment's durations. @default unchanged */
  readonly adjust?: AdjustRequest;
}

export type RollbackOutcome =
  | {
      readonly outcome: "started";
      readonly rollbackId: string;
      readonly from: readonly Artifact[];
      readonly to: Artifact;
      readonly deployments: readonly { readonly deploymentId: string; readonly executionArn: string }[];
    }
  | { readonly outcome: "refused"; readonly reason: string };

/** Whether an event is a rollback a human asked for (`glidepath rollback`). */
export function isRollbackRequested(event: unknown): boolean {
  return (
    typeof event === "object" &&
    event !== null &&
    (event as Record<string, unknown>)["detail-type"] === RollbackRequestedDetailType &&
    (event as Record<string, unknown>).source === CliEventSource
  );
}

/** Each region wave's deployments in an environment, newest first (one page of `rollbackHistoryLimit`). */
export async function rollbackHistory(
  deployments: Pick<DeploymentStore, "history">,
  config: GlidepathConfig,
  service: string,
  environment: string,
): Promise<RollbackWaveHistory[]> {
  const serviceConfig = config.services.find((candidate) => candidate.name === service);
  const environmentConfig = serviceConfig?.environments.find((candidate) => candidate.name === environment);
  if (serviceConfig === undefined || environmentConfig === undefined) {
    throw new TriggerEventInvalidError(
      serviceConfig === undefined
        ? `no service '${service}' in the config (has: ${config.services.map((candidate) => candidate.name).join(", ")})`
        : `service '${service}' has no environment '${environment}' (has: ${serviceConfig.environments.map((candidate) => candidate.name).join(", ")})`,
    );
  }
  const { items } = await deployments.history({ service, environment, limit: rollbackHistoryLimit });
  return resolveWaves(serviceConfig, environmentConfig).map((_, index) => {
    const region = waveRegion(environmentConfig.regions, index);
    return {
      ...(region === undefined ? {} : { region }),
      deployments: items.filter((deployment) => deployment.region === region),
    };
  });
}

/**
 * A RollbackRequested event: each region wave of the environment back on the artifact `planRollback`
 * chooses, all at once with the environment's alarms and checks and no watch window, as deployments of the
 * rollback's own (ids made from its request), each with a decision saying who asked and why, each started on
 * the all-at-once machine by name. Refused (logged, nothing started) while a deployment runs there or a
 * promotion holds the lock, or with nothing good to go back to. A redelivered event finds its deployments:
 * those still QUEUED are started again by the same names (which starts nothing new on Step Functions), the
 * others are left alone.
 */
export function createRollbackHandler(ports: RollbackPorts) {
  return async (event: unknown): Promise<RollbackOutcome> => {
    const envelope = EnvelopeSchema.safeParse(event);
    const parsed = RollbackRequestedDetailSchema.safeParse(
      envelope.success ? envelope.data.detail : undefined,
    );
    if (!envelope.success || !parsed.success) {
      const issues = (envelope.success ? parsed.error : envelope.error)?.issues ?? [];
      throw new TriggerEventInvalidError(
        `the RollbackRequested event is invalid: ${issues.map((issue) => `${issue.path.join(".") || "(event)"}: ${issue.message}`).join("; ")}`,
      );
    }
    const request = parsed.data;
    const id = rollbackId(request.requestId);
    const waves = await rollbackHistory(
      ports.deployments,
      ports.config,
      request.service,
      request.environment,
    );
    const own = waves.flatMap((wave) =>
      wave.deployments.filter((deployment) => deployment.rollbackId === id),
    );
    const plan =
      own.length > 0
        ? // A redelivery: the rollback already chose, and its deployments may be running.
          {
            kind: "rollback" as const,
            target: own[0]?.artifact as Artifact,
            waves: waves.flatMap((wave, index) =>
              wave.deployments.some((deployment) => deployment.rollbackId === id)
                ? [
                    {
                      index,
                      ...(wave.region === undefined ? {} : { region: wave.region }),
                      live: own[0]?.artifact as Artifact,
                    },
                  ]
                : [],
            ),
          }
        : planRollback({
            service: request.service,
            environment: request.environment,
            waves,
            ...(request.to === undefined ? {} : { to: request.to }),
            ...(await lockHolder(ports, request.service)),
          });
    if (plan.kind === "refused") {
      logger.warn("rollback refused", { ...request, reason: plan.reason });
      return { outcome: "refused", reason: plan.reason };
    }
    const service = ports.config.services.find((candidate) => candidate.name === request.service);
    if (service === undefined) throw new Error(`${request.service} left the config while rolling back`);
    const started: { deploymentId: string; executionArn: string }[] = [];
    for (const wave of plan.waves) {
      const restore = restoreWave({
        service,
        environment: request.environment,
        wave: wave.index,
        previous: plan.target,
        owner: { rollbackId: id },
      });
      if (restore === undefined) {
        return {
          outcome: "refused",
          reason: `${request.service} in ${request.environment} is released by a flag: its own rollback put the flag back, no artifact is redeployed`,
        };
      }
      const adjusted =
        ports.adjust === undefined ? restore : { ...restore, request: ports.adjust(restore.request) };
      await createWaveDeployments(ports.deployments, {
        service: request.service,
        environment: request.environment,
        artifact: plan.target,
        waves: [adjusted],
        rollbackId: id,
        owner: `rollback ${id}`,
      });
      await ports.decisions.append({
        deploymentId: adjusted.deploymentId,
        id: `rollback-requested-${request.requestId}`,
        at: envelope.data.time,
        action: "rollback",
        actor: request.requestedBy,
        reason: `${request.requestedBy} asked to roll ${request.service} in ${request.environment}${wave.region === undefined ? "" : ` ${wave.region}`} back from ${wave.live.version} to ${plan.target.version}${request.reason === undefined ? "" : `: ${request.reason}`}`,
        values: { from: wave.live, to: plan.target, requestId: request.requestId },
      });
      // A redelivery leaves alone what its first delivery got going: the record says it started.
      const before = own.find((deployment) => deployment.id === adjusted.deploymentId);
      if (before !== undefined && before.status !== DeploymentStatus.Queued) {
        started.push({ deploymentId: before.id, executionArn: before.executionArn ?? "" });
        continue;
      }
      const { executionArn } = await ports.startStrategy(
        "all-at-once",
        adjusted.executionName,
        adjusted.request,
      );
      started.push({ deploymentId: adjusted.deploymentId, executionArn });
    }
    logger.info("rollback started", { rollbackId: id, deployments: started });
    return {
      outcome: "started",
      rollbackId: id,
      from: plan.waves.map((wave) => wave.live),
      to: plan.target,
      deployments: started,
    };
  };
}

async function lockHolder(
  ports: Pick<RollbackPorts, "promotions">,
  service: string,
): Promise<{ lockHolder?: string }> {
  const { holder } = await ports.promotions.getLock(service);
  return holder === undefined ? {} : { lockHolder: holder };
}
