import type { IChainable } from "aws-cdk-lib/aws-stepfunctions";
import type { FragmentContext } from "./fragments/context.ts";
import { deployment } from "./fragments/phased.ts";
import { shiftAndBake } from "./fragments/shift-and-bake.ts";

/** All at once: one switch to 100% and a bake, still guarded and rolled back on its own. */
export function allAtOnce(ctx: FragmentContext): IChainable {
  return deployment(ctx, {
    startEmpty: false,
    unit: { one: "switch", many: "switches" },
    phase: shiftAndBake,
  });
}
