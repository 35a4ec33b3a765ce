import { LocalTrafficRouter } from "../../functions/adapters/local/local-traffic-router.ts";
import type { DeployTarget, TargetStatus } from "../../functions/domain/ports/deploy-target.ts";
import type { HealthSignals } from "../../functions/domain/ports/health-signals.ts";
import type { Colour, ColourWeights, TrafficRouter } from "../../functions/domain/ports/traffic-router.ts";

interface ColourState {
  revision?: string;
  version?: string;
  desiredCount: number;
  /** Its process died: no task runs, every request it gets fails. */
  killed: boolean;
}

/**
 * One wave's fleet in memory: two colours behind weighted traffic, with the live version on blue at 100%. The
 * chaos benchmark runs hundreds of deployments at once, which real processes (the local run's fleets) would
 * not fit on this machine; what a step sees through the ports is the same.
 */
export class MemoryFleet {
  weights: ColourWeights = { blue: 100, green: 0 };
  readonly colours: Record<Colour, ColourState> = {
    blue: { revision: "local:live", version: "live", desiredCount: 2, killed: false },
    green: { desiredCount: 0, killed: false },
  };
  /** The colour prepared with the new version, once the deploy step has run. */
  newColour?: Colour;

  /** Kills the new version's process: its tasks stop and its alarm goes into ALARM. */
  killNewVersion(): void {
    if (this.newColour !== undefined) this.colours[this.newColour].killed = true;
  }

  /** The colour that takes all traffic, if one does, and whether it runs healthy. */
  serving(): { readonly colour?: Colour; readonly healthy: boolean; readonly version?: string } {
    const colour = this.weights.blue === 100 ? "blue" : this.weights.green === 100 ? "green" : undefined;
    if (colour === undefined) return { healthy: false };
    const state = this.colours[colour];
    return {
      colour,
      healthy: !state.killed && state.desiredCount > 0 && state.revision !== undefined,
      ...(state.version === undefined ? {} : { version: state.version }),
    };
  }

  readonly trafficRouter: TrafficRouter = new LocalTrafficRouter({
    weights: () => this.weights,
    setWeights: (next) => {
      this.weights = { ...next };
    },
  });

  readonly deployTarget: DeployTarget = {
    prepare: async (input) => {
      const state = this.colours[input.colour];
      state.revision = `local:${input.version}`;
      state.version = input.version;
      state.desiredCount = input.desiredCount;
      state.killed = false;
      this.newColour = input.colour;
      return { revision: state.revision, desiredCount: input.desiredCount };
    },
    scale: async (colour, desiredCount) => {
      this.colours[colour].desiredCount = desiredCount;
    },
    status: async (colour): Promise<TargetStatus> => {
      const state = this.colours[colour];
      const running = state.killed ? 0 : state.desiredCount;
      return {
        colour,
        ...(state.revision === undefined ? {} : { revision: state.revision }),
        desiredCount: state.desiredCount,
        runningCount: running,
        healthyTargets: running,
        unhealthyTargets: 0,
        stable: !state.killed,
        failed: state.killed,
        ...(state.killed ? { reason: "the new version's process exited" } : {}),
      };
    },
  };

  readonly healthSignals: HealthSignals = {
    putAlarms: async () => undefined,
    alarms: async (names) => ({
      found: names.map((name) => ({
        name,
        type: "metric" as const,
        state: this.#alarming() ? ("ALARM" as const) : ("OK" as const),
        reason: this.#alarming() ? "Threshold Crossed: the new version's 5xx" : "Threshold not crossed",
        updatedAt: new Date().toISOString(),
      })),
      missing: [],
    }),
    armMetrics: async () => ({
      blue: this.#arm("blue"),
      green: this.#arm("green"),
    }),
    businessMetrics: async () => [],
  };

  #alarming(): boolean {
    return this.newColour !== undefined && this.colours[this.newColour].killed;
  }

  /** 100 requests a point of weight; a killed colour fails all it gets, a healthy one one in 500. */
  #arm(colour: Colour) {
    const requests = this.weights[colour] * 100;
    const errors = this.colours[colour].killed ? requests : Math.floor(requests / 500);
    return { requests, errors, p95Ms: 40 };
  }
}
