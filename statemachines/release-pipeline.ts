import { Duration } from "aws-cdk-lib";
import {
  type CatchProps,
  Choice,
  Condition,
  Fail,
  type IChainable,
  JsonPath,
  Map as MapState,
  Pass,
  Succeed,
  Wait,
  WaitTime,
} from "aws-cdk-lib/aws-stepfunctions";
import { GateSignal } from "../functions/domain/gates.ts";
import { PromotionApprovalPosition } from "../functions/domain/promotion/request.ts";
import { timedGate } from "./fragments/gate.ts";
import { invokeHook } from "./fragments/hook.ts";
import { nestedStrategy } from "./fragments/nested.ts";
import { step } from "./fragments/step.ts";
import { regionWaveMap } from "./fragments/waves.ts";
import type { PipelineContext } from "./pipeline.ts";

/** How long the release waits between attempts at the locks another promotion or release holds. */
export const lockWaitSeconds = 60;

const startedBy = { "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id" };

/**
 * The release pipeline: several services promoted together. It takes every service's lock (waiting while
 * another holds one), then for each environment in order: one approval gate and one freeze check for the
 * whole release, then the services in dependency groups (a group after the one before it, the services of a
 * group side by side, each service's region waves one after another as nested strategy executions). When a
 * service does not succeed, the services of the release that succeeded in that environment go back to their
 * previous artifacts, newest group first, and the release stops: later environments are never entered. Every
 * step is an event of the release record (functions/domain/release/). The input is a ReleaseRequest
 * (functions/domain/release/request.ts).
 */
export function releasePipeline(ctx: PipelineContext): IChainable {
  const { scope, fns } = ctx;
  const release = { "releaseId.$": "$.releaseId" };

  const stop = step(scope, "Stop release", {
    fn: fns.release,
    payload: { action: "finish", outcome: "stopped", ...release, "error.$": "$.error" },
  }).next(new Fail(scope, "Release stopped", { errorPath: "$.error.Error", causePath: "$.error.Cause" }));

  const takeLocks = step(scope, "Take release locks", {
    fn: fns.release,
    payload: { action: "take-locks", ...release },
    resultPath: "$.locks",
  });
  takeLocks.addCatch(stop, { resultPath: "$.error" });
  const waitForLocks = new Wait(scope, "Wait for release locks", {
    time: WaitTime.duration(Duration.seconds(lockWaitSeconds)),
  }).next(takeLocks);

  const begin = step(scope, "Start release", {
    fn: fns.release,
    payload: { action: "start", ...release, "executionArn.$": "$$.Execution.Id" },
  });
  begin.addCatch(stop, { resultPath: "$.error" });
  takeLocks.next(
    new Choice(scope, "Every lock held?")
      .when(Condition.booleanEquals("$.locks.held", true), begin)
      .otherwise(waitForLocks),
  );

  const environments = new MapState(scope, "Release through environments", {
    comment: "One environment at a time, in promotion order; a failure stops the release.",
    itemsPath: "$.environments",
    maxConcurrency: 1,
    itemSelector: { ...release, "environment.$": "$$.Map.Item.Value", startedBy },
    resultPath: JsonPath.DISCARD,
  });
  environments.itemProcessor(environment(ctx));
  environments.addCatch(stop, { resultPath: "$.error" });

  const finish = step(scope, "Finish release", {
    fn: fns.release,
    payload: { action: "finish", outcome: "promoted", ...release },
  });
  // A finish that failed after its retries still ends through the one path that gives the locks back.
  finish.addCatch(stop, { resultPath: "$.error" });
  begin.next(environments).next(finish).next(new Succeed(scope, "Released"));
  return takeLocks;
}

/** The states of one environment of the release; the state is the Map's item (see `itemSelector` above). */
function environment(ctx: PipelineContext): IChainable {
  const { scope, fns } = ctx;
  const release = { "releaseId.$": "$.releaseId" };
  const failed = environmentFailed(ctx);
  const catchInto = (state: { addCatch(handler: IChainable, props?: CatchProps): unknown }) =>
    state.addCatch(failed, { resultPath: "$.error" });

  const enter = step(scope, "Enter release environment", {
    fn: fns.release,
    payload: { action: "enter", ...release, "environment.$": "$.environment" },
    resultPath: "$.gate",
  });
  catchInto(enter);

  const checkFreeze = step(scope, "Check release freeze windows", {
    fn: fns.release,
    payload: { action: "check-freeze", ...release, "environment.$": "$.environment" },
    resultPath: "$.freeze",
  });
  catchInto(checkFreeze);
  const waitForFreeze = new Wait(scope, "Wait for the release freeze to end", {
    time: WaitTime.timestampPath("$.freeze.until"),
  }).next(checkFreeze);

  const approval = timedGate(
    { scope, fns },
    {
      parallel: "Approve release",
      gate: "Wait for release approval",
      timer: "Release approval timeout",
      ring: "Ring release approval timeout",
    },
    "approval",
    "$.environment.approval.timeoutSeconds",
    {
      position: PromotionApprovalPosition,
      subject: {
        "deploymentId.$": "$.gate.deploymentId",
        "approvers.$": "$.environment.approval.approvers",
        "service.$": "$.gate.service",
        "environment.$": "$.environment.name",
        "version.$": "$.gate.version",
        "label.$": "States.Format('release to {}', $.environment.name)",
      },
    },
  );
  // The approval is in the gate's decision log; the release goes on to its freeze check.
  approval.addCatch(checkFreeze, { errors: [GateSignal.Approved], resultPath: JsonPath.DISCARD });
  catchInto(approval);
  approval.next(checkFreeze);

  const groups = dependencyGroups(ctx);
  catchInto(groups);
  enter.next(
    new Choice(scope, "Release approval required?")
      .when(Condition.booleanEquals("$.environment.approval.required", true), approval)
      .otherwise(checkFreeze),
  );
  checkFreeze.next(
    new Choice(scope, "Release frozen?")
      .when(Condition.booleanEquals("$.freeze.frozen", true), waitForFreeze)
      .otherwise(groups),
  );
  const succeeded = step(scope, "Record release environment success", {
    fn: fns.release,
    payload: { action: "environment-succeeded", ...release, "environment.$": "$.environment.name" },
  });
  catchInto(succeeded);
  groups.next(succeeded).next(new Succeed(scope, "Release environment succeeded"));
  return enter;
}

/**
 * The environment's dependency groups one after another. In a group the services deploy side by side, and
 * each ends on its own (a service that fails does not stop its neighbour mid-rollout): the group's check
 * then fails the environment when any of them did not succeed.
 */
function dependencyGroups(ctx: PipelineContext): MapState {
  const { scope, fns } = ctx;
  const groups = new MapState(scope, "Deploy dependency groups", {
    itemsPath: "$.environment.groups",
    maxConcurrency: 1,
    itemSelector: {
      "releaseId.$": "$.releaseId",
      "environmentName.$": "$.environment.name",
      "group.$": "$$.Map.Item.Value",
      "startedBy.$": "$.startedBy",
    },
    resultPath: JsonPath.DISCARD,
  });
  const services = new MapState(scope, "Deploy group services", {
    itemsPath: "$.group",
    itemSelector: {
      "releaseId.$": "$.releaseId",
      "environmentName.$": "$.environmentName",
      "service.$": "$$.Map.Item.Value",
      "startedBy.$": "$.startedBy",
    },
    resultPath: JsonPath.DISCARD,
  });
  services.itemProcessor(service(ctx));
  const check = step(scope, "Check dependency group", {
    fn: fns.release,
    payload: {
      action: "group-ended",
      "releaseId.$": "$.releaseId",
      "environment.$": "$.environmentName",
      "group.$": "$.group",
    },
  });
  groups.itemProcessor(services.next(check));
  return groups;
}

/**
 * One service of a group: its pre-deploy hooks, its region waves in turn with the bake between them, its
 * post-deploy hooks, then its end on the record.
 */
function service(ctx: PipelineContext): IChainable {
  const { scope, fns } = ctx;
  const waves = regionWaveMap(
    scope,
    {
      map: "Deploy service waves",
      first: "First wave of the service?",
      bake: "Bake between service waves",
      run: "Run service strategy",
    },
    {
      strategyArnPrefix: ctx.strategyArnPrefix,
      itemsPath: "$.service.waves",
      bakeSecondsPath: "$.service.waveBakeSeconds",
    },
  );
  const ended = step(scope, "Record service end", {
    fn: fns.release,
    payload: {
      action: "service-ended",
      "releaseId.$": "$.releaseId",
      "environment.$": "$.environmentName",
      "service.$": "$.service",
    },
  });
  const failedEnd = step(scope, "Record service failure", {
    fn: fns.release,
    payload: {
      action: "service-ended",
      failed: true,
      "releaseId.$": "$.releaseId",
      "environment.$": "$.environmentName",
      "service.$": "$.service",
    },
  });
  const preDeploy = serviceHooks(ctx, "preDeploy", "pre-deploy");
  const postDeploy = serviceHooks(ctx, "postDeploy", "post-deploy");
  // A hook that did not pass, or a wave that did not succeed, ends the service FAILED; the group's check
  // then fails the environment.
  for (const state of [preDeploy, waves, postDeploy])
    state.addCatch(failedEnd, { resultPath: JsonPath.DISCARD });
  preDeploy.next(waves).next(postDeploy).next(ended);
  return preDeploy;
}

/** What a release's hook is told about: the release, the service's first wave, its environment and artifact. */
const hookSubject = (servicePath: string, deploymentIdPath: string, artifactPath: string) => ({
  "releaseId.$": "$.releaseId",
  "deploymentId.$": deploymentIdPath,
  "service.$": servicePath,
  "environment.$": "$.environmentName",
  "artifact.$": artifactPath,
});

/** The service's hooks of one stage, one at a time, each checked and recorded by the release step. */
function serviceHooks(ctx: PipelineContext, stage: "preDeploy" | "postDeploy", label: string): MapState {
  const { scope, fns } = ctx;
  const map = new MapState(scope, `Run service ${label} hooks`, {
    itemsPath: `$.service.${stage}`,
    maxConcurrency: 1,
    itemSelector: {
      "hook.$": "$$.Map.Item.Value",
      "releaseId.$": "$.releaseId",
      "environmentName.$": "$.environmentName",
      "service.$": "$.service",
    },
    resultPath: JsonPath.DISCARD,
  });
  const invoke = invokeHook(
    scope,
    `Run service ${label} hook`,
    stage,
    hookSubject("$.service.service", "$.service.waves[0].deploymentId", "$.service.artifact"),
  );
  const check = step(scope, `Check service ${label} hook`, {
    fn: fns.release,
    payload: {
      action: "hook-ran",
      "releaseId.$": "$.releaseId",
      "environment.$": "$.environmentName",
      "service.$": "$.service.service",
      stage,
      "hook.$": "$.hook",
      "output.$": "$.output.answer",
    },
  });
  map.itemProcessor(invoke.next(check));
  return map;
}

/**
 * An environment failed: record it, then put each service of the release that succeeded there back on its
 * previous artifact (newest group first, one at a time, each region wave as a restore execution), undo the
 * reversible pre-deploy hooks that passed there (newest first), and fail the iteration, which stops the
 * release. When an irreversible hook ran there, the release step answers nothing to restore or undo: the
 * environment is FROZEN. A restore that fails leaves its service as it is (SUCCEEDED in a
 * FAILED environment on the record) and the next one goes on.
 */
function environmentFailed(ctx: PipelineContext): IChainable {
  const { scope, fns } = ctx;
  const record = step(scope, "Record release environment failure", {
    fn: fns.release,
    payload: {
      action: "environment-failed",
      "releaseId.$": "$.releaseId",
      "environment.$": "$.environment",
      "error.$": "$.error",
    },
    resultPath: "$.failure",
  });
  const services = new MapState(scope, "Roll back released services", {
    itemsPath: "$.failure.rollback",
    maxConcurrency: 1,
    itemSelector: {
      "releaseId.$": "$.releaseId",
      "environmentName.$": "$.environment.name",
      "item.$": "$$.Map.Item.Value",
      "startedBy.$": "$.startedBy",
    },
    resultPath: JsonPath.DISCARD,
  });
  const waves = new MapState(scope, "Restore region waves", {
    itemsPath: "$.item.waves",
    maxConcurrency: 1,
    itemSelector: { "wave.$": "$$.Map.Item.Value", "startedBy.$": "$.startedBy" },
    resultPath: JsonPath.DISCARD,
  });
  const restore = nestedStrategy(scope, "Run restore", {
    strategyArnPrefix: ctx.strategyArnPrefix,
    wavePath: "$.wave.restore",
    startedByPath: "$.startedBy",
  });
  waves.itemProcessor(
    new Choice(scope, "Previous artifact to restore?")
      .when(Condition.isPresent("$.wave.restore"), restore)
      .otherwise(new Pass(scope, "Nothing to restore")),
  );
  const rolledBack = step(scope, "Record service rollback", {
    fn: fns.release,
    payload: {
      action: "service-rolled-back",
      "releaseId.$": "$.releaseId",
      "environment.$": "$.environmentName",
      "service.$": "$.item.service",
    },
  });
  waves.addCatch(new Pass(scope, "Restore failed"), { resultPath: JsonPath.DISCARD });
  waves.next(rolledBack);
  services.itemProcessor(waves);
  const failed = new Fail(scope, "Release environment failed", {
    errorPath: "$.error.Error",
    causePath: "$.error.Cause",
  });
  const undo = new MapState(scope, "Undo release pre-deploy hooks", {
    itemsPath: "$.failure.undo",
    maxConcurrency: 1,
    itemSelector: {
      "hook.$": "$$.Map.Item.Value.hook",
      "item.$": "$$.Map.Item.Value",
      "releaseId.$": "$.releaseId",
      "environmentName.$": "$.environment.name",
    },
    resultPath: JsonPath.DISCARD,
  });
  const undoOne = invokeHook(
    scope,
    "Undo release pre-deploy hook",
    "undo",
    hookSubject("$.item.service", "$.item.deploymentId", "$.item.artifact"),
  );
  const checkUndo = step(scope, "Check release undo", {
    fn: fns.release,
    payload: {
      action: "hook-ran",
      "releaseId.$": "$.releaseId",
      "environment.$": "$.environmentName",
      "service.$": "$.item.service",
      stage: "undo",
      "hook.$": "$.hook",
      "output.$": "$.output.answer",
    },
  });
  undo.itemProcessor(undoOne.next(checkUndo));
  // An undo that throws ends the undoing (every answer is recorded); the environment has failed either way.
  for (const state of [services, undo, record]) state.addCatch(failed, { resultPath: JsonPath.DISCARD });
  record.next(services).next(undo).next(failed);
  return record;
}
