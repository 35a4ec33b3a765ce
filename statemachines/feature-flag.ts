import type { IChainable } from "aws-cdk-lib/aws-stepfunctions";
import type { FragmentContext } from "./fragments/context.ts";
import { type DeploymentShape, deployment } from "./fragments/phased.ts";
import { shiftAndBake } from "./fragments/shift-and-bake.ts";

/**
 * What every flag strategy's machine is: "Read flag" checks the guard rails and reads the flag; each "Shift
 * traffic" starts a flag deployment and is looked at again until it is live (read back and verified); a
 * rollback puts the flag back and waits for that too. Nothing runs or retires.
 */
export function flagDeployment(ctx: FragmentContext, phase: DeploymentShape["phase"]): IChainable {
  return deployment(ctx, {
    startEmpty: true,
    prepareName: "Read flag",
    runsNewVersion: false,
    unit: { one: "phase", many: "phases" },
    rollback: { waitsForShift: true },
    phase,
  });
}

/** Feature flag: the canary's phases with the flag's split as the weight. */
export function featureFlag(ctx: FragmentContext): IChainable {
  return flagDeployment(ctx, (ctx, next) =>
    shiftAndBake(ctx, next, { approvals: true, waitsForShift: true }),
  );
}
