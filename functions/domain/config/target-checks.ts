import type { z } from "zod";
import { isFlagStrategy, type Strategy } from "./strategy.ts";
import { isLocalTarget } from "./target-schema.ts";
import { environmentTargetSources, type TargetConfig, type TargetEnvironment } from "./waves.ts";

type Issue = z.core.$ZodRawIssue;
type Path = (string | number)[];

interface CheckedEnvironment extends TargetEnvironment {
  readonly name: string;
  readonly account: string;
  readonly regions: readonly string[];
  readonly alarms: readonly { readonly kind: string; readonly name: string }[];
}

interface CheckedService {
  readonly name: string;
  readonly target?: TargetConfig | undefined;
  readonly environments: readonly CheckedEnvironment[];
}

/** A target as one wave uses it, with the path (from the service) of the config that gives it. */
export interface WaveUse {
  readonly environmentIndex: number;
  readonly region: string;
  readonly target: TargetConfig;
  readonly path: Path;
}

/**
 * Each region wave of the service resolves to exactly one target (its region's, its environment's, or the
 * service's default), every `targets` key is one of the environment's regions, and every ARN of a wave's
 * target is in that wave's account and region. Returns the waves that resolved, for the config-wide checks.
 */
export function checkServiceTargets(service: CheckedService, issues: Issue[], prefix: Path): WaveUse[] {
  const uses: WaveUse[] = [];
  const issue = (path: Path, message: string) => issueAt([...prefix, ...path], message);
  service.environments.forEach((environment, index) => {
    // Zod runs these checks even when an environment failed its own schema: there is nothing to resolve then.
    if (!Array.isArray(environment.regions)) return;
    const at: Path = ["environments", index];
    for (const region of Object.keys(environment.targets ?? {})) {
      if (!environment.regions.includes(region)) {
        issues.push(
          issue(
            [...at, "targets", region],
            `${region} is not one of this environment's regions (${environment.regions.join(", ")})`,
          ),
        );
      }
    }
    for (const region of environment.regions) {
      const sources = environmentTargetSources(environment, region);
      const [first, second] = sources;
      if (second !== undefined) {
        issues.push(
          issue(
            [...at, ...(first?.path ?? [])],
            `${region} has a target here and at ${[...at, ...second.path].join(".")}: give each region one target`,
          ),
        );
        continue;
      }
      const chosen = first === undefined ? service.target : first.target;
      if (chosen === undefined) {
        issues.push(
          issue(
            [...at, "target"],
            `${environment.name} ${region} has no target: set target, targets.${region} or the service's target`,
          ),
        );
        continue;
      }
      const path: Path = first === undefined ? ["target"] : [...at, ...first.path];
      uses.push({ environmentIndex: index, region, target: chosen, path });
      for (const [field, arn] of targetArns(chosen)) {
        const place = arnPlace(arn);
        if (place === undefined) continue;
        if (place.account !== environment.account || place.region !== region) {
          issues.push(
            issue(
              [...path, ...field],
              `is in account ${place.account}, region ${place.region}, but ${environment.name} deploys ${region} in account ${environment.account}`,
            ),
          );
        }
      }
    }
  });
  return uses;
}

/**
 * Across the whole config: no listener, listener rule or target group serves two environments (or two
 * services), and no alarm definition name is defined twice in one account and region, where CloudWatch
 * keeps one alarm per name.
 */
export function checkConfigTargets(
  services: readonly CheckedService[],
  uses: readonly WaveUse[][],
  issues: Issue[],
): void {
  const owners = new Map<string, { owner: string; path: string }>();
  const alarms = new Map<string, string>();
  services.forEach((service, serviceIndex) => {
    for (const use of uses[serviceIndex] ?? []) {
      const environment = service.environments[use.environmentIndex];
      if (environment === undefined) continue;
      const owner = `${service.name}/${environment.name}`;
      for (const [field, arn] of targetArns(use.target)) {
        const path = ["services", serviceIndex, ...use.path, ...field];
        const seen = owners.get(arn);
        if (seen === undefined) owners.set(arn, { owner, path: path.join(".") });
        else if (seen.owner !== owner) {
          issues.push(
            issueAt(
              path,
              `${owner} uses the same ${field[0] === "targetGroups" ? "target group" : "listener"} as ${seen.owner} (${seen.path}): give each environment its own`,
            ),
          );
        }
      }
    }
    service.environments.forEach((environment, environmentIndex) => {
      const owner = `${service.name}/${environment.name}`;
      if (!Array.isArray(environment.regions) || !Array.isArray(environment.alarms)) return;
      environment.alarms.forEach((alarm, alarmIndex) => {
        if (alarm.kind !== "definition") return;
        for (const region of environment.regions) {
          const key = `${environment.account}/${region}/${alarm.name}`;
          const seen = alarms.get(key);
          if (seen === undefined) alarms.set(key, owner);
          else if (seen !== owner) {
            issues.push(
              issueAt(
                ["services", serviceIndex, "environments", environmentIndex, "alarms", alarmIndex, "name"],
                `${owner} defines the alarm ${alarm.name}, which ${seen} defines in the same account ${environment.account} and region ${region}; CloudWatch keeps one alarm per name there: rename one`,
              ),
            );
          }
        }
      });
    });
  });
}

/**
 * Without `controlPlane`, Glidepath runs where every AWS target is: there must be one such account and region.
 */
export function checkControlPlaneImplied(
  services: readonly CheckedService[],
  uses: readonly WaveUse[][],
  issues: Issue[],
): void {
  const places = new Set<string>();
  services.forEach((service, serviceIndex) => {
    for (const use of uses[serviceIndex] ?? []) {
      const environment = service.environments[use.environmentIndex];
      if (environment !== undefined && !isLocalTarget(use.target))
        places.add(`${environment.account}/${use.region}`);
    }
  });
  if (places.size > 1) {
    issues.push(
      issueAt(
        ["controlPlane"],
        `the AWS targets are in ${[...places].sort().join(", ")}: set controlPlane { account, region } to say where Glidepath itself runs`,
      ),
    );
  }
}

/** The ARNs of a target with the path of each inside it. */
export function targetArns(target: TargetConfig): [Path, string][] {
  if (target.type !== "ecs") return [];
  const arns: [Path, string][] = [
    [["targetGroups", "blue"], target.targetGroups.blue],
    [["targetGroups", "green"], target.targetGroups.green],
  ];
  if (target.listenerArn !== undefined) arns.unshift([["listenerArn"], target.listenerArn]);
  if (target.listenerRuleArn !== undefined) arns.unshift([["listenerRuleArn"], target.listenerRuleArn]);
  return arns;
}

/** The partition, account and region an ARN names. */
export function arnPlace(arn: string): { partition: string; account: string; region: string } | undefined {
  const [prefix, partition, , region, account] = arn.split(":");
  if (prefix !== "arn" || partition === undefined || region === undefined || account === undefined)
    return undefined;
  return { partition, account, region };
}

/** A rolling batch counted in tasks needs the fleet size of every wave's target. */
export function checkRollingCounts(
  service: { readonly environments: readonly { readonly strategy: Strategy }[] },
  uses: readonly WaveUse[],
  issues: Issue[],
  prefix: Path,
): void {
  service.environments.forEach(({ strategy }, index) => {
    if (strategy.type !== "rolling" || !("count" in strategy.batch)) return;
    const uncounted = uses.some(
      (use) =>
        use.environmentIndex === index &&
        !("desiredCount" in use.target && use.target.desiredCount !== undefined),
    );
    if (!uncounted) return;
    issues.push({
      code: "custom",
      input: strategy,
      path: [...prefix, "environments", index, "strategy", "batch", "count"],
      message: "a rolling batch counted in tasks needs target.desiredCount; set it, or use batch.percent",
    });
  });
}

/**
 * A feature-flag rollout or an experiment on a flag needs a flag store for a target (AppConfig, or the local
 * cloud's), and an AppConfig target holds only flags; a flag has no targets whose health a bake could watch.
 * An experiment on target groups needs two colours to split (ECS, or the local fleet), and its stickiness
 * and cohort rule are the ALB's.
 */
export function checkStrategyTargets(
  service: {
    readonly environments: readonly { readonly strategy: Strategy; readonly targetHealth?: unknown }[];
  },
  uses: readonly WaveUse[],
  issues: Issue[],
  prefix: Path,
): void {
  for (const use of uses) {
    const environment = service.environments[use.environmentIndex];
    if (environment === undefined) continue;
    const { strategy } = environment;
    const at = [...prefix, ...use.path, "type"];
    const flag = isFlagStrategy(strategy);
    if (flag && use.target.type === "ecs") {
      issues.push(
        issueAt(
          at,
          strategy.type === "experiment"
            ? `an experiment on flag ${strategy.flag ?? ""} changes a flag, not an ECS service: give ${use.region} a target { type: "appconfig", … }, or remove flag to experiment on the ECS service's target groups`
            : `the ${strategy.type} strategy changes a flag, not an ECS service: give ${use.region} a target { type: "appconfig", application, environment, configurationProfile, deploymentStrategy }`,
        ),
      );
    }
    if (!flag && use.target.type === "appconfig") {
      issues.push(
        issueAt(
          at,
          strategy.type === "experiment"
            ? "an appconfig target holds a feature flag: an experiment on it names the flag (strategy.flag)"
            : `an appconfig target holds a feature flag: it takes the feature-flag or experiment strategy, not ${strategy.type}`,
        ),
      );
    }
    if (strategy.type === "experiment" && !flag && use.target.type === "local") {
      for (const key of ["stickySeconds", "cohort"] as const) {
        if (strategy[key] === undefined) continue;
        issues.push(
          issueAt(
            [...prefix, "environments", use.environmentIndex, "strategy", key],
            `${key} configures the ALB of an ecs target; the local router picks an arm per request: remove it for ${use.region}`,
          ),
        );
      }
    }
  }
  service.environments.forEach((environment, index) => {
    if (isFlagStrategy(environment.strategy) && environment.targetHealth !== undefined) {
      issues.push(
        issueAt(
          [...prefix, "environments", index, "targetHealth"],
          `a ${environment.strategy.type === "feature-flag" ? "feature-flag rollout" : "experiment on a flag"} deploys no targets whose health could be watched: remove targetHealth`,
        ),
      );
    }
  });
}

export function issueAt(path: Path, message: string): Issue {
  return { code: "custom", input: undefined, path, message };
}
