import { describe, expect, it } from "vitest";
import { type GlidepathConfigInput, parseConfig } from "../../functions/domain/config/index.ts";
import { StrategyObjectSchema } from "../../functions/domain/config/strategy.ts";
import { configWaves } from "../../functions/domain/config/waves.ts";
import { deploymentRequest } from "../../functions/domain/deployment-request.ts";
import { waveTarget } from "../../functions/domain/wave-target.ts";
import { appconfig, ecsTarget } from "../helpers/config-fixtures.ts";
import { problemsOf } from "../helpers/config-problems.ts";

const conversion = {
  name: "conversion",
  namespace: "Shop/Checkout",
  numerator: "checkout_completed",
  denominator: "checkout_started",
} as const;

const experiment = {
  type: "experiment",
  flag: "new-checkout",
  metrics: { namespace: "Shop/Checkout", dimensions: { Service: "checkout" } },
  durationSeconds: 86_400,
  decideOn: "conversion",
} as const;

const { flag: _flag, metrics: _metrics, ...onTargetGroups } = experiment;

const ecs = ecsTarget;

function configOf(environment: Record<string, unknown>): GlidepathConfigInput {
  return {
    services: [
      {
        name: "checkout-new-flow",
        artifact: { type: "custom", source: "ci.flags" },
        environments: [
          {
            name: "production",
            account: "444455556666",
            region: "eu-west-1",
            target: appconfig,
            metrics: [conversion],
            ...environment,
          },
        ],
      },
    ],
  } as GlidepathConfigInput;
}

function requestOf(environmentInput: Record<string, unknown>) {
  const config = parseConfig(configOf(environmentInput));
  const service = config.services[0];
  const environment = service?.environments[0];
  const wave = configWaves(config)[0];
  if (service === undefined || environment === undefined || wave === undefined) throw new Error("no wave");
  return deploymentRequest({
    service,
    environment,
    wave,
    deployment: {
      id: "d-0123456789abcdef0123",
      artifact: { uri: "flag://new-checkout", digest: "sha256:ab", version: "7" },
    },
  });
}

describe("the experiment strategy in the config", () => {
  it("plans the split for the duration, judged and approved, then 100%, on the flag in its store", () => {
    // Act
    const request = requestOf({ strategy: experiment });

    // Assess
    expect(request.plan.phases).toEqual([
      {
        weight: 50,
        bakeSeconds: 86_400,
        gates: ["experiment", "approval"],
        judge: true,
        approvalTimeoutSeconds: 86_400,
      },
      { weight: 100, bakeSeconds: 0, gates: [] },
    ]);
    expect(request.experiment).toEqual({ decideOn: "conversion", alpha: 0.05 });
    expect(request.target).toMatchObject({ type: "flag", store: appconfig, flag: "new-checkout" });
  });

  it("with autoPromote, plans no approval after the verdict", () => {
    // Act
    const request = requestOf({ strategy: { ...experiment, autoPromote: true, split: 20 } });

    // Assess
    expect(request.plan.phases[0]).toEqual({
      weight: 20,
      bakeSeconds: 86_400,
      gates: ["experiment"],
      judge: true,
    });
  });

  it("without a flag, routes the ECS target's arms: stickiness for the duration and the cohort, if any", () => {
    // Arrange
    const cohort = { priority: 10, cookie: { name: "arm", value: "treatment" } };
    const strategy = StrategyObjectSchema.parse({ ...onTargetGroups, durationSeconds: 3_600, cohort });

    // Act
    const target = waveTarget(strategy, ecs);

    // Assess
    expect(target).toEqual({ ...ecs, experimentRouting: { stickySeconds: 3_600, cohort } });
  });

  it("caps the default stickiness at the ALB's 7 days and takes a stickySeconds as given", () => {
    // Act
    const long = waveTarget(
      StrategyObjectSchema.parse({ ...onTargetGroups, durationSeconds: 1_209_600 }),
      ecs,
    );
    const given = waveTarget(StrategyObjectSchema.parse({ ...onTargetGroups, stickySeconds: 900 }), ecs);

    // Assess
    expect(long).toMatchObject({ experimentRouting: { stickySeconds: 604_800, cohort: null } });
    expect(given).toMatchObject({ experimentRouting: { stickySeconds: 900, cohort: null } });
  });

  it("accepts an experiment on an ECS target's target groups and requests it with the arms' routing", () => {
    // Arrange
    const cohort = { priority: 5, header: { name: "X-Arm", values: ["treatment"] } };

    // Act: requestOf parses the config, and throws on any problem
    const request = requestOf({ target: ecs, strategy: { ...onTargetGroups, cohort } });

    // Assess
    expect(request.target).toEqual({ ...ecs, experimentRouting: { stickySeconds: 86_400, cohort } });
    expect(request.experiment).toEqual({ decideOn: "conversion", alpha: 0.05 });
    expect(request.plan.phases[0]).toMatchObject({ weight: 50, judge: true });
  });

  it("gives a flag experiment the feature-flag defaults for splitKey and rollbackTo", () => {
    // Act
    const request = requestOf({ strategy: experiment });

    // Assess
    expect(request.target).toMatchObject({ type: "flag", splitKey: "userId", rollbackTo: "off" });
  });

  it("gives every other strategy no experiment", () => {
    // Act
    const request = requestOf({
      strategy: {
        type: "feature-flag",
        flag: experiment.flag,
        metrics: experiment.metrics,
        steps: [{ setWeight: 100 }],
      },
    });

    // Assess
    expect(request.experiment).toBeNull();
  });

  it.each<[string, Record<string, unknown>, { path: string; message: RegExp }]>([
    [
      "a decideOn that names no metric of the environment",
      { strategy: { ...experiment, decideOn: "revenue" } },
      {
        path: "services[0].environments[0].strategy.decideOn",
        message: /names no metric in this environment's metrics \(has: conversion\)/,
      },
    ],
    [
      "a split of 100%, which leaves no control",
      { strategy: { ...experiment, split: 100 } },
      { path: "services[0].environments[0].strategy.split", message: /needs users on both arms/ },
    ],
    [
      "no duration",
      { strategy: { ...experiment, durationSeconds: undefined } },
      { path: "services[0].environments[0].strategy.durationSeconds", message: /number of seconds/ },
    ],
    [
      "an experiment on a flag with an ECS target",
      { target: ecs, strategy: experiment },
      {
        path: "services[0].environments[0].target.type",
        message: /an experiment on flag new-checkout changes a flag, not an ECS service/,
      },
    ],
    [
      "an experiment on target groups with an AppConfig target",
      { strategy: onTargetGroups },
      {
        path: "services[0].environments[0].target.type",
        message: /an experiment on it names the flag \(strategy.flag\)/,
      },
    ],
    [
      "an experiment on a flag without its metrics",
      { strategy: { ...experiment, metrics: undefined } },
      {
        path: "services[0].environments[0].strategy.metrics",
        message: /needs metrics \{ namespace, dimensions \}/,
      },
    ],
    [
      "a splitKey on an experiment without a flag",
      { target: ecs, strategy: { ...onTargetGroups, splitKey: "userId" } },
      {
        path: "services[0].environments[0].strategy.splitKey",
        message: /belongs to an experiment on a flag/,
      },
    ],
    [
      "a cohort on an experiment on a flag",
      { strategy: { ...experiment, cohort: { priority: 5, header: { name: "x-arm", values: ["b"] } } } },
      {
        path: "services[0].environments[0].strategy.cohort",
        message: /belongs to an experiment on target groups/,
      },
    ],
    [
      "a cohort that is both a header and a cookie",
      {
        target: ecs,
        strategy: {
          ...onTargetGroups,
          cohort: {
            priority: 5,
            header: { name: "x-arm", values: ["b"] },
            cookie: { name: "arm", value: "b" },
          },
        },
      },
      { path: "services[0].environments[0].strategy.cohort", message: /give exactly one/ },
    ],
    [
      "a cohort cookie value with a wildcard",
      {
        target: ecs,
        strategy: { ...onTargetGroups, cohort: { priority: 5, cookie: { name: "arm", value: "b*" } } },
      },
      { path: "services[0].environments[0].strategy.cohort.cookie.value", message: /without spaces, quotes/ },
    ],
    [
      "stickiness longer than the ALB's 7 days",
      { target: ecs, strategy: { ...onTargetGroups, stickySeconds: 604_801 } },
      { path: "services[0].environments[0].strategy.stickySeconds", message: /cannot exceed 604800/ },
    ],
    [
      "a cohort on a local target",
      {
        target: { type: "local" },
        strategy: { ...onTargetGroups, cohort: { priority: 5, header: { name: "x-arm", values: ["b"] } } },
      },
      { path: "services[0].environments[0].strategy.cohort", message: /configures the ALB of an ecs target/ },
    ],
    [
      "target health on an experiment",
      { strategy: experiment, targetHealth: { maxUnhealthyShare: 0.3 } },
      { path: "services[0].environments[0].targetHealth", message: /deploys no targets whose health/ },
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
