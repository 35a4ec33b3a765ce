import { Choice, Condition, type IChainable, Wait, WaitTime } from "aws-cdk-lib/aws-stepfunctions";
import type { LambdaInvoke } from "aws-cdk-lib/aws-stepfunctions-tasks";
import type { FragmentContext } from "./context.ts";

/**
 * Loops `shift` through a Wait until its output (at `settledPath`) says it has taken effect, then goes on to
 * `next`. The shift step is idempotent for the same weight, so looking again is calling it again.
 */
export function untilSettled(
  ctx: FragmentContext,
  shift: LambdaInvoke,
  names: { readonly check: string; readonly wait: string },
  next: IChainable,
  settledPath = "$.shift.settled",
): LambdaInvoke {
  const wait = new Wait(ctx.scope, names.wait, { time: WaitTime.secondsPath("$.timing.shiftCheckSeconds") });
  shift.next(
    new Choice(ctx.scope, names.check)
      .when(Condition.booleanEquals(settledPath, false), wait)
      .otherwise(next),
  );
  wait.next(shift);
  return shift;
}
