/** The two arms of a blue/green pair: one serves the live version, the other receives the new one. */
export type Colour = "blue" | "green";

export const otherColour = (colour: Colour): Colour => (colour === "blue" ? "green" : "blue");

/** Percent of traffic per colour; the two always add up to 100. */
export type ColourWeights = Readonly<Record<Colour, number>>;

export interface SetWeightsResult {
  /** false when the router already had these weights: a redelivered shift changes nothing. */
  readonly changed: boolean;
  /** The weights read back after the change. */
  readonly weights: ColourWeights;
  /**
   * false while the change is still on its way (an AppConfig deployment in progress): `weights` are then the
   * requested ones, not yet read back. Calling `setWeights` again with the same weights looks again, and
   * starts nothing new.
   */
  readonly settled: boolean;
}

export interface SetWeightsOptions {
  /**
   * The colour of the new version (the treatment). A load balancer needs it for an experiment's cohort rule,
   * which sends the cohort to the new colour whatever the split.
   */
  readonly newColour?: Colour;
}

/**
 * Moves traffic between the two arms: the two colours behind a load balancer, or a flag's two variants
 * (`blue` is the control, `green` the treatment). `setWeights` verifies the change by reading it back and
 * throws `ShiftFailedError` when the router does not report the requested weights. `readWeights` reports
 * what the deployment sees as live: for a flag, the split this deployment set, or all on control before it
 * set any.
 */
export interface TrafficRouter {
  readWeights(): Promise<ColourWeights>;
  setWeights(weights: ColourWeights, options?: SetWeightsOptions): Promise<SetWeightsResult>;
}

/** Whole percents from 0 to 100 that add up to 100, or a RangeError saying what was asked. */
export function assertValidWeights(weights: ColourWeights): void {
  const { blue, green } = weights;
  const valid = (value: number) => Number.isInteger(value) && value >= 0 && value <= 100;
  if (!valid(blue) || !valid(green) || blue + green !== 100) {
    throw new RangeError(
      `Weights must be whole percents from 0 to 100 adding up to 100; got blue ${blue}, green ${green}.`,
    );
  }
}
