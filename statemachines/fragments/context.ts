import { Choice, Condition, type IChainable } from "aws-cdk-lib/aws-stepfunctions";
import type { Construct } from "constructs";
import type { StepFunctions } from "../step-functions.ts";

/** What every fragment needs: the scope its states are created in (one per state machine) and the steps. */
export interface FragmentContext {
  readonly scope: Construct;
  readonly fns: StepFunctions;
}

/**
 * Paths into the execution state. The input is the DeploymentRequest (functions/domain/deployment-request.ts);
 * states add `deploy` (what `prepare` found), `rollout`, `cursor`, `shift`, `evaluation`, `error` and, in a
 * rollback, `shiftBack`.
 */
export const Paths = {
  deploymentId: "$.deploymentId",
  target: "$.target",
  targetType: "$.target.type",
  newColour: "$.deploy.newColour",
  liveColour: "$.deploy.liveColour",
  fleetSize: "$.deploy.fleetSize",
  error: "$.error",
} as const;

/**
 * What every step that acts on the target receives: the target, and where the wave is (its account and
 * region, and the deployment, whose id names the deploy role's session there).
 */
export const targetPayload = {
  "deploymentId.$": Paths.deploymentId,
  "target.$": Paths.target,
  "account.$": "$.account",
  "region.$": "$.region",
} as const;

/**
 * Whether the new version runs on a colour of its own (deployed and stable before traffic moves, scaled down
 * in a rollback, the old colour retired after success): always, never (a feature-flag rollout changes a flag
 * the running code reads), or per execution, unless the wave's target is a flag (an experiment, whose arms
 * are either a flag's variants or two target groups).
 */
export type RunsNewVersion = boolean | "unless-flag";

/**
 * The states `runs` builds when the new version runs, else `skip`: for "unless-flag", a Choice named
 * `question` that skips them on a flag target. Nothing is built for a machine that never runs them.
 */
export function whenNewVersionRuns(
  ctx: FragmentContext,
  runsNewVersion: RunsNewVersion,
  question: string,
  runs: () => IChainable,
  skip: IChainable,
): IChainable {
  if (runsNewVersion !== "unless-flag") return runsNewVersion ? runs() : skip;
  return new Choice(ctx.scope, question)
    .when(Condition.stringEquals(Paths.targetType, "flag"), skip)
    .otherwise(runs());
}
