import type { IFunction } from "aws-cdk-lib/aws-lambda";

/** The Lambda functions that strategy states invoke, one per step kind (see functions/handlers). */
export interface StepFunctions {
  readonly deploy: IFunction;
  readonly shiftTraffic: IFunction;
  readonly evaluate: IFunction;
  readonly record: IFunction;
  /** Keeps a gate's task token and tells humans; its task waits until the gate is resolved. */
  readonly openGate: IFunction;
  /** Resolves gates: events from the bus (humans, alarms) and the timers of the state machine itself. */
  readonly resolveGate: IFunction;
  /** The pipeline's step: environments' records, freeze checks, hook answers, the promotion's end. */
  readonly promote: IFunction;
  /** The release pipeline's step: the release record, its locks, gates, and what its rollback redeploys. */
  readonly release: IFunction;
}

/**
 * Names of the steps, shared by the stack (environment variable `GLIDEPATH_STEP` of each function) and the
 * local runtime, which finds the handler of a Task state from the function it invokes.
 */
export const StepNames = {
  deploy: "deploy",
  shiftTraffic: "shift-traffic",
  evaluate: "evaluate",
  record: "record",
  openGate: "open-gate",
  resolveGate: "resolve-gate",
  promote: "promote",
  release: "release",
} as const satisfies Record<keyof StepFunctions, string>;

export type StepName = (typeof StepNames)[keyof typeof StepNames];

/** Tag on each state machine naming its strategy, or `pipeline`; the local runtime finds the machines by it. */
export const strategyTagKey = "glidepath:strategy";

/**
 * The `strategyTagKey` values of the promotion and the release pipelines; domain holds them because the
 * execution starters need them too.
 */
export { pipelineTag, releasePipelineTag } from "../functions/domain/execution-name.ts";

/** Environment variable of each step function naming its step. */
export const stepEnvironmentVariable = "GLIDEPATH_STEP";
