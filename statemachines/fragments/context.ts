import type { Construct } from "constructs";
import type { StepFunctions } from "../step-functions.ts";

/** What every fragment needs: the scope its states are created in (one per state machine) and the steps. */
export interface FragmentContext {
  readonly scope: Construct;
  readonly fns: StepFunctions;
}

/**
 * Paths into the execution state. The input is the DeploymentRequest (functions/domain/deployment-request.ts);
 * states add `deploy` (what `prepare` found), `rollout`, `cursor`, `shift`, `evaluation` and `error`.
 */
export const Paths = {
  deploymentId: "$.deploymentId",
  target: "$.target",
  newColour: "$.deploy.newColour",
  liveColour: "$.deploy.liveColour",
  fleetSize: "$.deploy.fleetSize",
  error: "$.error",
} as const;
