import {
  Choice,
  Condition,
  type IChainable,
  Pass,
  Result,
  Wait,
  WaitTime,
} from "aws-cdk-lib/aws-stepfunctions";
import type { LambdaInvoke } from "aws-cdk-lib/aws-stepfunctions-tasks";
import { type FragmentContext, Paths, targetPayload } from "./context.ts";
import { step } from "./step.ts";

export interface RolloutNames {
  readonly start: string;
  readonly wait: string;
  readonly check: string;
  readonly ready: string;
}

export interface Rollout {
  readonly start: Pass;
  /** The Task that may fail (rollout failed or never stable): callers attach their Catch to it. */
  readonly check: LambdaInvoke;
}

/**
 * Waits for a colour to run its desired tasks, all healthy: Wait → check → stable? as a loop, because a
 * Lambda never sleeps. The check step fails with DeployFailedError when the rollout fails or times out.
 * The new version's rollout passes the alarm definitions: a Lambda version's are put once it is published.
 */
export function waitForRollout(
  ctx: FragmentContext,
  names: RolloutNames,
  colourPath: string,
  next: IChainable,
  of: "new version" | "other" = "other",
): Rollout {
  const start = new Pass(ctx.scope, names.start, {
    result: Result.fromObject({ checks: 0 }),
    resultPath: "$.rollout",
  });
  const wait = new Wait(ctx.scope, names.wait, { time: WaitTime.secondsPath("$.timing.deployCheckSeconds") });
  const check = step(ctx.scope, names.check, {
    fn: ctx.fns.deploy,
    payload: {
      action: "check",
      ...targetPayload,
      "colour.$": colourPath,
      "checks.$": "$.rollout.checks",
      "maxChecks.$": "$.timing.deployMaxChecks",
      ...(of === "new version" ? { "alarmDefinitions.$": "$.alarmDefinitions" } : { alarmDefinitions: [] }),
    },
    resultPath: "$.rollout",
  });
  const ready = new Choice(ctx.scope, names.ready)
    .when(Condition.booleanEquals("$.rollout.stable", true), next)
    .otherwise(wait);
  start.next(wait).next(check).next(ready);
  return { start, check };
}

/** Sizes a colour to its share of the fleet, given as the new version's weight (see the deploy step's `role`). */
export function scale(
  ctx: FragmentContext,
  name: string,
  props: { readonly colourPath: string; readonly role: "new" | "old"; readonly weight: number | string },
): LambdaInvoke {
  return step(ctx.scope, name, {
    fn: ctx.fns.deploy,
    payload: {
      action: "scale",
      ...targetPayload,
      "colour.$": props.colourPath,
      role: props.role,
      ...(typeof props.weight === "number" ? { weight: props.weight } : { "weight.$": props.weight }),
      "fleetSize.$": Paths.fleetSize,
    },
  });
}
