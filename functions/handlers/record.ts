import { z } from "zod";
import { regionName } from "../domain/config/fields.ts";
import { WaveTargetSchema } from "../domain/config/target-schema.ts";
import { DecisionAction, DeploymentIdSchema, DeploymentStatus } from "../domain/deployment.ts";
import { type DeploymentRequest, parseDeploymentRequest } from "../domain/deployment-request.ts";
import { evaluatedColour, exposureDecision, firstShiftAt } from "../domain/exposure.ts";
import { alarmRefs } from "../domain/ports/alarm-watch-store.ts";
import type { Ports } from "../domain/ports/index.ts";
import { logger } from "../shared/logger.ts";
import { CaughtError, describeError, parseInput } from "./schemas.ts";

/** The alarms the deployment watched, in its wave's account and region: once it has ended, alarm events no longer reach it. */
const watched = {
  alarms: z.array(z.string().min(1)),
  account: z.string().regex(/^\d{12}$/),
  region: regionName,
};

/**
 * The wave's target, whose metrics say what the new version served (the exposure). Absent in executions
 * started before the record step was given it: they record no exposure.
 */
const exposed = { target: WaveTargetSchema.optional() };

const RecordInput = z.discriminatedUnion("action", [
  z.object({ action: z.literal("start"), request: z.unknown(), executionArn: z.string().min(1) }),
  z.object({ action: z.literal("succeeded"), deploymentId: DeploymentIdSchema, ...watched, ...exposed }),
  z.object({ action: z.literal("rolling-back"), deploymentId: DeploymentIdSchema, error: CaughtError }),
  z.object({
    action: z.literal("rolled-back"),
    deploymentId: DeploymentIdSchema,
    error: CaughtError,
    ...watched,
    ...exposed,
  }),
  z.object({
    action: z.literal("failed"),
    deploymentId: DeploymentIdSchema,
    error: CaughtError,
    stage: z.string(),
    ...watched,
  }),
]);

/**
 * Moves the deployment record along its life cycle. `start` also validates the execution input, so a bad
 * request fails before anything is deployed. The service's lock is not the record's: the promotion that runs
 * the deployment releases it when the promotion ends (functions/handlers/promote.ts).
 */
export function createRecordHandler(ports: Ports) {
  return async (event: unknown): Promise<{ readonly status: string } | DeploymentRequest> => {
    const input = parseInput(RecordInput, event, "record");
    switch (input.action) {
      case "start": {
        const request = parseDeploymentRequest(input.request);
        const deployment = await ports.deployments.transition(
          request.deploymentId,
          DeploymentStatus.InProgress,
          {
            executionArn: input.executionArn,
            currentStep: "Started",
          },
        );
        // Only the alarms that roll back are watched: one that pauses is seen by the next evaluation.
        const pausing = new Set(request.pauseAlarms);
        await ports.alarmWatches.watch(
          deployment.id,
          alarmRefs(
            request,
            request.alarms.filter((name) => !pausing.has(name)),
          ),
        );
        // The state machine goes on with the request as parsed, its defaults filled in.
        return request;
      }
      case "succeeded": {
        const deployment = await ports.deployments.transition(
          input.deploymentId,
          DeploymentStatus.Succeeded,
          {
            currentStep: "Done",
            weights: { old: 0, new: 100 },
            statusReason: "every phase passed",
          },
        );
        await ports.alarmWatches.unwatch(input.deploymentId, alarmRefs(input, input.alarms));
        await recordExposure(ports, input);
        return { status: deployment.status };
      }
      case "rolling-back": {
        const reason = describeError(input.error);
        await ports.decisions.append({
          deploymentId: input.deploymentId,
          id: "rollback",
          at: ports.clock().toISOString(),
          action: DecisionAction.Rollback,
          actor: "state-machine",
          reason,
          values: { error: input.error.Error },
        });
        const deployment = await ports.deployments.transition(
          input.deploymentId,
          DeploymentStatus.RollingBack,
          {
            currentStep: "Rolling back",
            statusReason: reason,
          },
        );
        return { status: deployment.status };
      }
      case "rolled-back": {
        const deployment = await ports.deployments.transition(
          input.deploymentId,
          DeploymentStatus.RolledBack,
          {
            currentStep: "Rolled back",
            weights: { old: 100, new: 0 },
            statusReason: describeError(input.error),
          },
        );
        await ports.alarmWatches.unwatch(input.deploymentId, alarmRefs(input, input.alarms));
        await recordExposure(ports, input);
        return { status: deployment.status };
      }
      case "failed": {
        const deployment = await ports.deployments.transition(input.deploymentId, DeploymentStatus.Failed, {
          currentStep: input.stage,
          statusReason: `${input.stage}: ${describeError(input.error)}`,
        });
        await ports.alarmWatches.unwatch(input.deploymentId, alarmRefs(input, input.alarms));
        return { status: deployment.status };
      }
    }
  };
}

/**
 * Records what the new version served from its first shift until now (the deployment has just ended: traffic
 * is back on the old version, or the new one is at 100%), read from the wave's own metrics, once (the entry's
 * id is fixed). Best effort: the deployment has ended whatever the metrics say, and a read that fails leaves
 * the report saying the exposure was not recorded.
 */
async function recordExposure(
  ports: Ports,
  input: { deploymentId: string; account: string; region: string; target?: z.infer<typeof WaveTargetSchema> },
): Promise<void> {
  if (input.target === undefined) return;
  try {
    const decisions = await ports.decisions.list(input.deploymentId);
    const from = firstShiftAt(decisions);
    const colour = evaluatedColour(decisions);
    if (
      from === undefined ||
      colour === undefined ||
      decisions.some((decision) => decision.id === "exposure")
    )
      return;
    const now = ports.clock();
    const access = { deploymentId: input.deploymentId, account: input.account, region: input.region };
    const metrics = await ports
      .healthSignals(input.target, access)
      .armMetrics({ start: new Date(from), end: now });
    const served = metrics[colour];
    await ports.decisions.append(
      exposureDecision(input.deploymentId, {
        colour,
        from,
        to: now.toISOString(),
        requests: served.requests,
        errors: served.errors,
        at: now.toISOString(),
      }),
    );
  } catch (error) {
    logger.warn("the exposure was not recorded", {
      deploymentId: input.deploymentId,
      error: (error as Error).message,
    });
  }
}
