import { z } from "zod";
import { type Artifact, DeploymentStatus } from "../domain/deployment.ts";
import { progressRelease, type ReleaseEvent } from "../domain/release/progress.ts";
import { ReleaseRequestSchema } from "../domain/release/request.ts";
import { logger } from "../shared/logger.ts";
import {
  loadRelease,
  maxSaveAttempts,
  type ReleaseLockPorts,
  returnReleaseLocks,
  takeReleaseLocks,
} from "./release-locks.ts";
import { findPreviousArtifact } from "./release-rollback.ts";
import { CaughtError, describeError, parseInput } from "./schemas.ts";
import { createWaveDeployments } from "./wave-deployments.ts";

const Environment = ReleaseRequestSchema.shape.environments.element;
const Service = Environment.shape.groups.element.element;
const ReleaseId = ReleaseRequestSchema.shape.releaseId;

const ReleaseInput = z.discriminatedUnion("action", [
  /** Takes the locks it can, in lock order; the pipeline waits and asks again until every one is held. */
  z.object({ action: z.literal("take-locks"), releaseId: ReleaseId }),
  z.object({ action: z.literal("start"), releaseId: ReleaseId, executionArn: z.string().min(1) }),
  /** Enters the environment and creates every service's wave deployments there, before its gate. */
  z.object({ action: z.literal("enter"), releaseId: ReleaseId, environment: Environment }),
  /** A service's waves are over: it SUCCEEDED there when every wave did. */
  z.object({
    action: z.literal("service-ended"),
    releaseId: ReleaseId,
    environment: z.string().min(1),
    service: Service,
  }),
  z.object({
    action: z.literal("environment-succeeded"),
    releaseId: ReleaseId,
    environment: z.string().min(1),
  }),
  /** Answers what to roll back: each service that SUCCEEDED there, newest group first, with its previous artifact. */
  z.object({
    action: z.literal("environment-failed"),
    releaseId: ReleaseId,
    environment: Environment,
    error: CaughtError,
  }),
  z.object({
    action: z.literal("service-rolled-back"),
    releaseId: ReleaseId,
    environment: z.string().min(1),
    service: z.string().min(1),
  }),
  z.object({
    action: z.literal("finish"),
    releaseId: ReleaseId,
    outcome: z.enum(["promoted", "stopped"]),
    error: CaughtError.optional(),
  }),
]);

/** One service to roll back in a failed environment: each wave goes back to its previous artifact, if any. */
export interface RollbackItem {
  readonly service: string;
  readonly waves: readonly {
    readonly deploymentId: string;
    readonly region?: string;
    /** Absent when the release brought the service to this place first: it stays as deployed. */
    readonly previous?: Artifact;
  }[];
}

/**
 * The release pipeline's own step: it moves a release through its environments around the nested strategy
 * executions of its services. Each action is an event of the release record (see progressRelease); this step
 * reads what the event needs, applies it and answers the state machine. Every action is safe to repeat.
 */
export function createReleaseHandler(ports: ReleaseLockPorts) {
  return async (event: unknown): Promise<unknown> => {
    const input = parseInput(ReleaseInput, event, "release");
    const at = ports.clock().toISOString();
    switch (input.action) {
      case "take-locks":
        return takeReleaseLocks(ports, input.releaseId);
      case "start":
        await applyReleaseEvent(ports, input.releaseId, {
          type: "started",
          executionArn: input.executionArn,
          at,
        });
        logger.info("release started", { releaseId: input.releaseId });
        return {};
      case "enter": {
        await applyReleaseEvent(ports, input.releaseId, {
          type: "environment-entered",
          environment: input.environment.name,
          at,
        });
        for (const service of input.environment.groups.flat()) {
          await createWaveDeployments(ports.deployments, {
            service: service.service,
            environment: input.environment.name,
            artifact: service.artifact,
            waves: service.waves,
            releaseId: input.releaseId,
            owner: `release ${input.releaseId}`,
          });
        }
        return {};
      }
      case "service-ended": {
        const statuses = await Promise.all(
          input.service.waves.map(async (wave) => (await ports.deployments.get(wave.deploymentId))?.status),
        );
        const succeeded = statuses.every((status) => status === DeploymentStatus.Succeeded);
        await applyReleaseEvent(ports, input.releaseId, {
          type: "service-ended",
          environment: input.environment,
          service: input.service.service,
          status: succeeded ? "SUCCEEDED" : "FAILED",
          at,
        });
        return { succeeded };
      }
      case "environment-succeeded":
        await applyReleaseEvent(ports, input.releaseId, {
          type: "environment-succeeded",
          environment: input.environment,
          at,
        });
        return {};
      case "environment-failed": {
        const reason = describeError(input.error);
        const { rollback = [] } = await applyReleaseEvent(ports, input.releaseId, {
          type: "environment-failed",
          environment: input.environment.name,
          reason,
          at,
        });
        const services = input.environment.groups.flat();
        const items: RollbackItem[] = [];
        for (const name of rollback) {
          const service = services.find((candidate) => candidate.service === name);
          if (service === undefined)
            throw new Error(
              `release ${input.releaseId} rolls back ${name}, which ${input.environment.name} does not deploy`,
            );
          items.push({
            service: name,
            waves: await previousOf(ports, input.releaseId, input.environment.name, service),
          });
        }
        logger.info("release environment failed", {
          releaseId: input.releaseId,
          environment: input.environment.name,
          reason,
          rollback,
        });
        return { rollback: items };
      }
      case "service-rolled-back":
        await applyReleaseEvent(ports, input.releaseId, {
          type: "service-rolled-back",
          environment: input.environment,
          service: input.service,
          at,
        });
        return {};
      case "finish": {
        const { returnLocks } = await applyReleaseEvent(ports, input.releaseId, {
          type: "finished",
          outcome: input.outcome,
          ...(input.error === undefined ? {} : { reason: describeError(input.error) }),
          at,
        });
        if (returnLocks !== undefined) await returnReleaseLocks(ports, input.releaseId, returnLocks);
        logger.info("release finished", { releaseId: input.releaseId, outcome: input.outcome });
        return {};
      }
    }
  };
}

/** Loads the release, lets progressRelease decide, and saves at the revision it read (again when another write won). */
async function applyReleaseEvent(ports: ReleaseLockPorts, releaseId: string, event: ReleaseEvent) {
  for (let attempt = 1; attempt <= maxSaveAttempts; attempt++) {
    const release = await loadRelease(ports, releaseId);
    const transition = progressRelease(release, event);
    if (transition.release !== release && !(await ports.releases.save(transition.release))) continue;
    return transition;
  }
  throw new Error(
    `release ${releaseId} kept changing while it took ${event.type}: ${maxSaveAttempts} other writes won first`,
  );
}

async function previousOf(
  ports: ReleaseLockPorts,
  releaseId: string,
  environment: string,
  service: z.output<typeof Service>,
): Promise<RollbackItem["waves"]> {
  return Promise.all(
    service.waves.map(async (wave) => {
      const previous = await findPreviousArtifact(ports.deployments, {
        service: service.service,
        environment,
        releaseId,
        ...(wave.region === undefined ? {} : { region: wave.region }),
      });
      return {
        deploymentId: wave.deploymentId,
        ...(wave.region === undefined ? {} : { region: wave.region }),
        ...(previous === undefined ? {} : { previous }),
      };
    }),
  );
}
