import type { Outcome, Policy } from "./policies.ts";
import { PoissonTable } from "./random.ts";
import { serve, TrafficTape } from "./traffic.ts";

export interface SimulationProps {
  /** Mean requests per second (Poisson arrivals). */
  readonly rps: number;
  /** The old version's 5xx rate. */
  readonly baselineErrorRate: number;
  /** The new version's 5xx rate over the old one's: 1 for a good release. */
  readonly rho: number;
  /** Seconds simulated from the first shift. */
  readonly horizonSeconds: number;
  readonly seeds: readonly number[];
  /** The policies to compare, created afresh for each seed. */
  readonly policies: Readonly<Record<string, () => Policy>>;
}

/**
 * Runs every policy on the traffic of each seed: the same arrivals and the same luck, second by second, each
 * policy routing it at its own weight. Deterministic: the same props give the same outcomes.
 */
export function simulate(props: SimulationProps): Record<string, Outcome[]> {
  const arrivals = new PoissonTable(props.rps);
  const rates = { old: props.baselineErrorRate, new: Math.min(1, props.baselineErrorRate * props.rho) };
  const names = Object.keys(props.policies);
  const outcomes: Record<string, Outcome[]> = Object.fromEntries(names.map((name) => [name, []]));
  for (const seed of props.seeds) {
    const tape = new TrafficTape({ seed, arrivals });
    const running = names.map((name) => ({ name, policy: (props.policies[name] as () => Policy)() }));
    for (let t = 0; t < props.horizonSeconds; t++) {
      const second = tape.next();
      for (const { policy } of running) policy.serve(t, serve(second, policy.weight, rates));
    }
    for (const { name, policy } of running) outcomes[name]?.push(policy.outcome());
  }
  return outcomes;
}
