import type { ColourWeights, SetWeightsResult, TrafficRouter } from "../../domain/ports/traffic-router.ts";

/** What the adapter needs of the local weighted router (local/router.ts). */
export interface WeightSwitch {
  weights(): ColourWeights;
  setWeights(weights: ColourWeights): void;
}

/** TrafficRouter over the local weighted HTTP router: the weights change live for the traffic in flight. */
export class LocalTrafficRouter implements TrafficRouter {
  readonly #router: WeightSwitch;

  constructor(router: WeightSwitch) {
    this.#router = router;
  }

  async readWeights(): Promise<ColourWeights> {
    return { ...this.#router.weights() };
  }

  async setWeights(weights: ColourWeights): Promise<SetWeightsResult> {
    const current = this.#router.weights();
    if (current.blue === weights.blue && current.green === weights.green)
      return { changed: false, weights: current, settled: true };
    this.#router.setWeights(weights);
    return { changed: true, weights: { ...this.#router.weights() }, settled: true };
  }
}
