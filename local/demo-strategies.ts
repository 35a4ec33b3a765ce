import { SampleMetrics } from "../examples/sample-service/server.ts";
import type { ServiceConfig, StrategyConfig } from "../functions/domain/config/index.ts";
import { StrategyObjectSchema } from "../functions/domain/config/index.ts";

/** The strategies `npm start -- --strategy <type>` walks the sample through, beside its configured ones. */
export const demoStrategyTypes = ["feature-flag"] as const;

export type DemoStrategyType = (typeof demoStrategyTypes)[number];

export function isDemoStrategyType(type: string): type is DemoStrategyType {
  return (demoStrategyTypes as readonly string[]).includes(type);
}

/** The flag the sample service's new checkout path sits behind. */
export const sampleFlag = "new-checkout";

/**
 * The service with every environment's strategy replaced by one of `type`: for a feature flag, the flag
 * `new-checkout` split by userId through the environment's canary steps (or 50% for a minute, then 100%),
 * judged on the sample's per-variant metrics, which it emits under its own namespace.
 */
export function withDemoStrategy(service: ServiceConfig, type: DemoStrategyType): ServiceConfig {
  return {
    ...service,
    environments: service.environments.map((environment) => {
      const steps =
        environment.strategy.type === "canary" || environment.strategy.type === "feature-flag"
          ? environment.strategy.steps
          : [{ setWeight: 50 }, { bake: { seconds: 60 } }, { setWeight: 100 }];
      const strategy: StrategyConfig = StrategyObjectSchema.parse({
        type,
        flag: sampleFlag,
        metrics: { namespace: SampleMetrics.namespace, dimensions: { Service: SampleMetrics.service } },
        steps,
      });
      return { ...environment, strategy };
    }),
  };
}
