import type { z } from "zod";
import type { TargetSchema } from "./target-schema.ts";

export type TargetConfig = z.output<typeof TargetSchema>;

/** Where a target comes from, most specific first: the config path that gives it. */
export interface TargetSource {
  readonly target: TargetConfig;
  readonly path: readonly (string | number)[];
}

/** What the resolver reads of a service and its environments (input or output of the config schema). */
export interface TargetOwner {
  readonly target?: TargetConfig | undefined;
}
export interface TargetEnvironment {
  readonly target?: TargetConfig | undefined;
  readonly targets?: Readonly<Record<string, TargetConfig>> | undefined;
}

/**
 * Every target the config gives one region of an environment, where it gives it: the region's own
 * (`targets.<region>`) and the environment's (`target`), each relative to the environment. Exactly one is
 * valid; the service's `target` is the default used only when the environment gives none.
 */
export function environmentTargetSources(environment: TargetEnvironment, region: string): TargetSource[] {
  const sources: TargetSource[] = [];
  const own = environment.targets?.[region];
  if (own !== undefined) sources.push({ target: own, path: ["targets", region] });
  if (environment.target !== undefined) sources.push({ target: environment.target, path: ["target"] });
  return sources;
}

/** One region wave of an environment: the account and region it acts in, and its target there. */
export interface WavePlace {
  readonly account: string;
  readonly region: string;
}

export interface ResolvedWave extends WavePlace {
  readonly target: TargetConfig;
}

/**
 * The target of each region wave of an environment, in wave order: the one place the AWS side (requests,
 * target stacks, grants) and the local side (local clouds) learn where a wave deploys. The config schema has
 * already refused a wave with no target or two, so this only throws for an unvalidated config.
 */
export function resolveWaves(
  service: TargetOwner & { readonly name: string },
  environment: TargetEnvironment & {
    readonly name: string;
    readonly account: string;
    readonly regions: readonly string[];
  },
): ResolvedWave[] {
  return environment.regions.map((region) => {
    const [source, second] = environmentTargetSources(environment, region);
    const target = source?.target ?? service.target;
    if (target === undefined || second !== undefined) {
      throw new Error(
        `${service.name}/${environment.name} ${region} resolves to ${target === undefined ? "no target" : "two targets"}: validate the config with parseConfig`,
      );
    }
    return { account: environment.account, region, target };
  });
}

export interface ConfigWave extends ResolvedWave {
  readonly service: string;
  readonly environment: string;
}

/** Every region wave of every environment of every service of a validated config. */
export function configWaves(config: {
  readonly services: readonly (TargetOwner & {
    readonly name: string;
    readonly environments: readonly (TargetEnvironment & {
      readonly name: string;
      readonly account: string;
      readonly regions: readonly string[];
    })[];
  })[];
}): ConfigWave[] {
  return config.services.flatMap((service) =>
    service.environments.flatMap((environment) =>
      resolveWaves(service, environment).map((wave) => ({
        ...wave,
        service: service.name,
        environment: environment.name,
      })),
    ),
  );
}
