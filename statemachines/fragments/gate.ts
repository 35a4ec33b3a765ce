import { Duration } from "aws-cdk-lib";
import {
  IntegrationPattern,
  JsonPath,
  Parallel,
  TaskInput,
  Timeout,
  Wait,
  WaitTime,
} from "aws-cdk-lib/aws-stepfunctions";
import { LambdaInvoke } from "aws-cdk-lib/aws-stepfunctions-tasks";
import { ErrorNames } from "../../functions/domain/errors.ts";
import type { GateKind } from "../../functions/domain/gates.ts";
import { type FragmentContext, Paths } from "./context.ts";
import { step } from "./step.ts";

/** The state machines' own timeout: a gate may wait as long as its execution runs. */
export const gateTimeoutDays = 14;

/** Where the gate is, as JSONPath: the gate id is derived from it by open-gate and by the timer alike. */
function position(kind: GateKind) {
  return {
    kind,
    "phaseIndex.$": "$.cursor.index",
    "resumes.$": "$.cursor.resumes",
    "elapsedSeconds.$": "$.evaluation.nextElapsedSeconds",
    "weight.$": "$.cursor.phase.weight",
    ...(kind === "bake" ? { "waitSeconds.$": "$.evaluation.waitSeconds" } : {}),
  };
}

/**
 * Where a gate is and what it concerns, as payload fields (`.$` keys are JSONPath). A strategy's gates read
 * the DeploymentRequest and the phase cursor; the pipeline's promotion gate gives its own.
 */
export interface GateSite {
  readonly position: Record<string, unknown>;
  readonly subject: Record<string, unknown>;
}

function strategySite(kind: GateKind): GateSite {
  return {
    position: position(kind),
    subject: {
      "deploymentId.$": Paths.deploymentId,
      "approvers.$": "$.approvers",
      "service.$": "$.service",
      "environment.$": "$.environment",
      "version.$": "$.artifact.version",
    },
  };
}

/**
 * A gate: a waitForTaskToken task whose token open-gate keeps in the state store (never in Slack, never in a
 * log) and which resolve-gate ends when a human, an alarm or the timer decides.
 */
export function gate(
  ctx: FragmentContext,
  name: string,
  kind: GateKind,
  site: GateSite = strategySite(kind),
): LambdaInvoke {
  return new LambdaInvoke(ctx.scope, name, {
    lambdaFunction: ctx.fns.openGate,
    integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN,
    payload: TaskInput.fromObject({
      taskToken: JsonPath.taskToken,
      "executionArn.$": "$$.Execution.Id",
      gate: site.position,
      ...site.subject,
    }),
    resultPath: JsonPath.DISCARD,
    // A gate waits for humans as long as its execution may run. Without it, aws-local-stepfunctions gives
    // a Task the ASL specification's default of 60 seconds (Step Functions itself waits on).
    taskTimeout: Timeout.duration(Duration.days(gateTimeoutDays)),
  });
}

export interface TimedGateNames {
  readonly parallel: string;
  readonly gate: string;
  readonly timer: string;
  readonly ring: string;
}

/**
 * A gate beside its timer, exact to the second: one branch waits on the gate, the other waits `secondsPath`
 * and then rings, which resolves the same gate as "timer". First decision wins (a conditional update in the
 * store). A human's early decision fails the gate with a GateSignal name, which ends the Parallel at once and
 * is caught by the caller; an alarm or a rejection fails it with the error that rolls back.
 */
export function timedGate(
  ctx: FragmentContext,
  names: TimedGateNames,
  kind: GateKind,
  secondsPath: string,
  site: GateSite = strategySite(kind),
): Parallel {
  const ring = step(ctx.scope, names.ring, {
    fn: ctx.fns.resolveGate,
    payload: { action: "ring", "deploymentId.$": site.subject["deploymentId.$"], gate: site.position },
  });
  // The timer may ring in the instant before open-gate has stored the gate.
  ring.addRetry({
    errors: [ErrorNames.GateNotOpen],
    interval: Duration.seconds(1),
    maxAttempts: 10,
    backoffRate: 1.5,
  });
  const parallel = new Parallel(ctx.scope, names.parallel, { resultPath: JsonPath.DISCARD });
  parallel.branch(gate(ctx, names.gate, kind, site));
  parallel.branch(new Wait(ctx.scope, names.timer, { time: WaitTime.secondsPath(secondsPath) }).next(ring));
  return parallel;
}
