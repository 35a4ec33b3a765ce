import sampleConfig from "../../examples/glidepath.config.ts";
import type { GlidepathConfigInput } from "../../functions/domain/config/index.ts";

/** An alarm definition as a config gives it: the 5xx rate above 2% in 3 one-minute periods. */
export function errorRateAlarm<Name extends string>(name: Name) {
  return {
    name,
    metric: "ErrorRate",
    statistic: "Average",
    periodSeconds: 60,
    evaluationPeriods: 3,
    threshold: 0.02,
    comparison: "GreaterThanThreshold",
  } as const;
}

/** A feature flag's AppConfig target as a config gives it (AppConfig ids are 7 characters). */
export const appconfig = {
  type: "appconfig",
  application: "shop1ab",
  environment: "prod7cd",
  configurationProfile: "flags9e",
  deploymentStrategy: "now42zz",
} as const;

/** An ECS target as a config gives it: the shop cluster's two colours behind one listener. */
export const ecsTarget = {
  type: "ecs",
  cluster: "shop",
  services: { blue: "checkout-blue", green: "checkout-green" },
  listenerArn: "arn:aws:elasticloadbalancing:eu-west-1:444455556666:listener/app/shop/a/b",
  targetGroups: {
    blue: "arn:aws:elasticloadbalancing:eu-west-1:444455556666:targetgroup/blue/1",
    green: "arn:aws:elasticloadbalancing:eu-west-1:444455556666:targetgroup/green/2",
  },
} as const;

/** The checkout-api function (an ECR image) in production's eu-west-1 of `account`, canaried by its alias. */
export function checkoutApiFunction(account: string): GlidepathConfigInput["services"][number] {
  return {
    name: "checkout-api",
    artifact: { type: "ecr", repository: "shop/checkout-api" },
    environments: [
      {
        name: "production",
        account,
        region: "eu-west-1",
        target: { type: "lambda", functionName: "checkout-api", alias: "live" },
        strategy: "LambdaCanary10Percent5Minutes",
        alarms: [{ name: "checkout-api-errors" }],
      },
    ],
  };
}

/** The sample config, with checkout's production guarded by an alarm the config defines. */
export function sampleWithDefinedAlarm(): GlidepathConfigInput {
  const input = structuredClone(sampleConfig) as GlidepathConfigInput;
  const checkout = input.services.find((service) => service.name === "checkout");
  const environment = checkout?.environments.find((candidate) => candidate.name === "production");
  if (environment === undefined) throw new Error("the sample has no checkout production");
  environment.alarms = [...(environment.alarms ?? []), errorRateAlarm("checkout-production-5xx-rate")];
  return input;
}
