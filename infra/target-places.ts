import { listenerOfRule } from "../functions/adapters/aws/arns.ts";
import type { GlidepathConfig } from "../functions/domain/config/index.ts";
import { arnPlace } from "../functions/domain/config/target-checks.ts";
import { isLocalTarget } from "../functions/domain/config/target-schema.ts";
import { type ConfigWave, configWaves, type WavePlace } from "../functions/domain/config/waves.ts";

type EcsTarget = Extract<ConfigWave["target"], { type: "ecs" }>;
type AppConfigTarget = Extract<ConfigWave["target"], { type: "appconfig" }>;
type LambdaTarget = Extract<ConfigWave["target"], { type: "lambda" }>;

/** One account+region that AWS waves deploy to, with everything its grants and rules name. */
export interface TargetPlace extends WavePlace {
  /** The partition of its targets' ARNs (`aws`, `aws-cn`, …): the ARNs Glidepath builds there use it too. */
  readonly partition: string;
  /** The ECS targets of the waves there. */
  readonly targets: readonly EcsTarget[];
  /** Listeners where an experiment's cohort rule is created and deleted. */
  readonly cohortListeners: readonly string[];
  /** The AppConfig feature-flag profiles of the waves there. */
  readonly flags: readonly AppConfigTarget[];
  /** The Lambda functions (and aliases) of the waves there. */
  readonly functions: readonly LambdaTarget[];
  /** ECR repository ARNs whose images the Lambda functions there are updated to: UpdateFunctionCode pulls them. */
  readonly functionImages: readonly string[];
  /** Alarms the config defines there: Glidepath puts them. */
  readonly definedAlarms: readonly string[];
  /** Every alarm the waves there watch (defined or only named), whose state changes must reach the bus. */
  readonly watchedAlarms: readonly string[];
  /** ECR repositories of the services' artifacts there, whose pushes must reach the bus. */
  readonly repositories: readonly string[];
}

/**
 * Every account+region of the config's AWS (non-local) waves and of its ECR repositories that name their
 * account, sorted by account then region.
 */
export function targetPlaces(config: GlidepathConfig): TargetPlace[] {
  const places = new Map<string, Entry>();
  const entryOf = (place: WavePlace): Entry => {
    const key = `${place.account}/${place.region}`;
    const entry = places.get(key) ?? {
      place,
      targets: [],
      cohortListeners: new Set<string>(),
      flags: [],
      functions: [],
      functionImages: new Map<string, { account: string; region: string; repository: string }>(),
      defined: new Set<string>(),
      watched: new Set<string>(),
      repositories: new Set<string>(),
    };
    places.set(key, entry);
    return entry;
  };
  for (const service of config.services) {
    const { artifact } = service;
    if (artifact.type === "ecr" && artifact.account !== undefined && artifact.region !== undefined) {
      entryOf({ account: artifact.account, region: artifact.region }).repositories.add(artifact.repository);
    }
    for (const environment of service.environments) {
      const waves = configWaves({ services: [{ ...service, environments: [environment] }] });
      for (const wave of waves) {
        if (isLocalTarget(wave.target)) continue;
        const entry = entryOf({ account: wave.account, region: wave.region });
        if (wave.target.type === "ecs") {
          entry.targets.push(wave.target);
          const { strategy } = environment;
          if (strategy.type === "experiment" && strategy.cohort !== undefined)
            entry.cohortListeners.add(listenerOf(wave.target));
        } else if (wave.target.type === "lambda") {
          entry.functions.push(wave.target);
          if (artifact.type === "ecr") {
            const account = artifact.account ?? wave.account;
            const region = artifact.region ?? wave.region;
            const { repository } = artifact;
            entry.functionImages.set(`${account}/${region}/${repository}`, { account, region, repository });
          }
        } else entry.flags.push(wave.target);
        for (const alarm of environment.alarms) {
          // An alarm that only pauses is seen by the next evaluation; no event needs to fail a gate for it.
          if (alarm.onFail === "rollback") entry.watched.add(alarm.name);
          if (alarm.kind === "definition") entry.defined.add(alarm.name);
        }
      }
    }
  }
  return [...places.keys()].sort().map((key) => {
    const entry = places.get(key);
    if (entry === undefined) throw new Error(`no place ${key}`);
    const partition = arnPlace(entry.targets[0]?.targetGroups.blue ?? "")?.partition ?? "aws";
    return {
      ...entry.place,
      partition,
      targets: entry.targets,
      cohortListeners: [...entry.cohortListeners].sort(),
      flags: entry.flags,
      functions: entry.functions,
      functionImages: [...entry.functionImages.values()]
        .map(
          ({ account, region, repository }) =>
            `arn:${partition}:ecr:${region}:${account}:repository/${repository}`,
        )
        .sort(),
      definedAlarms: [...entry.defined].sort(),
      watchedAlarms: [...entry.watched].sort(),
      repositories: [...entry.repositories].sort(),
    };
  });
}

interface Entry {
  readonly place: WavePlace;
  readonly targets: EcsTarget[];
  readonly cohortListeners: Set<string>;
  readonly flags: AppConfigTarget[];
  readonly functions: LambdaTarget[];
  readonly functionImages: Map<string, { account: string; region: string; repository: string }>;
  readonly defined: Set<string>;
  readonly watched: Set<string>;
  readonly repositories: Set<string>;
}

/** The listener an ECS target's forward is on: its own, or its listener rule's. */
function listenerOf(target: EcsTarget): string {
  return target.listenerArn ?? listenerOfRule(target.listenerRuleArn ?? "");
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

/** Waves deploy here (a place with only an ECR repository, an artifact account, has nothing to deploy to). */
export const deploysHere = (place: TargetPlace) =>
  place.targets.length > 0 || place.flags.length > 0 || place.functions.length > 0;

export const samePlace = (a: WavePlace, b: WavePlace | undefined) =>
  b !== undefined && a.account === b.account && a.region === b.region;
