import { z } from "zod";
import type { AlarmDefinition } from "../domain/alarm-evaluation.ts";
import { AlarmDefinitionSchema } from "../domain/config/alarm-schema.ts";
import { isLambdaTarget } from "../domain/config/target-schema.ts";
import { DeployFailedError } from "../domain/errors.ts";
import type { HealthSignals } from "../domain/ports/health-signals.ts";
import type { Ports } from "../domain/ports/index.ts";
import { type Colour, otherColour } from "../domain/ports/traffic-router.ts";
import { accessOf, colourSchema, parseInput, targetFields, weightSchema } from "./schemas.ts";

const DeployInput = z.discriminatedUnion("action", [
  z.object({
    action: z.literal("prepare"),
    ...targetFields,
    /** Every alarm the deployment watches: the defined ones are put, the others must exist. */
    alarms: z.array(z.string().min(1)),
    alarmDefinitions: z.array(AlarmDefinitionSchema),
    artifact: z.object({ uri: z.string().min(1), version: z.string().min(1) }),
    /** Rolling starts the new version with no task and grows it batch by batch. */
    startEmpty: z.boolean(),
  }),
  z.object({
    action: z.literal("check"),
    ...targetFields,
    colour: colourSchema,
    checks: z.number().int().min(0),
    maxChecks: z.number().int().min(1),
    /** Put over the colour once it is stable, when its arm exists only then (a Lambda version); else []. */
    alarmDefinitions: z.array(AlarmDefinitionSchema),
  }),
  z.object({
    action: z.literal("scale"),
    ...targetFields,
    colour: colourSchema,
    /** Whether the colour runs the new version (its share is `weight`) or the old one (the rest). */
    role: z.enum(["new", "old"]),
    /** The new version's share of the fleet, in percent. */
    weight: weightSchema,
    fleetSize: z.number().int().min(0),
  }),
]);

export interface PrepareOutput {
  readonly liveColour: Colour;
  readonly newColour: Colour;
  readonly revision: string;
  /** Tasks the live version runs: the size the new version grows to. */
  readonly fleetSize: number;
}

export interface CheckOutput {
  readonly stable: boolean;
  /**
   * What runs on the colour (an ECS task definition ARN, a Lambda version number), null while nothing does:
   * blue-green's smoke test hook is given it.
   */
  readonly revision: string | null;
  readonly checks: number;
  readonly healthyTargets: number;
  readonly desiredCount: number;
}

export interface ScaleOutput {
  readonly colour: Colour;
  readonly desiredCount: number;
}

/**
 * Runs versions on the target without ever waiting: `prepare` starts the new version on the idle colour,
 * `check` looks once (the state machine waits between checks), `scale` sizes a colour.
 */
export function createDeployHandler(ports: Ports) {
  return async (event: unknown): Promise<PrepareOutput | CheckOutput | ScaleOutput> => {
    const input = parseInput(DeployInput, event, "deploy");
    const access = accessOf(input);
    const target = ports.deployTarget(input.target, access);
    switch (input.action) {
      case "prepare": {
        const weights = await ports.trafficRouter(input.target, access).readWeights();
        const liveColour: Colour = weights.blue >= weights.green ? "blue" : "green";
        const newColour = otherColour(liveColour);
        const signals = ports.healthSignals(input.target, access);
        await namedAlarmsExist(signals, input);
        // Before anything runs on the new colour; a Lambda version's are put once it is published (check).
        if (!isLambdaTarget(input.target) && input.alarmDefinitions.length > 0) {
          await signals.putAlarms(input.alarmDefinitions, newColour);
        }
        const live = await target.status(liveColour);
        if (live.revision === undefined) {
          throw new DeployFailedError(
            `nothing runs on the live colour (${liveColour}), which serves ${weights[liveColour]}% of traffic: deploy it once by hand before Glidepath takes over`,
          );
        }
        const fleetSize = Math.max(live.desiredCount, 1);
        const prepared = await target.prepare({
          colour: newColour,
          artifactUri: input.artifact.uri,
          version: input.artifact.version,
          baseRevision: live.revision,
          desiredCount: input.startEmpty ? 0 : fleetSize,
        });
        await ports.deployments.recordProgress(input.deploymentId, {
          currentStep: `Deploying ${input.artifact.version} on ${newColour}`,
        });
        return { liveColour, newColour, revision: prepared.revision, fleetSize };
      }
      case "check": {
        const status = await target.status(input.colour);
        const checks = input.checks + 1;
        if (status.failed) {
          throw new DeployFailedError(
            `the ${input.colour} rollout failed: ${status.reason ?? "no reason given"}`,
          );
        }
        if (!status.stable && checks >= input.maxChecks) {
          throw new DeployFailedError(
            `the ${input.colour} rollout was not stable after ${checks} checks: ${status.reason ?? `${status.healthyTargets} of ${status.desiredCount} targets healthy`}`,
          );
        }
        if (status.stable && isLambdaTarget(input.target) && input.alarmDefinitions.length > 0) {
          // The version's number is the alarms' dimension, and it exists once published: now, before traffic.
          await ports.healthSignals(input.target, access).putAlarms(input.alarmDefinitions, input.colour);
        }
        return {
          stable: status.stable,
          revision: status.revision ?? null,
          checks,
          healthyTargets: status.healthyTargets,
          desiredCount: status.desiredCount,
        };
      }
      case "scale": {
        const desiredCount = fleetShare(input.role, input.weight, input.fleetSize);
        await target.scale(input.colour, desiredCount);
        return { colour: input.colour, desiredCount };
      }
    }
  };
}

/**
 * Every alarm named only by name exists: a missing one would read as firing at the first evaluation, after
 * traffic moved.
 */
async function namedAlarmsExist(
  signals: HealthSignals,
  input: { readonly alarms: readonly string[]; readonly alarmDefinitions: readonly AlarmDefinition[] },
): Promise<void> {
  const defined = new Set(input.alarmDefinitions.map((alarm) => alarm.name));
  const named = input.alarms.filter((name) => !defined.has(name));
  if (named.length > 0) {
    const { missing } = await signals.alarms(named);
    if (missing.length > 0) {
      throw new DeployFailedError(
        `the alarm${missing.length > 1 ? "s" : ""} ${missing.join(", ")} ${missing.length > 1 ? "do" : "does"} not exist in the wave's account and region: create ${missing.length > 1 ? "them" : "it"}, or define ${missing.length > 1 ? "them" : "it"} in the config so that Glidepath puts ${missing.length > 1 ? "them" : "it"}`,
      );
    }
  }
}

/**
 * Tasks for one colour when the new version has `weight` percent of a fleet: the new version rounds up, so a
 * batch never rounds down to nothing, and the old version runs the rest.
 */
export function fleetShare(role: "new" | "old", weight: number, fleetSize: number): number {
  const forNew = Math.ceil((weight * fleetSize) / 100);
  return role === "new" ? forNew : Math.max(fleetSize - forNew, 0);
}
