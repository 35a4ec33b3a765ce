import type { IChainable } from "aws-cdk-lib/aws-stepfunctions";
import { type FragmentContext, Paths } from "./fragments/context.ts";
import { deployment } from "./fragments/phased.ts";
import { scale, waitForRollout } from "./fragments/rollout.ts";
import { bake, shiftTraffic } from "./fragments/shift-and-bake.ts";

/**
 * Rolling: the fleet moves to the new version in batches. Each batch grows the new colour to its share of the
 * fleet, waits until it is healthy, moves the same share of traffic, shrinks the old colour, and bakes. A
 * rollback first brings the old version back to full size.
 */
export function rolling(ctx: FragmentContext): IChainable {
  return deployment(ctx, {
    startEmpty: true,
    unit: { one: "batch", many: "batches" },
    rollback: { restoreOldVersion: true },
    phase: (ctx, nextBatch) => {
      const grow = scale(ctx, "Scale up new version", {
        colourPath: Paths.newColour,
        role: "new",
        weight: "$.cursor.phase.weight",
      });
      const shrink = scale(ctx, "Scale down old version", {
        colourPath: Paths.liveColour,
        role: "old",
        weight: "$.cursor.phase.weight",
      });
      const shift = shiftTraffic(ctx, shrink);
      const rollout = waitForRollout(
        ctx,
        {
          start: "Start batch checks",
          wait: "Wait for batch",
          check: "Check batch",
          ready: "Batch healthy?",
        },
        Paths.newColour,
        shift,
      );
      grow.next(rollout.start);
      shrink.next(bake(ctx, nextBatch));
      return grow;
    },
  });
}
