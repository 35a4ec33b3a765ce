import { Choice, Condition, type IChainable } from "aws-cdk-lib/aws-stepfunctions";
import { type FragmentContext, Paths, targetPayload } from "./fragments/context.ts";
import { deployment } from "./fragments/phased.ts";
import { approvalGate, bake, shiftTraffic } from "./fragments/shift-and-bake.ts";
import { step } from "./fragments/step.ts";

/**
 * Experiment: two phases, the first of them the experiment. The arms are a flag's variants (the wave's target
 * is a flag: nothing runs or retires, as in a feature-flag rollout) or two target groups (the treatment is
 * deployed on the idle colour and must be stable first, as in a canary; a rollback scales it down, a success
 * retires the control). The split bakes for the planned duration (the checks roll back or pause as in any
 * bake), then "Judge experiment" gives the verdict on the business metric: a treatment that won waits for an
 * approval (unless it promotes itself) and goes to 100%; a control that won, or no difference, fails the
 * judge with ExperimentNotWonError, and the rollback puts the split back.
 */
export function experiment(ctx: FragmentContext): IChainable {
  return deployment(ctx, {
    startEmpty: false,
    prepareName: "Prepare arms",
    runsNewVersion: "unless-flag",
    unit: { one: "phase", many: "phases" },
    rollback: { waitsForShift: true },
    phase: (ctx, next) => shiftTraffic(ctx, bake(ctx, judged(ctx, next)), { waitsForShift: true }),
  });
}

/** After the experiment's bake (the phase the plan marks `judge`), the verdict and its approval; else `next`. */
function judged(ctx: FragmentContext, next: IChainable): IChainable {
  const judge = step(ctx.scope, "Judge experiment", {
    fn: ctx.fns.evaluate,
    payload: {
      action: "judge",
      ...targetPayload,
      "service.$": "$.service",
      "environment.$": "$.environment",
      "version.$": "$.artifact.version",
      "executionArn.$": "$$.Execution.Id",
      "newColour.$": Paths.newColour,
      "metrics.$": "$.metrics",
      "experiment.$": "$.experiment",
      "shiftedAt.$": "$.shift.shiftedAt",
      "phase.$": "$.cursor.phase",
    },
    resultPath: "$.verdict",
  });
  judge.next(approvalGate(ctx, next));
  return new Choice(ctx.scope, "Experiment phase?")
    .when(Condition.isPresent("$.cursor.phase.judge"), judge)
    .otherwise(next);
}
