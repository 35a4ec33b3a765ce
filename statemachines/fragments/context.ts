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
