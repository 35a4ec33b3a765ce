import { Choice, Condition, type IChainable, JsonPath, Pass, Result } from "aws-cdk-lib/aws-stepfunctions";
import type { LambdaInvoke } from "aws-cdk-lib/aws-stepfunctions-tasks";
import { GateSignal } from "../../functions/domain/gates.ts";
import { type FragmentContext, Paths, targetPayload } from "./context.ts";
import { gate, timedGate } from "./gate.ts";
import { step } from "./step.ts";

/** Moves the new version to the current phase's weight (`$.cursor.phase.weight`); the time it took is `$.shift`. */
export function shiftTraffic(ctx: FragmentContext): LambdaInvoke {
  return step(ctx.scope, "Shift traffic", {
    fn: ctx.fns.shiftTraffic,
    payload: {
      ...targetPayload,
      "newColour.$": Paths.newColour,
      "weight.$": "$.cursor.phase.weight",
    },
    resultPath: "$.shift",
  });
}

/**
 * Bakes at the current weight: evaluate at once, then wait at a timed gate until the next evaluation, until
 * the bake is over. Evaluate fails the execution (and so starts the rollback) with AlarmFiredError or
 * AnalysisFailedError, and so does an alarm event or an abort at the gate, at once. A human may promote past
 * the rest of the bake, or pause it (the "Paused" gate holds until resume or abort). A phase planned with an
 * approval ends at an approval gate, which counts as rejected when it times out.
 */
export function bake(ctx: FragmentContext, next: IChainable, options: BakeOptions = {}): IChainable {
  const { scope, fns } = ctx;
  const startBake = new Pass(scope, "Start bake", {
    result: Result.fromObject({ nextElapsedSeconds: 0 }),
    resultPath: "$.evaluation",
  });
  const evaluate = step(scope, "Evaluate alarms", {
    fn: fns.evaluate,
    payload: {
      ...targetPayload,
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

  const afterBake = options.approvals ? approvalGate(ctx, next) : next;

  const wait = timedGate(
    ctx,
    { parallel: "Bake", gate: "Wait for decision", timer: "Bake timer", ring: "Ring bake timer" },
    "bake",
    "$.evaluation.waitSeconds",
  );
  const paused = gate(ctx, "Paused", "pause");
  const resumed = new Pass(scope, "Resumed", {
    parameters: {
      "index.$": "$.cursor.index",
      "phase.$": "$.cursor.phase",
      resumes: JsonPath.mathAdd(JsonPath.numberAt("$.cursor.resumes"), 1),
    },
    resultPath: "$.cursor",
  });
  wait.addCatch(afterBake, { errors: [GateSignal.Promoted], resultPath: "$.signal" });
  wait.addCatch(paused, { errors: [GateSignal.Paused], resultPath: "$.signal" });
  paused.next(resumed).next(evaluate);
  wait.next(evaluate);

  const complete = new Choice(scope, "Bake complete?")
    .when(Condition.booleanEquals("$.evaluation.complete", true), afterBake)
    .otherwise(wait);
  startBake.next(evaluate).next(complete);
  return startBake;
}

export interface BakeOptions {
  /** Phases may end at an approval gate (canary's `approval` steps). @default false */
  readonly approvals?: boolean;
}

/**
 * After the bake, a phase planned with an approval waits at an approval gate beside its timeout; approval
 * moves on, rejection or the timeout (counted as a rejection) fails and rolls back.
 */
function approvalGate(ctx: FragmentContext, next: IChainable): IChainable {
  const approval = timedGate(
    ctx,
    {
      parallel: "Approval",
      gate: "Wait for approval",
      timer: "Approval timeout",
      ring: "Ring approval timeout",
    },
    "approval",
    "$.cursor.phase.approvalTimeoutSeconds",
  );
  approval.addCatch(next, { errors: [GateSignal.Approved], resultPath: "$.signal" });
  approval.next(next);
  return new Choice(ctx.scope, "Approval needed?")
    .when(Condition.isPresent("$.cursor.phase.approvalTimeoutSeconds"), approval)
    .otherwise(next);
}

/** The phase of canary, linear, all-at-once and blue-green: shift, then bake. */
export function shiftAndBake(ctx: FragmentContext, next: IChainable, options: BakeOptions = {}): IChainable {
  return shiftTraffic(ctx).next(bake(ctx, next, options));
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
      resumes: 0,
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
