import {
  Choice,
  Condition,
  type IChainable,
  JsonPath,
  Pass,
  Result,
  Wait,
  WaitTime,
} from "aws-cdk-lib/aws-stepfunctions";
import type { LambdaInvoke } from "aws-cdk-lib/aws-stepfunctions-tasks";
import { type FragmentContext, Paths } from "./context.ts";
import { step } from "./step.ts";

/** Moves the new version to the current phase's weight (`$.cursor.phase.weight`); the time it took is `$.shift`. */
export function shiftTraffic(ctx: FragmentContext): LambdaInvoke {
  return step(ctx.scope, "Shift traffic", {
    fn: ctx.fns.shiftTraffic,
    payload: {
      "deploymentId.$": Paths.deploymentId,
      "target.$": Paths.target,
      "newColour.$": Paths.newColour,
      "weight.$": "$.cursor.phase.weight",
    },
    resultPath: "$.shift",
  });
}

/**
 * Bakes at the current weight: evaluate at once, then Wait → evaluate until the bake is over. Evaluate fails
 * the execution (and so starts the rollback) with AlarmFiredError or AnalysisFailedError; it decides the wait,
 * so a long bake is a few dozen transitions, not thousands.
 */
export function bake(ctx: FragmentContext, next: IChainable): IChainable {
  const { scope, fns } = ctx;
  const startBake = new Pass(scope, "Start bake", {
    result: Result.fromObject({ nextElapsedSeconds: 0 }),
    resultPath: "$.evaluation",
  });
  const evaluate = step(scope, "Evaluate alarms", {
    fn: fns.evaluate,
    payload: {
      "deploymentId.$": Paths.deploymentId,
      "target.$": Paths.target,
      "newColour.$": Paths.newColour,
      "alarms.$": "$.alarms",
      "analysis.$": "$.analysis",
      phase: {
        "index.$": "$.cursor.index",
        "weight.$": "$.cursor.phase.weight",
        "bakeSeconds.$": "$.cursor.phase.bakeSeconds",
      },
      "elapsedSeconds.$": "$.evaluation.nextElapsedSeconds",
      "shiftedAt.$": "$.shift.shiftedAt",
    },
    resultPath: "$.evaluation",
  });
  const wait = new Wait(scope, "Bake", { time: WaitTime.secondsPath("$.evaluation.waitSeconds") });
  const complete = new Choice(scope, "Bake complete?")
    .when(Condition.booleanEquals("$.evaluation.complete", true), next)
    .otherwise(wait);
  startBake.next(evaluate).next(complete);
  wait.next(evaluate);
  return startBake;
}

/** The phase of canary, linear, all-at-once and blue-green: shift, then bake. */
export function shiftAndBake(ctx: FragmentContext, next: IChainable): IChainable {
  return shiftTraffic(ctx).next(bake(ctx, next));
}

/**
 * Walks `plan.phases` in order: each phase's state is at `$.cursor` ({ index, phase }) while `body` runs, and
 * `body` continues to the returned "Next phase" state. Returns the loop's first state.
 */
export function phaseLoop(
  ctx: FragmentContext,
  unit: { readonly one: string; readonly many: string },
  body: (nextPhase: IChainable) => IChainable,
  done: IChainable,
): IChainable {
  const { scope } = ctx;
  const start = new Pass(scope, `Start ${unit.many}`, {
    result: Result.fromObject({ index: 0 }),
    resultPath: "$.cursor",
  });
  const current = new Pass(scope, `Start ${unit.one}`, {
    parameters: {
      "index.$": "$.cursor.index",
      phase: JsonPath.arrayGetItem(JsonPath.listAt("$.plan.phases"), JsonPath.numberAt("$.cursor.index")),
    },
    resultPath: "$.cursor",
  });
  const advance = new Pass(scope, `Next ${unit.one}`, {
    parameters: { index: JsonPath.mathAdd(JsonPath.numberAt("$.cursor.index"), 1) },
    resultPath: "$.cursor",
  });
  const more = new Choice(scope, `More ${unit.many}?`)
    .when(Condition.numberLessThanJsonPath("$.cursor.index", "$.plan.phaseCount"), current)
    .otherwise(done);
  start.next(current).next(body(advance));
  advance.next(more);
  return start;
}
