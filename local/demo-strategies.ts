import { SampleMetrics } from "../examples/sample-service/server.ts";
import { BusinessMetricSchema } from "../functions/domain/config/check-schema.ts";
import type { ServiceConfig, StrategyConfig } from "../functions/domain/config/index.ts";
import { StrategyObjectSchema } from "../functions/domain/config/index.ts";

/** The strategies `npm start -- --strategy <type>` walks the sample through, beside its configured ones. */
export const demoStrategyTypes = ["feature-flag", "experiment"] as const;

export type DemoStrategyType = (typeof demoStrategyTypes)[number];

export function isDemoStrategyType(type: string): type is DemoStrategyType {
  return (demoStrategyTypes as readonly string[]).includes(type);
}

/** The flag the sample service's new checkout path sits behind. */
export const sampleFlag = "new-checkout";

/**
 * The sample's conversion (examples/sample-service/server.ts emits it per variant), which an experiment is
 * judged on in every environment; an environment that names it already keeps its own.
 */
const sampleConversion = BusinessMetricSchema.parse({
  name: "conversion",
  namespace: SampleMetrics.namespace,
  numerator: SampleMetrics.completed,
  denominator: SampleMetrics.started,
  dimensions: { Service: SampleMetrics.service },
  minSamples: 200,
});

/**
 * The service with every environment's strategy replaced by one of `type`, on the flag `new-checkout` split
 * by userId and judged on the sample's per-variant metrics, which it emits under its own namespace: a feature
 * flag through the environment's canary steps (or 50% for a minute, then 100%); an experiment at 50% for two
 * minutes, judged on the sample's conversion.
 */
export function withDemoStrategy(service: ServiceConfig, type: DemoStrategyType): ServiceConfig {
  const flag = {
    flag: sampleFlag,
    metrics: { namespace: SampleMetrics.namespace, dimensions: { Service: SampleMetrics.service } },
  };
  if (type === "experiment") {
    return {
      ...service,
      environments: service.environments.map((environment) => ({
        ...environment,
        strategy: StrategyObjectSchema.parse({
          type,
          ...flag,
          split: 50,
          durationSeconds: 120,
          decideOn: sampleConversion.name,
        }),
        metrics: environment.metrics.some((metric) => metric.name === sampleConversion.name)
          ? environment.metrics
          : [...environment.metrics, sampleConversion],
      })),
    };
  }
  return {
    ...service,
    environments: service.environments.map((environment) => {
      const steps =
        environment.strategy.type === "canary" || environment.strategy.type === "feature-flag"
          ? environment.strategy.steps
          : [{ setWeight: 50 }, { bake: { seconds: 60 } }, { setWeight: 100 }];
      const strategy: StrategyConfig = StrategyObjectSchema.parse({ type, ...flag, steps });
      return { ...environment, strategy };
    }),
  };
}
