import { isLocalTarget } from "../functions/domain/config/target-schema.ts";
import type { Ports, TargetConfig, WaveAccess } from "../functions/domain/ports/index.ts";
import type { Fleet } from "./fleet.ts";

/** The ports a strategy step reaches a target through. */
export type TargetPorts = Pick<Ports, "trafficRouter" | "deployTarget" | "healthSignals">;

/**
 * The local stand-in for AWS accounts and regions: one local cloud per account+region, holding the fleets
 * (router, processes, alarms) of the waves deployed there. A step reaches a fleet only through the account,
 * region and deployment of its input, which the config's resolver gave the wave (`resolveWaves`), as on AWS
 * it reaches a target only through that account's deploy role in that region.
 */
export class LocalClouds {
  readonly #fleets = new Map<string, Fleet>();

  /** Where a wave's fleet now runs. */
  add(access: WaveAccess, fleet: Fleet): void {
    this.#fleets.set(key(access), fleet);
  }

  readonly ports: TargetPorts = {
    trafficRouter: (target, access) => this.#fleet(target, access).ports.trafficRouter(target, access),
    deployTarget: (target, access) => this.#fleet(target, access).ports.deployTarget(target, access),
    healthSignals: (target, access) => this.#fleet(target, access).ports.healthSignals(target, access),
  };

  #fleet(target: TargetConfig, access: WaveAccess): Fleet {
    if (!isLocalTarget(target) && !(target.type === "flag" && target.store.type === "local")) {
      throw new Error(`a target of type '${target.type}' runs on AWS, not in a local cloud`);
    }
    const fleet = this.#fleets.get(key(access));
    if (fleet === undefined) {
      throw new Error(
        `no local cloud runs ${access.deploymentId} in account ${access.account}, region ${access.region}`,
      );
    }
    return fleet;
  }
}

const key = (access: WaveAccess) => `${access.account}/${access.region}/${access.deploymentId}`;
