import type { IChainable } from "aws-cdk-lib/aws-stepfunctions";
import type { FragmentContext } from "./fragments/context.ts";
import { deployment } from "./fragments/phased.ts";
import { shiftAndBake } from "./fragments/shift-and-bake.ts";

/** Canary: the new version at full size, traffic moved to each `setWeight` of the plan in turn, baked and judged. */
export function canary(ctx: FragmentContext): IChainable {
  return deployment(ctx, {
    startEmpty: false,
    unit: { one: "phase", many: "phases" },
    phase: (ctx, next) => shiftAndBake(ctx, next, { approvals: true }),
  });
}
