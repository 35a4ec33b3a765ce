import { binomialInverse, mulberry32, type PoissonTable, seedOf, type Uniform } from "./random.ts";

/**
 * One second of traffic, before any policy has routed it: how many requests arrived (Poisson) and the three
 * uniforms that decide how many of them the new version gets and how many of each arm's fail. Every policy
 * serves the same seconds; only its weight differs.
 */
export interface TrafficSecond {
  readonly requests: number;
  readonly route: number;
  readonly oldLuck: number;
  readonly newLuck: number;
}

export interface ArmCount {
  readonly requests: number;
  readonly errors: number;
}

export interface SecondServed {
  readonly old: ArmCount;
  readonly new: ArmCount;
}

/** The traffic of one seed, drawn second by second. */
export class TrafficTape {
  readonly #uniform: Uniform;
  readonly #arrivals: PoissonTable;

  constructor(props: { readonly seed: number; readonly arrivals: PoissonTable }) {
    this.#uniform = mulberry32(seedOf(props.seed));
    this.#arrivals = props.arrivals;
  }

  next(): TrafficSecond {
    const uniform = this.#uniform;
    return {
      requests: this.#arrivals.draw(uniform()),
      route: uniform(),
      oldLuck: uniform(),
      newLuck: uniform(),
    };
  }
}

/** Routes one second at `weight` percent to the new version; each request fails with its arm's error rate. */
export function serve(
  second: TrafficSecond,
  weight: number,
  rates: { readonly old: number; readonly new: number },
): SecondServed {
  const toNew =
    weight <= 0
      ? 0
      : weight >= 100
        ? second.requests
        : binomialInverse(second.route, second.requests, weight / 100);
  const toOld = second.requests - toNew;
  return {
    old: { requests: toOld, errors: binomialInverse(second.oldLuck, toOld, rates.old) },
    new: { requests: toNew, errors: binomialInverse(second.newLuck, toNew, rates.new) },
  };
}
