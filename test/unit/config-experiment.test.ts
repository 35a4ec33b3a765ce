import { describe, expect, it } from "vitest";
import { type GlidepathConfigInput, parseConfig } from "../../functions/domain/config/index.ts";
import { configWaves } from "../../functions/domain/config/waves.ts";
import { deploymentRequest } from "../../functions/domain/deployment-request.ts";
import { problemsOf } from "../helpers/config-problems.ts";

const appconfig = {
  type: "appconfig",
  application: "shop1ab",
  environment: "prod7cd",
  configurationProfile: "flags9e",
  deploymentStrategy: "now42zz",
} as const;

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
      "an experiment on an ECS target",
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
        strategy: experiment,
      },
      {
        path: "services[0].environments[0].target.type",
        message: /the experiment strategy changes a flag, not an ECS service/,
      },
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
