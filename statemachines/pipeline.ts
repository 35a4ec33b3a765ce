import {
  type CatchProps,
  Choice,
  Condition,
  Fail,
  type IChainable,
  JsonPath,
  Map as MapState,
  Succeed,
  Wait,
  WaitTime,
} from "aws-cdk-lib/aws-stepfunctions";
import { GateSignal } from "../functions/domain/gates.ts";
import type { HookStage } from "../functions/domain/hooks.ts";
import type { FragmentContext } from "./fragments/context.ts";
import { timedGate } from "./fragments/gate.ts";
import { invokeHook } from "./fragments/hook.ts";
import { step } from "./fragments/step.ts";
import { regionWaveMap } from "./fragments/waves.ts";

export interface PipelineContext extends FragmentContext {
  /** `arn:…:stateMachine:<stack>-`: a strategy's machine is this followed by its type. */
  readonly strategyArnPrefix: string;
}

/**
 * The promotion pipeline: for each environment in order, its deployment records, the promotion approval when
 * the environment requires one, the freeze-window check, the pre-deploy hooks, the strategy of each region wave
 * as a nested execution (`startExecution.sync:2`, which links parent and child in the console) with a bake
 * between waves, and the post-deploy hooks. A failure anywhere stops the promotion: the environment's failure
 * is recorded, its reversible pre-deploy hooks undone (or the environment frozen when one was irreversible),
 * and the lock released. Every step is an event of the promotion record (functions/domain/promotion/), so
 * the record says where the promotion is. The input is a PromotionRequest (functions/domain/promotion/request.ts).
 */
export function pipeline(ctx: PipelineContext): IChainable {
  const { scope, fns } = ctx;
  const promotion = {
    "promotionId.$": "$.promotionId",
    "service.$": "$.service",
    "artifact.$": "$.artifact",
  };

  const begin = step(scope, "Start promotion", {
    fn: fns.promote,
    payload: { action: "start", "request.$": "$", "executionArn.$": "$$.Execution.Id" },
  });
  const stop = step(scope, "Stop promotion", {
    fn: fns.promote,
    payload: { action: "finish", outcome: "stopped", promotion, "error.$": "$.error" },
  }).next(new Fail(scope, "Promotion stopped", { errorPath: "$.error.Error", causePath: "$.error.Cause" }));
  begin.addCatch(stop, { resultPath: "$.error" });

  const environments = new MapState(scope, "Promote through environments", {
    comment: "One environment at a time, in promotion order; a failure stops the promotion.",
    itemsPath: "$.environments",
    maxConcurrency: 1,
    itemSelector: {
      promotion,
      "environment.$": "$$.Map.Item.Value",
      // What the promotion gate shows and who may decide at it; it is kept on the environment's first wave.
      "deploymentId.$": "$$.Map.Item.Value.waves[0].deploymentId",
      "service.$": "$.service",
      "version.$": "$.artifact.version",
      "environmentName.$": "$$.Map.Item.Value.name",
      "approvers.$": "$$.Map.Item.Value.approval.approvers",
      startedBy: { "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id" },
    },
    resultPath: JsonPath.DISCARD,
  });
  environments.itemProcessor(environment(ctx));
  environments.addCatch(stop, { resultPath: "$.error" });

  const finish = step(scope, "Finish promotion", {
    fn: fns.promote,
    payload: { action: "finish", outcome: "promoted", promotion },
  });
  // A finish that failed after its retries still ends through the one path that releases the lock.
  finish.addCatch(stop, { resultPath: "$.error" });
  begin.next(environments).next(finish).next(new Succeed(scope, "Promoted"));
  return begin;
}

/** The states of one environment; the state is the Map's item (see `itemSelector` above). */
function environment(ctx: PipelineContext): IChainable {
  const { scope, fns } = ctx;
  const failed = environmentFailed(ctx);
  const catchInto = (state: { addCatch(handler: IChainable, props?: CatchProps): unknown }) =>
    state.addCatch(failed, { resultPath: "$.error" });

  const enter = step(scope, "Enter environment", {
    fn: fns.promote,
    payload: { action: "enter", "promotion.$": "$.promotion", "environment.$": "$.environment" },
  });
  catchInto(enter);

  const checkFreeze = step(scope, "Check freeze windows", {
    fn: fns.promote,
    payload: { action: "check-freeze", "promotion.$": "$.promotion", "environment.$": "$.environment" },
    resultPath: "$.freeze",
  });
  catchInto(checkFreeze);
  const waitForFreeze = new Wait(scope, "Wait for the freeze to end", {
    time: WaitTime.timestampPath("$.freeze.until"),
  }).next(checkFreeze);

  const approval = timedGate(
    { scope, fns },
    {
      parallel: "Approve promotion",
      gate: "Wait for promotion approval",
      timer: "Promotion approval timeout",
      ring: "Ring promotion approval timeout",
    },
    "approval",
    "$.environment.approval.timeoutSeconds",
    {
      position: { kind: "approval", phaseIndex: 0, resumes: 0, elapsedSeconds: 0, weight: 0 },
      subject: {
        "deploymentId.$": "$.deploymentId",
        "approvers.$": "$.approvers",
        "service.$": "$.service",
        "environment.$": "$.environmentName",
        "version.$": "$.version",
        "label.$": "States.Format('promotion to {}', $.environmentName)",
      },
    },
  );
  const approved = step(scope, "Record promotion approval", {
    fn: fns.promote,
    payload: { action: "approved", "promotion.$": "$.promotion", "environment.$": "$.environment" },
    resultPath: JsonPath.DISCARD,
  });
  catchInto(approved);
  approved.next(checkFreeze);
  approval.addCatch(approved, { errors: [GateSignal.Approved], resultPath: JsonPath.DISCARD });
  catchInto(approval);
  approval.next(approved);

  const preDeploy = hooks(ctx, "preDeploy", "pre-deploy");
  const postDeploy = hooks(ctx, "postDeploy", "post-deploy");
  catchInto(preDeploy);
  catchInto(postDeploy);
  const waves = regionWaves(ctx);
  catchInto(waves);

  enter.next(
    new Choice(scope, "Promotion approval required?")
      .when(Condition.booleanEquals("$.environment.approval.required", true), approval)
      .otherwise(checkFreeze),
  );
  checkFreeze.next(
    new Choice(scope, "Frozen?")
      .when(Condition.booleanEquals("$.freeze.frozen", true), waitForFreeze)
      .otherwise(preDeploy),
  );
  const promoted = step(scope, "Record environment success", {
    fn: fns.promote,
    payload: {
      action: "environment-promoted",
      "promotion.$": "$.promotion",
      "environment.$": "$.environment",
    },
    resultPath: JsonPath.DISCARD,
  });
  catchInto(promoted);
  preDeploy.next(waves).next(postDeploy).next(promoted).next(new Succeed(scope, "Environment promoted"));
  return enter;
}

/** Each region of the environment in turn, the first at once and every other after the wave bake. */
function regionWaves(ctx: PipelineContext): MapState {
  const { scope, fns } = ctx;
  const recordWave = step(scope, "Record wave", {
    fn: fns.promote,
    payload: {
      action: "wave-ended",
      "promotion.$": "$.promotion",
      "environment.$": "$.environment",
      "deploymentId.$": "$.wave.deploymentId",
    },
    resultPath: JsonPath.DISCARD,
  });
  return regionWaveMap(
    scope,
    { map: "Deploy region waves", first: "First wave?", bake: "Bake between waves", run: "Run strategy" },
    {
      strategyArnPrefix: ctx.strategyArnPrefix,
      itemsPath: "$.environment.waves",
      bakeSecondsPath: "$.environment.waveBakeSeconds",
      carry: { "promotion.$": "$.promotion", "environment.$": "$.environment" },
      afterRun: recordWave,
    },
  );
}

/**
 * The environment's hooks of one stage, one at a time: each invoked with the hook contract
 * (functions/domain/hooks.ts), its answer checked and logged by the promote step, which fails the
 * environment for a hook that did not pass.
 */
function hooks(ctx: PipelineContext, stage: Exclude<HookStage, "undo">, label: string): MapState {
  return hookMap(ctx, stage, `$.environment.${stage}`, {
    map: `Run ${label} hooks`,
    run: `Run ${label} hook`,
    check: `Check ${label} hook`,
  });
}

/** A Map that runs the hooks listed at `itemsPath` one at a time at `stage`. */
function hookMap(
  ctx: PipelineContext,
  stage: HookStage,
  itemsPath: string,
  names: { readonly map: string; readonly run: string; readonly check: string },
): MapState {
  const map = new MapState(ctx.scope, names.map, {
    itemsPath,
    maxConcurrency: 1,
    itemSelector: {
      "hook.$": "$$.Map.Item.Value",
      "environment.$": "$.environment",
      "promotion.$": "$.promotion",
    },
    resultPath: JsonPath.DISCARD,
  });
  map.itemProcessor(runHook(ctx, stage, names.run, names.check));
  return map;
}

function runHook(ctx: PipelineContext, stage: HookStage, run: string, check: string): IChainable {
  const { scope, fns } = ctx;
  const invoke = invokeHook(scope, run, stage, {
    "promotionId.$": "$.promotion.promotionId",
    "deploymentId.$": "$.environment.waves[0].deploymentId",
    "service.$": "$.promotion.service",
    "environment.$": "$.environment.name",
    "artifact.$": "$.promotion.artifact",
  });
  const verdict = step(scope, check, {
    fn: fns.promote,
    payload: {
      action: "hook-ran",
      "promotion.$": "$.promotion",
      stage,
      "hook.$": "$.hook",
      "environment.$": "$.environment",
      "output.$": "$.output.answer",
    },
  });
  return invoke.next(verdict);
}

/**
 * An environment failed: record it, undo the reversible pre-deploy hooks that passed (newest first; every
 * answer is logged, and an undo that throws ends the undoing), or freeze when one was irreversible, then fail
 * the iteration, which stops the promotion.
 */
function environmentFailed(ctx: PipelineContext): IChainable {
  const { scope, fns } = ctx;
  const record = step(scope, "Record environment failure", {
    fn: fns.promote,
    payload: {
      action: "environment-failed",
      "promotion.$": "$.promotion",
      "environment.$": "$.environment",
      "error.$": "$.error",
    },
    resultPath: "$.failure",
  });
  const undo = hookMap(ctx, "undo", "$.failure.undo", {
    map: "Undo pre-deploy hooks",
    run: "Undo pre-deploy hook",
    check: "Check undo",
  });
  const failed = new Fail(scope, "Environment failed", {
    errorPath: "$.error.Error",
    causePath: "$.error.Cause",
  });
  undo.addCatch(failed, { resultPath: JsonPath.DISCARD });
  record.addCatch(failed, { resultPath: JsonPath.DISCARD });
  record.next(undo).next(failed);
  return record;
}
