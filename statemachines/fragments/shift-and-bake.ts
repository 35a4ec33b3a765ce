import { Choice, Condition, type IChainable, JsonPath, Pass, Result } from "aws-cdk-lib/aws-stepfunctions";
import { Verdict } from "../../functions/domain/evaluate.ts";
import { GateSignal } from "../../functions/domain/gates.ts";
import { type FragmentContext, Paths, targetPayload } from "./context.ts";
import { timedGate } from "./gate.ts";
import { untilSettled } from "./settle.ts";
import { step } from "./step.ts";

/**
 * Moves the new version to the current phase's weight (`$.cursor.phase.weight`), then `next`; the time it
 * took effect is `$.shift.shiftedAt`. With `waitsForShift`, a change that takes effect later (an AppConfig
 * deployment) is looked at again after a Wait until it has: the step is idempotent for the same weight.
 */
export function shiftTraffic(ctx: FragmentContext, next: IChainable, options: ShiftOptions = {}): IChainable {
  const shift = step(ctx.scope, "Shift traffic", {
    fn: ctx.fns.shiftTraffic,
    payload: {
      ...targetPayload,
      "newColour.$": Paths.newColour,
      "weight.$": "$.cursor.phase.weight",
    },
    resultPath: "$.shift",
  });
  if (!options.waitsForShift) return shift.next(next);
  return untilSettled(ctx, shift, { check: "Traffic shifted?", wait: "Wait for traffic shift" }, next);
}

export interface ShiftOptions {
  /**
   * The router's changes take effect later (a flag's AppConfig deployment): a Wait → check loop until they
   * have. A load balancer's take effect at once. @default false
   */
  readonly waitsForShift?: boolean;
}

/**
 * Bakes at the current weight: evaluate at once, then wait at a timed gate until the next evaluation, until
 * the bake is over. Evaluate fails the execution (and so starts the rollback) with AlarmFiredError,
 * AnalysisFailedError or PauseTimedOutError, and so does an alarm event or an abort at a gate, at once. A
 * check whose `onFail` is "pause", or a human, pauses the bake: the "Pause" gate holds the weight, evaluating
 * at every interval (a failure that rolls back still does), until a human resumes, promotes or aborts, or a
 * check's pause times out. A phase planned with an approval ends at an approval gate, which counts as
 * rejected when it times out.
 */
export function bake(ctx: FragmentContext, next: IChainable, options: BakeOptions = {}): IChainable {
  const { scope, fns } = ctx;
  const startBake = new Pass(scope, "Start bake", {
    result: Result.fromObject({
      nextElapsedSeconds: 0,
      state: { failing: {}, acknowledged: false },
    }),
    resultPath: "$.evaluation",
  });
  const evaluate = step(scope, "Evaluate alarms", {
    fn: fns.evaluate,
    payload: {
      ...targetPayload,
      "newColour.$": Paths.newColour,
      "alarms.$": "$.alarms",
      "pauseAlarms.$": "$.pauseAlarms",
      "analysis.$": "$.analysis",
      "metrics.$": "$.metrics",
      "targetHealth.$": "$.targetHealth",
      "pause.$": "$.pause",
      phase: {
        "index.$": "$.cursor.index",
        "weight.$": "$.cursor.phase.weight",
        "bakeSeconds.$": "$.cursor.phase.bakeSeconds",
        "gates.$": "$.cursor.phase.gates",
      },
      "elapsedSeconds.$": "$.evaluation.nextElapsedSeconds",
      "shiftedAt.$": "$.shift.shiftedAt",
      "state.$": "$.evaluation.state",
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
  const paused = timedGate(
    ctx,
    { parallel: "Pause", gate: "Wait for a human", timer: "Pause timer", ring: "Ring pause timer" },
    "pause",
    "$.evaluation.waitSeconds",
  );
  // A human's pause is evaluated like a check's, and holds until a human decides (no timeout).
  const heldByHuman = new Pass(scope, "Held by a human", {
    parameters: {
      "nextElapsedSeconds.$": "$.evaluation.nextElapsedSeconds",
      state: {
        "failing.$": "$.evaluation.state.failing",
        pause: { "sinceSeconds.$": "$.evaluation.nextElapsedSeconds", by: "human" },
        "acknowledged.$": "$.evaluation.state.acknowledged",
      },
    },
    resultPath: "$.evaluation",
  });
  const resumed = new Pass(scope, "Resumed", {
    parameters: {
      "index.$": "$.cursor.index",
      "phase.$": "$.cursor.phase",
      resumes: JsonPath.mathAdd(JsonPath.numberAt("$.cursor.resumes"), 1),
    },
    resultPath: "$.cursor",
  });
  // Resumed: the pause is over, and the soft checks that caused it pause this phase no more.
  const acknowledged = new Pass(scope, "Acknowledge pause", {
    parameters: { "failing.$": "$.evaluation.state.failing", acknowledged: true },
    resultPath: "$.evaluation.state",
  });
  wait.addCatch(afterBake, { errors: [GateSignal.Promoted], resultPath: "$.signal" });
  wait.addCatch(heldByHuman, { errors: [GateSignal.Paused], resultPath: "$.signal" });
  paused.addCatch(afterBake, { errors: [GateSignal.Promoted], resultPath: "$.signal" });
  paused.addCatch(resumed, { errors: [GateSignal.Resumed], resultPath: "$.signal" });
  heldByHuman.next(evaluate);
  resumed.next(acknowledged).next(evaluate);
  wait.next(evaluate);
  paused.next(evaluate);

  const complete = new Choice(scope, "Bake complete?")
    .when(Condition.stringEquals("$.evaluation.verdict", Verdict.Pause), paused)
    .when(Condition.booleanEquals("$.evaluation.complete", true), afterBake)
    .otherwise(wait);
  startBake.next(evaluate).next(complete);
  return startBake;
}

export interface BakeOptions {
  /** Phases may end at an approval gate (canary's `approval` steps). @default false */
  readonly approvals?: boolean;
}

export interface PhaseOptions extends BakeOptions, ShiftOptions {}

/**
 * After the bake, a phase planned with an approval waits at an approval gate beside its timeout; approval
 * moves on, rejection or the timeout (counted as a rejection) fails and rolls back.
 */
export function approvalGate(ctx: FragmentContext, next: IChainable): IChainable {
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
export function shiftAndBake(ctx: FragmentContext, next: IChainable, options: PhaseOptions = {}): IChainable {
  return shiftTraffic(ctx, bake(ctx, next, options), options);
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
