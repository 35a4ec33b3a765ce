import { z } from "zod";
import type { Deployment } from "../domain/deployment.ts";
import { DecisionAction, DeploymentStatus } from "../domain/deployment.ts";
import { parseDeploymentRequest } from "../domain/deployment-request.ts";
import { DeploymentNotFoundError } from "../domain/errors.ts";
import type { Ports } from "../domain/ports/index.ts";
import { logger } from "../shared/logger.ts";
import { onDeploymentEnded, type StarterPorts } from "./deployment-ended.ts";
import { deploymentIdSchema, parseInput } from "./schemas.ts";

/** What a Step Functions `Catch` puts at its ResultPath. */
const CaughtError = z.object({ Error: z.string(), Cause: z.string().optional() });

/** The alarms the deployment watched: once it has ended, alarm events no longer reach it. */
const alarms = z.array(z.string().min(1));

const RecordInput = z.discriminatedUnion("action", [
  z.object({ action: z.literal("start"), request: z.unknown(), executionArn: z.string().min(1) }),
  z.object({ action: z.literal("succeeded"), deploymentId: deploymentIdSchema, alarms }),
  /** After the old version is retired: a successful deployment gives its lock to the one waiting. */
  z.object({ action: z.literal("released"), deploymentId: deploymentIdSchema }),
  z.object({ action: z.literal("rolling-back"), deploymentId: deploymentIdSchema, error: CaughtError }),
  z.object({
    action: z.literal("rolled-back"),
    deploymentId: deploymentIdSchema,
    error: CaughtError,
    alarms,
  }),
  z.object({
    action: z.literal("failed"),
    deploymentId: deploymentIdSchema,
    error: CaughtError,
    stage: z.string(),
    alarms,
  }),
]);

/**
 * What ending a deployment needs besides the store: the config the waiting deployment is resolved from and how
 * to start it (on AWS, StartExecution). Without it the record step only records.
 */
export type DeploymentLifecycle = Omit<StarterPorts, "store">;

/**
 * Moves the deployment record along its life cycle. `start` also validates the execution input, so a bad
 * request fails before anything is deployed. With a `lifecycle`, a deployment that ends (released after its
 * success and the old version's retirement, ROLLED_BACK, FAILED) releases its service+environment lock and the deployment waiting for it starts; one that never held
 * the lock (started by hand) changes no lock.
 */
export function createRecordHandler(ports: Ports, lifecycle?: DeploymentLifecycle) {
  const ended = async (deployment: Deployment, liveVersion?: string): Promise<void> => {
    if (lifecycle === undefined) return;
    const result = await onDeploymentEnded(
      { store: ports.store, config: lifecycle.config, start: lifecycle.start },
      {
        service: deployment.service,
        environment: deployment.environment,
        deploymentId: deployment.id,
        ...(liveVersion === undefined ? {} : { liveVersion }),
      },
    );
    if (result.started !== undefined) {
      logger.info("waiting deployment started", { deploymentId: deployment.id, started: result.started });
    }
  };
  return async (event: unknown): Promise<{ readonly status: string }> => {
    const input = parseInput(RecordInput, event, "record");
    switch (input.action) {
      case "start": {
        const request = parseDeploymentRequest(input.request);
        const deployment = await ports.store.transition(request.deploymentId, DeploymentStatus.InProgress, {
          executionArn: input.executionArn,
          currentStep: "Started",
        });
        await ports.store.watchAlarms(request.deploymentId, request.alarms);
        return { status: deployment.status };
      }
      case "succeeded": {
        const deployment = await ports.store.transition(input.deploymentId, DeploymentStatus.Succeeded, {
          currentStep: "Done",
          weights: { old: 0, new: 100 },
          statusReason: "every phase passed",
        });
        await ports.store.unwatchAlarms(input.deploymentId, input.alarms);
        return { status: deployment.status };
      }
      case "released": {
        // Not at "succeeded": the old colour is retired after that, and the next deployment deploys onto it.
        const deployment = await ports.store.getDeployment(input.deploymentId);
        if (deployment === undefined) throw new DeploymentNotFoundError(input.deploymentId);
        await ended(deployment, deployment.artifact.version);
        return { status: deployment.status };
      }
      case "rolling-back": {
        const reason = describeError(input.error);
        await ports.store.appendDecision({
          deploymentId: input.deploymentId,
          id: "rollback",
          at: ports.clock().toISOString(),
          action: DecisionAction.Rollback,
          actor: "state-machine",
          reason,
          values: { error: input.error.Error },
        });
        const deployment = await ports.store.transition(input.deploymentId, DeploymentStatus.RollingBack, {
          currentStep: "Rolling back",
          statusReason: reason,
        });
        return { status: deployment.status };
      }
      case "rolled-back": {
        const deployment = await ports.store.transition(input.deploymentId, DeploymentStatus.RolledBack, {
          currentStep: "Rolled back",
          weights: { old: 100, new: 0 },
          statusReason: describeError(input.error),
        });
        await ports.store.unwatchAlarms(input.deploymentId, input.alarms);
        // The old version serves again: the lock keeps the live version it had.
        await ended(deployment);
        return { status: deployment.status };
      }
      case "failed": {
        const deployment = await ports.store.transition(input.deploymentId, DeploymentStatus.Failed, {
          currentStep: input.stage,
          statusReason: `${input.stage}: ${describeError(input.error)}`,
        });
        await ports.store.unwatchAlarms(input.deploymentId, input.alarms);
        await ended(deployment);
        return { status: deployment.status };
      }
    }
  };
}

/**
 * `Error: message`. On AWS a Lambda error's Cause is a JSON document with `errorMessage`; the local engine
 * and Step Functions' own errors (States.Timeout) give plain text.
 */
export function describeError(error: z.output<typeof CaughtError>): string {
  let message = error.Cause ?? "";
  try {
    const parsed: unknown = JSON.parse(message);
    if (typeof parsed === "object" && parsed !== null && "errorMessage" in parsed) {
      message = String(parsed.errorMessage);
    }
  } catch {
    // Plain text already.
  }
  return message === "" ? error.Error : `${error.Error}: ${message}`;
}
