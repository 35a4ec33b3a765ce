import type { IChainable } from "aws-cdk-lib/aws-stepfunctions";
import type { FragmentContext } from "./fragments/context.ts";
import { deployment } from "./fragments/phased.ts";
import { shiftAndBake } from "./fragments/shift-and-bake.ts";

/** Linear: equal steps of traffic (the plan's phases) every interval, each baked and judged. */
export function linear(ctx: FragmentContext): IChainable {
  return deployment(ctx, { startEmpty: false, unit: { one: "step", many: "steps" }, phase: shiftAndBake });
}
