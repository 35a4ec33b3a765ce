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
}

/**
 * Moves traffic between the two colours. `setWeights` verifies the change by reading it back and throws
 * `ShiftFailedError` when the router does not report the requested weights.
 */
export interface TrafficRouter {
  readWeights(): Promise<ColourWeights>;
  setWeights(weights: ColourWeights): Promise<SetWeightsResult>;
}
