import { z } from "zod";
import type { Ports } from "../domain/ports/index.ts";
import { type Colour, otherColour } from "../domain/ports/traffic-router.ts";
import { accessOf, colourSchema, parseInput, targetFields, weightSchema } from "./schemas.ts";

const ShiftTrafficInput = z.object({
  ...targetFields,
  newColour: colourSchema,
  /** Percent of traffic for the new version; the old version gets the rest. */
  weight: weightSchema,
});

export interface ShiftTrafficOutput {
  readonly weight: number;
  readonly changed: boolean;
  /** When the new weight took effect: the start of the bake's metrics window. */
  readonly shiftedAt: string;
  /** false while the change is on its way: the state machine waits and calls the step again. */
  readonly settled: boolean;
}

/** Sets the new version's share of traffic, verified by reading it back, and records the weights. */
export function createShiftTrafficHandler(ports: Ports) {
  return async (event: unknown): Promise<ShiftTrafficOutput> => {
    const input = parseInput(ShiftTrafficInput, event, "shift-traffic");
    const oldColour: Colour = otherColour(input.newColour);
    const router = ports.trafficRouter(input.target, accessOf(input));
    const result = await router.setWeights(
      { [input.newColour]: input.weight, [oldColour]: 100 - input.weight } as Record<Colour, number>,
      { newColour: input.newColour },
    );
    // A change still on its way (a flag deployment) moves no weights yet: the step is called again.
    await ports.deployments.recordProgress(
      input.deploymentId,
      result.settled
        ? {
            currentStep: `Traffic at ${input.weight}% on the new version`,
            weights: { old: 100 - input.weight, new: input.weight },
          }
        : { currentStep: `Moving traffic to ${input.weight}% on the new version` },
    );
    return {
      weight: input.weight,
      changed: result.changed,
      shiftedAt: ports.clock().toISOString(),
      settled: result.settled,
    };
  };
}
