import type { GlidepathConfig } from "../domain/config/index.ts";
import { DeploymentStatus } from "../domain/deployment.ts";
import { DeploymentNotFoundError, IllegalTransitionError, LockNotHeldError } from "../domain/errors.ts";
import type { Stores } from "../domain/ports/stores.ts";
import { type PromotionRequest, promotionRequest } from "../domain/promotion.ts";
import { logger } from "../shared/logger.ts";

/** What starting a deployment needs: the store, the config it is resolved from, and how to start it. */
export interface StarterPorts extends Pick<Stores, "promotions" | "deployments"> {
  readonly config: GlidepathConfig;
  /**
   * Starts the promotion's pipeline execution. On AWS: StartExecution named after the promotion, so Step
   * Functions itself refuses a second execution of the same promotion; `ExecutionAlreadyExists` must resolve as
   * success with that execution's ARN, because starting again is how a retried delivery finishes an
   * interrupted start.
   */
  start(request: PromotionRequest): Promise<{ readonly executionArn: string }>;
}

export type StartResult =
  | { readonly status: "started"; readonly executionArn: string }
  /** It was started before (its record has an execution or has moved on): nothing new is started. */
  | { readonly status: "running" }
  /** It can never start: it ended without an execution (failed, superseded), or its config is gone. */
  | { readonly status: "unstartable"; readonly reason: string };

/**
 * Starts the promotion of a deployment that holds its lock (the first wave of the service's first
 * environment), unless it was started already. Safe to repeat: the record's
 * execution ARN says it was started, and Step Functions refuses the same execution name twice in the window
 * where the ARN is not recorded yet.
 */
export async function startHolder(ports: StarterPorts, deploymentId: string): Promise<StartResult> {
  const deployment = await ports.deployments.get(deploymentId);
  if (deployment === undefined) throw new DeploymentNotFoundError(deploymentId);
  if (deployment.executionArn !== undefined) return { status: "running" };
  if (deployment.status !== DeploymentStatus.Queued) {
    return { status: "unstartable", reason: `it is ${deployment.status} without an execution` };
  }
  const service = ports.config.services.find((candidate) => candidate.name === deployment.service);
  const request =
    service === undefined ? undefined : promotionRequest({ service, artifact: deployment.artifact });
  if (request === undefined || request.promotionId !== deploymentId) {
    const reason =
      service === undefined
        ? `${deployment.service} is no longer in the config`
        : `${deployment.environment}${deployment.region === undefined ? "" : ` (${deployment.region})`} is no longer the first environment of ${deployment.service}`;
    await ports.deployments.transition(deploymentId, DeploymentStatus.Failed, { statusReason: reason });
    return { status: "unstartable", reason };
  }
  const { executionArn } = await ports.start(request);
  try {
    await ports.deployments.recordProgress(deploymentId, { executionArn });
  } catch (error) {
    // The execution may already have run to its end and recorded itself; the ARN is then on the record.
    if (!(error instanceof IllegalTransitionError)) throw error;
  }
  return { status: "started", executionArn };
}

/**
 * Hands a free lock to the deployment waiting for it and starts that one. A waiting deployment that can no
 * longer start gives the lock back at once. Returns the deployment handed the lock, if any.
 */
export async function drainQueue(
  ports: StarterPorts,
  lock: { readonly service: string; readonly environment: string },
): Promise<{ readonly deploymentId: string; readonly result: StartResult } | undefined> {
  for (;;) {
    const next = await ports.promotions.takeQueued(lock);
    if (next === undefined) return undefined;
    const result = await startHolder(ports, next);
    if (result.status !== "unstartable") return { deploymentId: next, result };
    logger.warn("waiting deployment cannot start; lock given back", {
      deploymentId: next,
      reason: result.reason,
    });
    await ports.promotions.releaseLock({ ...lock, deploymentId: next });
  }
}

export interface DeploymentEnded {
  readonly service: string;
  readonly environment: string;
  readonly deploymentId: string;
  /** The version serving the environment now, recorded on the lock. */
  readonly liveVersion?: string;
}

/**
 * What happens when a deployment ends (succeeded, rolled back, failed): its lock is released and handed to
 * the deployment waiting for it, which is started. Safe to repeat: a second release is a no-op, and when the
 * first delivery handed the lock over but stopped before starting, the new holder is started now. A deployment
 * that never held the lock (started by hand, without the trigger) changes nothing: the lock, its live version
 * and whoever waits for it belong to the trigger's deployments.
 */
export async function onDeploymentEnded(
  ports: StarterPorts,
  ended: DeploymentEnded,
): Promise<{ readonly started?: string }> {
  try {
    await ports.promotions.releaseLock(ended);
  } catch (error) {
    if (!(error instanceof LockNotHeldError)) throw error;
    logger.info("deployment ended without holding its lock; nothing to hand over", {
      deploymentId: ended.deploymentId,
      holder: error.holder,
    });
    return {};
  }
  const lock = { service: ended.service, environment: ended.environment };
  const handed = await drainQueue(ports, lock);
  if (handed !== undefined) return handed.result.status === "started" ? { started: handed.deploymentId } : {};
  const { holder } = await ports.promotions.getLock(ended.service, ended.environment);
  if (holder === undefined) return {};
  const result = await startHolder(ports, holder);
  return result.status === "started" ? { started: holder } : {};
}
