import { Duration } from "aws-cdk-lib";
import { Choice, Condition, Fail, type State } from "aws-cdk-lib/aws-stepfunctions";
import {
  type FragmentContext,
  Paths,
  type RunsNewVersion,
  targetPayload,
  whenNewVersionRuns,
} from "./context.ts";
import { scale, waitForRollout } from "./rollout.ts";
import { untilSettled } from "./settle.ts";
import { step } from "./step.ts";

function record(ctx: FragmentContext, name: string, payload: Record<string, unknown>) {
  return step(ctx.scope, name, {
    fn: ctx.fns.record,
    payload: {
      "deploymentId.$": Paths.deploymentId,
      "error.$": Paths.error,
      "alarms.$": "$.alarms",
      "account.$": "$.account",
      "region.$": "$.region",
      ...payload,
    },
  });
}

export interface RollbackOptions {
  /**
   * Rolling deployments shrank the old version batch by batch: it must be back at full size, and healthy,
   * before traffic returns to it.
   * @default false
   */
  readonly restoreOldVersion?: boolean;
  /** The new version runs on a colour of its own, which is scaled down once traffic is back. @default true */
  readonly runsNewVersion?: RunsNewVersion;
  /** Shifting traffic back takes effect later (a flag deployment): wait until it has. @default false */
  readonly waitsForShift?: boolean;
}

/**
 * Catch target once traffic may have moved: record ROLLING_BACK, put 100% back on the old version (retried
 * hard: a half-shifted deployment is the worst outcome), scale the new version down, record ROLLED_BACK, and
 * fail the execution with the error that caused it. If traffic cannot be shifted back the deployment ends
 * FAILED with a reason that says so, never silently half-shifted.
 */
export function rollback(ctx: FragmentContext, options: RollbackOptions = {}): State {
  const { scope, fns } = ctx;
  const begin = record(ctx, "Record rollback", { action: "rolling-back" });
  const shiftBack = step(scope, "Shift traffic back", {
    fn: fns.shiftTraffic,
    payload: {
      ...targetPayload,
      "newColour.$": Paths.newColour,
      weight: 0,
    },
    resultPath: "$.shiftBack",
  });
  shiftBack.addRetry({
    errors: ["States.ALL"],
    interval: Duration.seconds(5),
    maxAttempts: 5,
    backoffRate: 2,
  });
  const stranded = record(ctx, "Record rollback failure", {
    action: "failed",
    stage: "Rollback could not move traffic back to the old version; traffic may still reach the new version",
    "error.$": "$.rollbackError",
  });
  stranded.next(
    new Fail(scope, "Rollback failed", {
      errorPath: "$.rollbackError.Error",
      causePath: "$.rollbackError.Cause",
    }),
  );
  shiftBack.addCatch(stranded, { resultPath: "$.rollbackError" });

  const done = record(ctx, "Record rolled back", { action: "rolled-back", "target.$": Paths.target });
  const rolledBack = new Fail(scope, "Rolled back", {
    errorPath: "$.error.Error",
    causePath: "$.error.Cause",
  });
  const scalingDown = () => {
    const scaleDown = scale(ctx, "Scale down new version", {
      colourPath: Paths.newColour,
      role: "new",
      weight: 0,
    });
    // The new version is already out of traffic: a failure to scale it down must not hide the rollback.
    scaleDown.addCatch(done, { resultPath: "$.scaleDownError" });
    return scaleDown.next(done);
  };
  const afterShift = whenNewVersionRuns(
    ctx,
    options.runsNewVersion ?? true,
    "New version to scale down?",
    scalingDown,
    done,
  );
  if (options.waitsForShift) {
    untilSettled(
      ctx,
      shiftBack,
      { check: "Traffic back?", wait: "Wait for traffic back" },
      afterShift,
      "$.shiftBack.settled",
    );
  } else {
    shiftBack.next(afterShift);
  }
  done.next(rolledBack);

  done.addCatch(rolledBack, { resultPath: "$.recordError" });

  let recovery: State = shiftBack;
  if (options.restoreOldVersion) {
    const restore = scale(ctx, "Restore old version", {
      colourPath: Paths.liveColour,
      role: "old",
      weight: 0,
    });
    restore.addCatch(stranded, { resultPath: "$.rollbackError" });
    const rollout = waitForRollout(
      ctx,
      {
        start: "Start old version checks",
        wait: "Wait for old version",
        check: "Check old version",
        ready: "Old version healthy?",
      },
      Paths.liveColour,
      shiftBack,
    );
    rollout.check.addCatch(stranded, { resultPath: "$.rollbackError" });
    restore.next(rollout.start);
    recovery = restore;
  }
  begin.next(recovery);
  // A record that cannot be written must not stop traffic from going back.
  begin.addCatch(recovery, { resultPath: "$.recordError" });
  return begin;
}

/**
 * Catch target before any traffic moved: record FAILED, remove whatever the new version started, and fail
 * the execution. The old version never stopped serving.
 */
export function deployFailed(ctx: FragmentContext): State {
  const { scope } = ctx;
  const fail = new Fail(scope, "Deploy failed", { errorPath: "$.error.Error", causePath: "$.error.Cause" });
  const begin = record(ctx, "Record deploy failure", { action: "failed", stage: "Deploy" });
  const remove = scale(ctx, "Remove new version", { colourPath: Paths.newColour, role: "new", weight: 0 });
  remove.addCatch(fail, { resultPath: "$.removeError" });
  remove.next(fail);
  begin.next(
    new Choice(scope, "New version started?")
      .when(Condition.isPresent(Paths.newColour), remove)
      .otherwise(fail),
  );
  return begin;
}

/** Ends an execution whose start was refused (invalid input, unknown deployment) before anything happened. */
export function requestRejected(ctx: FragmentContext): State {
  return new Fail(ctx.scope, "Request rejected", { errorPath: "$.error.Error", causePath: "$.error.Cause" });
}
