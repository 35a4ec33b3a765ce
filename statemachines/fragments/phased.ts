import { Duration } from "aws-cdk-lib";
import { type IChainable, JsonPath, Parallel, Succeed, Wait, WaitTime } from "aws-cdk-lib/aws-stepfunctions";
import { ErrorNames } from "../../functions/domain/errors.ts";
import {
  type FragmentContext,
  Paths,
  type RunsNewVersion,
  targetPayload,
  whenNewVersionRuns,
} from "./context.ts";
import { deployFailed, type RollbackOptions, requestRejected, rollback } from "./rollback.ts";
import { scale, waitForRollout } from "./rollout.ts";
import { phaseLoop } from "./shift-and-bake.ts";
import { step } from "./step.ts";

export interface DeploymentShape {
  /** Rolling grows the new version batch by batch instead of deploying it at full size first. */
  readonly startEmpty: boolean;
  /** States between a stable new version and the phases (blue-green's smoke test). */
  readonly beforePhases?: (ctx: FragmentContext, phases: IChainable, failed: IChainable) => IChainable;
  /** The states of one phase; `nextPhase` continues the loop. */
  readonly phase: (ctx: FragmentContext, nextPhase: IChainable) => IChainable;
  /** What one phase is called in state names ("phase", "batch"…), singular and plural. */
  readonly unit: { readonly one: string; readonly many: string };
  /** Seconds to wait between success and retiring the old version (blue-green), as a JSONPath. */
  readonly retireAfterPath?: string;
  readonly rollback?: Omit<RollbackOptions, "runsNewVersion">;
  /**
   * What "prepare" is called (state names read in the console). @default "Deploy new version"
   */
  readonly prepareName?: string;
  /**
   * The new version runs on a colour that must become stable before traffic moves, and the old colour is
   * retired after success; the rollback scales it down. @default true
   */
  readonly runsNewVersion?: RunsNewVersion;
}

/**
 * The skeleton every strategy shares: record the start, deploy the new version and wait until it is stable,
 * walk the plan's phases inside one Parallel (so any failure in them rolls back), record success, retire
 * the old version. Strategies differ only in what a phase does.
 */
export function deployment(ctx: FragmentContext, shape: DeploymentShape): IChainable {
  const { scope, fns } = ctx;
  const begin = step(scope, "Start deployment", {
    fn: fns.record,
    payload: { action: "start", "request.$": "$", "executionArn.$": "$$.Execution.Id" },
    resultPath: "$",
  });
  begin.addCatch(requestRejected(ctx), { resultPath: Paths.error });

  const failed = deployFailed(ctx);
  const runsNewVersion = shape.runsNewVersion ?? true;
  const deploy = step(scope, shape.prepareName ?? "Deploy new version", {
    fn: fns.deploy,
    payload: {
      action: "prepare",
      ...targetPayload,
      "alarms.$": "$.alarms",
      "alarmDefinitions.$": "$.alarmDefinitions",
      artifact: { "uri.$": "$.artifact.uri", "version.$": "$.artifact.version" },
      startEmpty: shape.startEmpty,
    },
    resultPath: "$.deploy",
  });
  // A target busy with someone else's change (a Lambda update in progress) takes this artifact once it is done.
  deploy.addRetry({
    errors: [ErrorNames.TargetBusy],
    interval: Duration.seconds(10),
    maxAttempts: 8,
    backoffRate: 1.5,
  });
  deploy.addCatch(failed, { resultPath: Paths.error });

  const loop = new Parallel(scope, "Shift and bake", {
    resultPath: JsonPath.DISCARD,
    comment: "Every phase of the plan; a failure anywhere in here rolls back.",
  });
  const phasesDone = new Succeed(scope, `All ${shape.unit.many} passed`);
  loop.branch(phaseLoop(ctx, shape.unit, (nextPhase) => shape.phase(ctx, nextPhase), phasesDone));
  loop.addCatch(rollback(ctx, { ...shape.rollback, runsNewVersion }), {
    resultPath: Paths.error,
  });

  const succeeded = step(scope, "Record success", {
    fn: fns.record,
    payload: {
      action: "succeeded",
      "deploymentId.$": Paths.deploymentId,
      "target.$": Paths.target,
      "alarms.$": "$.alarms",
      "account.$": "$.account",
      "region.$": "$.region",
    },
  });
  const end = new Succeed(scope, "Deployed");
  const retiring = () => {
    const retire = scale(ctx, "Retire old version", {
      colourPath: Paths.liveColour,
      role: "old",
      weight: 100,
    });
    // The new version serves everything already: an old colour that will not scale down is left to humans.
    retire.addCatch(end, { resultPath: "$.retireError" });
    retire.next(end);
    if (shape.retireAfterPath === undefined) return retire;
    return new Wait(scope, "Wait before retiring", {
      time: WaitTime.secondsPath(shape.retireAfterPath),
    }).next(retire);
  };
  succeeded.next(whenNewVersionRuns(ctx, runsNewVersion, "Old version to retire?", retiring, end));
  loop.next(succeeded);

  const phases = shape.beforePhases === undefined ? loop : shape.beforePhases(ctx, loop, failed);
  const rollingOut = () => {
    const rollout = waitForRollout(
      ctx,
      {
        start: "Start rollout checks",
        wait: "Wait for rollout",
        check: "Check rollout",
        ready: "Rollout stable?",
      },
      Paths.newColour,
      phases,
      "new version",
    );
    rollout.check.addCatch(failed, { resultPath: Paths.error });
    return rollout.start;
  };
  begin
    .next(deploy)
    .next(whenNewVersionRuns(ctx, runsNewVersion, "New version to roll out?", rollingOut, phases));
  return begin;
}
