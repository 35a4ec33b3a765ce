import type { GlidepathConfig } from "../functions/domain/config/index.ts";
import { type ConfigWave, configWaves, type WavePlace } from "../functions/domain/config/waves.ts";

type EcsTarget = Extract<ConfigWave["target"], { type: "ecs" }>;

/** One account+region that AWS waves deploy to, with everything its grants and rules name. */
export interface TargetPlace extends WavePlace {
  /** The partition of its targets' ARNs (`aws`, `aws-cn`, …): the ARNs Glidepath builds there use it too. */
  readonly partition: string;
  /** The ECS targets of the waves there. */
  readonly targets: readonly EcsTarget[];
  /** Alarms the config defines there: Glidepath puts them. */
  readonly definedAlarms: readonly string[];
  /** Every alarm the waves there watch (defined or only named), whose state changes must reach the bus. */
  readonly watchedAlarms: readonly string[];
}

/** Every account+region of the config's AWS (non-local) waves, sorted by account then region. */
export function targetPlaces(config: GlidepathConfig): TargetPlace[] {
  const places = new Map<
    string,
    { place: WavePlace; targets: EcsTarget[]; defined: Set<string>; watched: Set<string> }
  >();
  for (const service of config.services) {
    for (const environment of service.environments) {
      const waves = configWaves({ services: [{ ...service, environments: [environment] }] });
      for (const wave of waves) {
        if (wave.target.type !== "ecs") continue;
        const key = `${wave.account}/${wave.region}`;
        const entry = places.get(key) ?? {
          place: { account: wave.account, region: wave.region },
          targets: [],
          defined: new Set<string>(),
          watched: new Set<string>(),
        };
        places.set(key, entry);
        entry.targets.push(wave.target);
        for (const alarm of environment.alarms) {
          entry.watched.add(alarm.name);
          if (alarm.kind === "definition") entry.defined.add(alarm.name);
        }
      }
    }
  }
  return [...places.keys()].sort().map((key) => {
    const entry = places.get(key);
    if (entry === undefined) throw new Error(`no place ${key}`);
    return {
      ...entry.place,
      partition: entry.targets[0]?.targetGroups.blue.split(":")[1] ?? "aws",
      targets: entry.targets,
      definedAlarms: [...entry.defined].sort(),
      watchedAlarms: [...entry.watched].sort(),
    };
  });
}

/**
 * Where the control plane runs: the config's `controlPlane`, else the one account+region of every AWS target
 * (validation refuses several without `controlPlane`); undefined for a config with no AWS target and no
 * `controlPlane`, which deploys wherever the CDK environment says.
 */
export function controlPlanePlace(config: GlidepathConfig): WavePlace | undefined {
  if (config.controlPlane !== undefined)
    return { account: config.controlPlane.account, region: config.controlPlane.region };
  const [only] = targetPlaces(config);
  return only === undefined ? undefined : { account: only.account, region: only.region };
}

export const samePlace = (a: WavePlace, b: WavePlace | undefined) =>
  b !== undefined && a.account === b.account && a.region === b.region;
