import { describe, expect, it } from "vitest";
import { type GlidepathConfigInput, parseConfig } from "../../functions/domain/config/index.ts";
import { configWaves } from "../../functions/domain/config/waves.ts";
import { errorRateAlarm } from "../helpers/config-fixtures.ts";
import { problemsOf } from "../helpers/config-problems.ts";

const lambda = { type: "lambda", functionName: "checkout-api", alias: "live" } as const;

function configOf(environment: Record<string, unknown>): GlidepathConfigInput {
  return {
    services: [
      {
        name: "checkout-api",
        artifact: { type: "ecr", repository: "shop/checkout-api" },
        environments: [
          {
            name: "production",
            account: "444455556666",
            region: "eu-west-1",
            target: lambda,
            strategy: "LambdaCanary10Percent5Minutes",
            alarms: [{ name: "checkout-api-errors" }],
            ...environment,
          },
        ],
      },
    ],
  } as GlidepathConfigInput;
}

const at = (path: string) => `services[0].environments[0].${path}`;

describe("a lambda target in the config", () => {
  it.each<string | Record<string, unknown>>([
    "LambdaCanary10Percent5Minutes",
    "LambdaLinear10PercentEvery1Minute",
    "LambdaAllAtOnce",
    { type: "blue-green" },
  ])("deploys with %j, to the function's alias in the wave's account and region", (preset) => {
    // Act
    const [wave] = configWaves(parseConfig(configOf({ strategy: preset })));

    // Assess
    expect(wave).toMatchObject({ account: "444455556666", region: "eu-west-1", target: lambda });
  });

  it("takes an alarm definition, to be put over the new version", () => {
    // Act
    const config = parseConfig(
      configOf({
        alarms: [errorRateAlarm("checkout-api-error-rate")],
      }),
    );

    // Assess
    expect(config.services[0]?.environments[0]?.alarms).toEqual([
      expect.objectContaining({ kind: "definition", name: "checkout-api-error-rate", metric: "ErrorRate" }),
    ]);
  });

  it.each<[string, Record<string, unknown>, { path: string; message: string | RegExp }]>([
    [
      "a rolling strategy, saying why",
      { strategy: { type: "rolling", batch: { percent: 25 } } },
      {
        path: at("strategy.type"),
        message:
          "a lambda target does not take rolling: Lambda runs every invocation on the alias's versions, with no fleet to grow batch by batch: use linear or canary",
      },
    ],
    [
      "a feature-flag strategy",
      {
        strategy: {
          type: "feature-flag",
          flag: "new-checkout",
          metrics: { namespace: "Shop", dimensions: {} },
          steps: [{ setWeight: 100 }],
        },
      },
      { path: at("strategy.type"), message: /^a lambda target does not take feature-flag: .*changes a flag/ },
    ],
    [
      "targetHealth",
      { targetHealth: { maxUnhealthyShare: 0.3, forSeconds: 180 } },
      {
        path: at("targetHealth"),
        message: "a Lambda version has no targets whose health could be watched: remove targetHealth",
      },
    ],
    [
      "business metrics",
      { metrics: [{ name: "conversion", namespace: "Shop", numerator: "done", denominator: "started" }] },
      { path: at("metrics"), message: /^business metrics per Lambda version are not supported yet/ },
    ],
    [
      "a function ARN instead of its name",
      { target: { ...lambda, functionName: "arn:aws:lambda:eu-west-1:444455556666:function:checkout-api" } },
      { path: at("target.functionName"), message: /^must be the function's name \(not its ARN\)/ },
    ],
    [
      "a version number as the alias",
      { target: { ...lambda, alias: "42" } },
      { path: at("target.alias"), message: /not a version number/ },
    ],
    [
      "a local-lambda target with a rolling strategy, as a lambda target",
      {
        target: { ...lambda, type: "local-lambda", handler: "examples/sample-fn/handler.ts" },
        strategy: { type: "rolling", batch: { percent: 25 } },
      },
      {
        path: at("strategy.type"),
        message: /^a local-lambda target does not take rolling: Lambda runs every/,
      },
    ],
    [
      "a local-lambda target without its handler module",
      { target: { ...lambda, type: "local-lambda", handler: "" } },
      { path: at("target.handler"), message: "must name the function's handler module" },
    ],
  ])("refuses %s", (_, environment, problem) => {
    // Act
    const problems = problemsOf(configOf(environment));

    // Assess
    expect(problems).toContainEqual({
      path: problem.path,
      message: typeof problem.message === "string" ? problem.message : expect.stringMatching(problem.message),
    });
  });
});
