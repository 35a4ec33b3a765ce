import { describe, expect, it } from "vitest";
import { type GlidepathConfigInput, parseConfig } from "../../functions/domain/config/index.ts";
import { configWaves } from "../../functions/domain/config/waves.ts";
import { deploymentRequest } from "../../functions/domain/deployment-request.ts";
import { appconfig } from "../helpers/config-fixtures.ts";
import { problemsOf } from "../helpers/config-problems.ts";

const flagStrategy = {
  type: "feature-flag",
  flag: "new-checkout",
  metrics: { namespace: "Shop/Checkout", dimensions: { Service: "checkout" } },
  steps: [{ setWeight: 10 }, { bake: { seconds: 60 } }, { setWeight: 100 }],
} as const;

function configOf(environment: Record<string, unknown>): GlidepathConfigInput {
  return {
    services: [
      {
        name: "checkout-new-flow",
        artifact: { type: "custom", source: "ci.flags" },
        environments: [{ name: "production", account: "444455556666", region: "eu-west-1", ...environment }],
      },
    ],
  } as GlidepathConfigInput;
}

describe("the feature-flag strategy in the config", () => {
  it("fills in the split key and the rollback, and hands the steps the flag in its store", () => {
    // Prepare
    const config = parseConfig(configOf({ target: appconfig, strategy: flagStrategy }));
    const service = config.services[0];
    const environment = service?.environments[0];
    const wave = configWaves(config)[0];
    if (service === undefined || environment === undefined || wave === undefined) throw new Error("no wave");

    // Act
    const request = deploymentRequest({
      service,
      environment,
      wave: { ...wave, target: wave.target },
      deployment: {
        id: "d-0123456789abcdef0123",
        artifact: { uri: "flag://new-checkout", digest: "sha256:ab", version: "7" },
      },
    });

    // Assess
    expect(environment.strategy).toMatchObject({ splitKey: "userId", rollbackTo: "off" });
    expect(request.target).toEqual({
      type: "flag",
      store: appconfig,
      flag: "new-checkout",
      splitKey: "userId",
      rollbackTo: "off",
      metrics: { namespace: "Shop/Checkout", dimensions: { Service: "checkout" } },
    });
    expect(request.plan.phases.map((phase) => phase.weight)).toEqual([10, 100]);
  });

  it.each<[string, Record<string, unknown>, { path: string; message: RegExp }]>([
    [
      "a feature flag on an ECS target",
      {
        target: {
          type: "ecs",
          cluster: "shop",
          services: { blue: "a", green: "b" },
          listenerArn: "arn:aws:elasticloadbalancing:eu-west-1:444455556666:listener/app/shop/a/b",
          targetGroups: {
            blue: "arn:aws:elasticloadbalancing:eu-west-1:444455556666:targetgroup/a/1",
            green: "arn:aws:elasticloadbalancing:eu-west-1:444455556666:targetgroup/b/2",
          },
        },
        strategy: flagStrategy,
      },
      { path: "services[0].environments[0].target.type", message: /changes a flag, not an ECS service/ },
    ],
    [
      "a canary on an AppConfig target",
      { target: appconfig, strategy: "ECSCanary10Percent5Minutes" },
      {
        path: "services[0].environments[0].target.type",
        message: /takes the feature-flag or experiment strategy, not canary/,
      },
    ],
    [
      "target health on a flag",
      { target: appconfig, strategy: flagStrategy, targetHealth: { maxUnhealthyShare: 0.3 } },
      { path: "services[0].environments[0].targetHealth", message: /deploys no targets whose health/ },
    ],
    [
      "a weight that goes down",
      { target: appconfig, strategy: { ...flagStrategy, steps: [{ setWeight: 50 }, { setWeight: 10 }] } },
      { path: "services[0].environments[0].strategy.steps[1].setWeight", message: /weights only go up/ },
    ],
    [
      "a flag key AppConfig would refuse",
      { target: appconfig, strategy: { ...flagStrategy, flag: "New Checkout" } },
      { path: "services[0].environments[0].strategy.flag", message: /must be an AppConfig flag key/ },
    ],
    [
      "a predefined AppConfig strategy, which bakes for ten minutes",
      { target: { ...appconfig, deploymentStrategy: "AppConfig.AllAtOnce" }, strategy: flagStrategy },
      { path: "services[0].environments[0].target.deploymentStrategy", message: /deployment strategy's id/ },
    ],
  ])("refuses %s, saying where and why", (_, environment, expected) => {
    // Act
    const problems = problemsOf(configOf(environment));

    // Assess
    expect(problems).toContainEqual({
      path: expected.path,
      message: expect.stringMatching(expected.message),
    });
  });
});
