import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import sampleConfig from "../../examples/glidepath.config.ts";
import { type GlidepathConfigInput, parseConfig, Strategy } from "../../functions/domain/config/index.ts";
import { ErrorNames } from "../../functions/domain/errors.ts";
import { problemsOf } from "../helpers/config-problems.ts";

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../fixtures/config/${name}`, import.meta.url), "utf8"));

function minimal(
  environment: Record<string, unknown> = {},
  service: Record<string, unknown> = {},
): GlidepathConfigInput {
  return {
    services: [
      {
        name: "web",
        artifact: { type: "custom", source: "ci.test" },
        target: { type: "local" },
        environments: [
          {
            name: "dev",
            account: "123456789012",
            region: "eu-west-1",
            strategy: "ECSAllAtOnce",
            ...environment,
          },
        ],
        ...service,
      },
    ],
  } as GlidepathConfigInput;
}

describe("parseConfig", () => {
  it("accepts the sample config and the JSON fixture", () => {
    // Act
    const sample = parseConfig(sampleConfig);
    const json = parseConfig(fixture("valid.json"));

    // Assess
    expect(sample.services.map((s) => s.name)).toEqual([
      "sample",
      "sample-backend",
      "sample-fn",
      "checkout",
      "checkout-new-flow",
    ]);
    expect(json.services[0]?.environments.map((e) => e.regions)).toEqual([
      ["us-east-1"],
      ["us-east-1", "us-west-2"],
    ]);
  });

  it("fills the documented defaults", () => {
    // Act
    const config = parseConfig(minimal());
    const service = config.services[0];
    const environment = service?.environments[0];

    // Assess
    expect(service?.concurrency).toBe("queue");
    expect(environment?.analysis).toEqual({
      intervalSeconds: 30,
      maxIntervalSeconds: 600,
      minRequests: 100,
      maxErrorRate: 0.01,
      maxErrorRateRatio: 2,
      maxLatencyRatio: 1.5,
      alpha: 0.01,
      missingData: "inconclusive",
      errors: { onFail: "rollback" },
      latency: { onFail: "pause", forSeconds: 0 },
    });
    expect(environment?.metrics).toEqual([]);
    expect(environment?.targetHealth).toBeUndefined();
    expect(environment?.pause).toEqual({ timeoutSeconds: 3600, onTimeout: "rollback" });
    expect(environment?.approval).toEqual({ required: false, approvers: [], timeoutSeconds: 86_400 });
    expect(environment?.onFreeze).toBe("wait");
    expect(environment?.hooks).toEqual({ preDeploy: [], postDeploy: [], smokeTest: [] });
  });

  it("expands a preset name into its strategy", () => {
    // Act
    const config = parseConfig(minimal({ strategy: "ECSCanary10Percent5Minutes" }));

    // Assess
    expect(config.services[0]?.environments[0]?.strategy).toEqual({
      type: "canary",
      steps: [{ setWeight: 10 }, { bake: { seconds: 300 } }],
    });
  });

  it("reports every problem of the three-mistake fixture at once, each with its path", () => {
    // Act
    const problems = problemsOf(fixture("three-mistakes.json"));

    // Assess
    expect(problems.map((p) => p.path)).toEqual([
      "services[0].environments[0].account",
      "services[0].environments[1].strategy.steps[1]",
      "services[0].environments[1].approval",
    ]);
    expect(problems[0]?.message).toMatch(/12-digit AWS account id/);
    expect(problems[1]?.message).toMatch(
      /exactly one action, found setWeight and bake: split it into 2 steps/,
    );
    expect(problems[2]?.message).toMatch(/unknown key 'timeoutSecond'/);
  });

  it.each([
    [
      "an unknown preset",
      { strategy: "ECSCanary99" },
      "services[0].environments[0].strategy",
      /unknown preset 'ECSCanary99'; known presets: ECSAllAtOnce, /,
    ],
    [
      "an unknown strategy type",
      { strategy: { type: "big-bang" } },
      "services[0].environments[0].strategy.type",
      /type must be one of all-at-once, rolling, blue-green, canary, linear/,
    ],
    [
      "a step with no action",
      { strategy: { type: "canary", steps: [{}] } },
      "services[0].environments[0].strategy.steps[0]",
      /exactly one action: one of setWeight, bake, analysis, approval/,
    ],
    [
      "weights going down",
      { strategy: { type: "canary", steps: [{ setWeight: 50 }, { setWeight: 20 }] } },
      "services[0].environments[0].strategy.steps[1].setWeight",
      /weights only go up: 20 comes after 50/,
    ],
    [
      "a weight over 100",
      { strategy: { type: "linear", stepPercent: 120, intervalSeconds: 60 } },
      "services[0].environments[0].strategy.stepPercent",
      /cannot exceed 100/,
    ],
    [
      "a fractional bake",
      { strategy: { type: "all-at-once", bakeSeconds: 1.5 } },
      "services[0].environments[0].strategy.bakeSeconds",
      /whole number of seconds/,
    ],
    ["an empty region list", { region: [] }, "services[0].environments[0].region", /at least one region/],
    [
      "a bad region",
      { region: "moon-1" },
      "services[0].environments[0].region",
      /AWS region such as eu-west-1/,
    ],
    [
      "an approval nobody may give",
      { approval: { required: true } },
      "services[0].environments[0].approval.approvers",
      /list at least one approver/,
    ],
    [
      "a freeze window ending before it starts",
      { freezeWindows: [{ name: "x", start: "2026-12-24T00:00:00Z", end: "2026-12-23T00:00:00Z" }] },
      "services[0].environments[0].freezeWindows[0].end",
      /must end after it starts/,
    ],
    [
      "a hook that is not a Lambda ARN",
      { hooks: { preDeploy: [{ name: "migrate", function: "migrate-db" }] } },
      "services[0].environments[0].hooks.preDeploy[0].function",
      /Lambda function ARN or local:<name>/,
    ],
    [
      "an alarm with more datapoints than periods",
      {
        alarms: [
          {
            name: "a",
            metric: "ErrorRate",
            statistic: "Average",
            periodSeconds: 60,
            evaluationPeriods: 2,
            datapointsToAlarm: 3,
            threshold: 0.01,
            comparison: "GreaterThanThreshold",
          },
        ],
      },
      "services[0].environments[0].alarms[0].datapointsToAlarm",
      /datapointsToAlarm \(3\) cannot exceed evaluationPeriods \(2\)/,
    ],
    [
      "an alarm period CloudWatch does not have",
      {
        alarms: [
          {
            name: "a",
            metric: "ErrorRate",
            statistic: "p95",
            periodSeconds: 45,
            evaluationPeriods: 1,
            threshold: 1,
            comparison: "GreaterThanThreshold",
          },
        ],
      },
      "services[0].environments[0].alarms[0].periodSeconds",
      /10, 30 or a multiple of 60/,
    ],
    [
      "a half-defined alarm",
      { alarms: [{ name: "a", metric: "ErrorRate", threshold: 1 }] },
      "services[0].environments[0].alarms[0]",
      /needs statistic, periodSeconds, evaluationPeriods, comparison too/,
    ],
  ])("rejects %s with its path", (_case, environment, path, message) => {
    // Act
    const problems = problemsOf(minimal(environment));

    // Assess
    expect(problems).toContainEqual({ path, message: expect.stringMatching(message) });
  });

  const metric = {
    name: "conversion",
    namespace: "Shop/Checkout",
    numerator: "checkout_completed",
    denominator: "checkout_started",
  };
  it.each<[string, Record<string, unknown>, string, RegExp]>([
    [
      "a business metric that sets the Variant dimension itself",
      { metrics: [{ ...metric, dimensions: { Variant: "green" } }] },
      "services[0].environments[0].metrics[0].dimensions.Variant",
      /Variant is the arm, which Glidepath sets per arm: remove it from dimensions/,
    ],
    [
      "a business metric over itself",
      { metrics: [{ ...metric, numerator: "checkout_started" }] },
      "services[0].environments[0].metrics[0].numerator",
      /numerator and denominator are the same metric/,
    ],
    [
      "a maxDrop of 100%",
      { metrics: [{ ...metric, maxDrop: 1 }] },
      "services[0].environments[0].metrics[0].maxDrop",
      /maxDrop must be below 1/,
    ],
    [
      "two business metrics of one name",
      { metrics: [metric, metric] },
      "services[0].environments[0].metrics[1].name",
      /'conversion' is already the name of environments\[0\]\.metrics\[0\]; names must be unique/,
    ],
    [
      "an onFail that is neither rollback nor pause",
      { analysis: { latency: { onFail: "page" } } },
      "services[0].environments[0].analysis.latency.onFail",
      /"rollback"|rollback/,
    ],
    [
      "a target health check without its share",
      { targetHealth: { forSeconds: 180 } },
      "services[0].environments[0].targetHealth.maxUnhealthyShare",
      /number/,
    ],
    [
      "a pause that times out into a promotion",
      { pause: { onTimeout: "promote" } },
      "services[0].environments[0].pause.onTimeout",
      /rollback|resume/,
    ],
  ])("rejects %s with its path", (_case, environment, path, message) => {
    // Act
    const problems = problemsOf(minimal(environment));

    // Assess
    expect(problems).toContainEqual({ path, message: expect.stringMatching(message) });
  });

  it.each([
    [
      "duplicate environment names",
      {
        environments: [0, 1].map(() => ({
          name: "dev",
          account: "123456789012",
          region: "eu-west-1",
          strategy: "ECSAllAtOnce",
        })),
      },
      "services[0].environments[1].name",
      /already the name of environments\[0\]/,
    ],
    [
      "a rolling count without a fleet size",
      {
        environments: [
          {
            name: "dev",
            account: "123456789012",
            region: "eu-west-1",
            strategy: Strategy.rolling({ batch: { count: 2 } }),
          },
        ],
      },
      "services[0].environments[0].strategy.batch.count",
      /needs target.desiredCount/,
    ],
    [
      "a smoke test naming no hook",
      {
        environments: [
          {
            name: "dev",
            account: "123456789012",
            region: "eu-west-1",
            strategy: Strategy.blueGreen({ smokeTest: "smoke" }),
          },
        ],
      },
      "services[0].environments[0].strategy.smokeTest",
      /names no hook in hooks.smokeTest/,
    ],
    [
      "an ECS target with both listener and rule",
      {
        target: {
          type: "ecs",
          cluster: "c",
          services: { blue: "a", green: "b" },
          listenerArn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/w/1/2",
          listenerRuleArn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/w/1/2/3",
          targetGroups: {
            blue: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/b/1",
            green: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/g/1",
          },
        },
      },
      "services[0].target",
      /exactly one of listenerArn .* or listenerRuleArn/,
    ],
  ])("rejects %s with its path", (_case, service, path, message) => {
    // Act
    const problems = problemsOf(minimal({}, service));

    // Assess
    expect(problems).toContainEqual({ path, message: expect.stringMatching(message) });
  });

  it("names the unknown key and the missing field", () => {
    // Act
    const problems = problemsOf({ services: [{ name: "web", artefact: {} }] });

    // Assess
    expect(problems).toEqual(
      expect.arrayContaining([
        { path: "services[0]", message: "unknown key 'artefact': remove or fix the spelling" },
        {
          path: "services[0].artifact",
          message: expect.stringMatching(/^artifact.type must be 'ecr' or 'custom'|required/),
        },
        { path: "services[0].environments", message: "required (expected array)" },
      ]),
    );
  });

  it("lists every problem in the error message, one per line", () => {
    // Act
    const error = (() => {
      try {
        parseConfig(fixture("three-mistakes.json"), "three-mistakes.json");
      } catch (caught) {
        return caught as Error;
      }
      return undefined;
    })();

    // Assess
    expect(error?.name).toBe(ErrorNames.ConfigInvalid);
    expect(error?.message.split("\n")).toEqual([
      "three-mistakes.json is invalid (3 problems):",
      expect.stringMatching(/^ {2}- services\[0\]\.environments\[0\]\.account: /),
      expect.stringMatching(/^ {2}- services\[0\]\.environments\[1\]\.strategy\.steps\[1\]: /),
      expect.stringMatching(/^ {2}- services\[0\]\.environments\[1\]\.approval: /),
    ]);
  });
});
