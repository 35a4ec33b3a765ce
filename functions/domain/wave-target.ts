import { maxStickySeconds, type Strategy } from "./config/strategy.ts";
import type { TargetConfig } from "./config/waves.ts";
import type { TargetConfig as WaveTarget } from "./ports/index.ts";

/**
 * What a wave's steps act on, from its strategy and the config's target: for a feature-flag rollout or an
 * experiment on a flag, the flag in its store (AppConfig, or the local cloud's); for an experiment on an ECS
 * service's target groups, the target with how the load balancer routes the arms; else the target itself.
 */
export function waveTarget(strategy: Strategy, target: TargetConfig): WaveTarget {
  const flag = flagRollout(strategy);
  if (flag !== undefined && (target.type === "appconfig" || target.type === "local")) {
    return { type: "flag", store: target, ...flag };
  }
  if (strategy.type === "experiment" && target.type === "ecs") {
    return {
      ...target,
      experimentRouting: {
        stickySeconds: strategy.stickySeconds ?? Math.min(strategy.durationSeconds, maxStickySeconds),
        cohort: strategy.cohort ?? null,
      },
    };
  }
  return target;
}

function flagRollout(strategy: Strategy) {
  if (strategy.type !== "feature-flag" && strategy.type !== "experiment") return undefined;
  const { flag, metrics } = strategy;
  if (flag === undefined || metrics === undefined) return undefined;
  return {
    flag,
    splitKey: strategy.splitKey ?? "userId",
    rollbackTo: strategy.rollbackTo ?? "off",
    metrics: { namespace: metrics.namespace, dimensions: { ...metrics.dimensions } },
  };
}
