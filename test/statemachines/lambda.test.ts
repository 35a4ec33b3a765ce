import { PutMetricAlarmCommand } from "@aws-sdk/client-cloudwatch";
import { UpdateAliasCommand, UpdateFunctionCodeCommand } from "@aws-sdk/client-lambda";
import { describe, expect, it } from "vitest";
import { Presets, type StrategyInput } from "../../functions/domain/config/index.ts";
import { ErrorNames } from "../../functions/domain/errors.ts";
import { FakeAws, type FakeAwsOptions } from "../helpers/fake-aws.ts";
import { FakeLambda, lambdaFunction } from "../helpers/fake-lambda.ts";
import { deploy, useFakes, useStrategyMachines } from "./harness.ts";
import "../helpers/sdk-mock.ts";

const suite = useStrategyMachines();
const track = useFakes();

/** Deploys the fake function with `strategy`; CloudWatch's traffic follows the alias's weights. */
async function run(
  strategy: StrategyInput,
  options: {
    aws?: FakeAwsOptions;
    updateFails?: boolean;
    busyUpdates?: number;
    smokeTest?: (payload: unknown) => Promise<unknown>;
    environment?: Record<string, unknown>;
  } = {},
) {
  const fakeAws = track(new FakeAws(options.aws));
  const fakeLambda = track(
    new FakeLambda({
      ...(options.updateFails === undefined ? {} : { updateFails: options.updateFails }),
      ...(options.busyUpdates === undefined ? {} : { busyUpdates: options.busyUpdates }),
      onNewWeight: (percent) => fakeAws.setNewWeight(percent),
    }),
  );
  const result = await deploy({
    machines: suite.machines,
    table: suite.table,
    strategy,
    target: lambdaFunction,
    ...(options.smokeTest === undefined ? {} : { smokeTest: options.smokeTest }),
    ...(options.environment === undefined ? {} : { environment: options.environment }),
  });
  return { ...result, lambda: fakeLambda, cloudwatch: fakeAws.cloudwatch };
}

describe("the strategy state machines on a Lambda function, executed from the synthesized template", () => {
  it("canary: updates the code to the image, publishes one version, splits the alias 10% and then moves it", async () => {
    // Act
    const { result, record, lambda, deployment, states } = await run(Presets.LambdaCanary10Percent5Minutes);

    // Assess
    expect(result.status).toBe("SUCCEEDED");
    expect(record?.status).toBe("SUCCEEDED");
    expect(lambda.client.commandCalls(UpdateFunctionCodeCommand).map((call) => call.args[0].input)).toEqual([
      { FunctionName: "checkout-api", ImageUri: deployment.artifact.uri },
    ]);
    expect(lambda.published().map((entry) => [entry.Version, entry.Description])).toEqual([
      ["42", `glidepath ${deployment.id} replaces 41`],
    ]);
    expect(lambda.aliasHistory).toEqual([
      ["41", { "42": 0.1 }],
      ["42", {}],
    ]);
    // The code update was InProgress at the first look: the rollout check looked again.
    expect(states.filter((state) => state === "Check rollout")).toHaveLength(2);
  });

  it("linear: moves the alias 10% at a time to the new version", async () => {
    // Act
    const { result, lambda } = await run(Presets.LambdaLinear10PercentEvery1Minute);

    // Assess
    expect(result.status).toBe("SUCCEEDED");
    expect(
      lambda.aliasHistory.map(([version, weights]) => (version === "42" ? 100 : (weights["42"] ?? 0) * 100)),
    ).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
  });

  it("blue-green: smoke-tests the published version by its number, then flips the alias to it at once", async () => {
    // Prepare
    const payloads: unknown[] = [];

    // Act
    const { result, lambda, deployment } = await run(
      { type: "blue-green", smokeTest: "smoke" },
      {
        smokeTest: async (payload) => {
          payloads.push(payload);
          return { passed: true, reason: "invoked checkout-api:42" };
        },
      },
    );

    // Assess
    expect(result.status).toBe("SUCCEEDED");
    expect(payloads).toEqual([
      expect.objectContaining({ deploymentId: deployment.id, colour: "green", revision: "42" }),
    ]);
    expect(lambda.aliasHistory).toEqual([["42", {}]]);
  });

  it("rolls back on an alarm at 10%: the alias points at the old version again, with no routing", async () => {
    // Act
    const { result, record, lambda } = await run(Presets.LambdaCanary10Percent5Minutes, {
      aws: { alarmAtWeight: 10 },
    });

    // Assess
    expect(result.error).toBe(ErrorNames.AlarmFired);
    expect(record?.status).toBe("ROLLED_BACK");
    expect(lambda.aliasHistory).toEqual([
      ["41", { "42": 0.1 }],
      ["41", {}],
    ]);
  });

  it("fails before traffic moves when the code update fails, with Lambda's reason", async () => {
    // Act
    const { result, record, lambda } = await run(Presets.LambdaAllAtOnce, { updateFails: true });

    // Assess
    expect(result.error).toBe(ErrorNames.DeployFailed);
    expect(record?.status).toBe("FAILED");
    expect(record?.statusReason).toMatch(
      /the code update of checkout-api failed: ImageAccessDenied no access to the image/,
    );
    expect(lambda.aliasHistory).toEqual([]);
  });

  it("puts a defined alarm over the published version (its ExecutedVersion) before the alias moves", async () => {
    // Act
    const { result, lambda, cloudwatch } = await run(Presets.LambdaCanary10Percent5Minutes, {
      environment: {
        alarms: [
          {
            name: "checkout-api-p95",
            metric: "TargetResponseTime",
            statistic: "p95",
            periodSeconds: 60,
            evaluationPeriods: 3,
            threshold: 0.8,
            comparison: "GreaterThanThreshold",
          },
        ],
      },
    });

    // Assess
    expect(result.status).toBe("SUCCEEDED");
    const puts = cloudwatch.commandCalls(PutMetricAlarmCommand);
    expect(puts.map((call) => call.args[0].input)).toEqual([
      expect.objectContaining({
        AlarmName: "checkout-api-p95",
        Namespace: "AWS/Lambda",
        MetricName: "Duration",
        Dimensions: [
          { Name: "FunctionName", Value: "checkout-api" },
          { Name: "Resource", Value: "checkout-api:live" },
          { Name: "ExecutedVersion", Value: "42" },
        ],
        ExtendedStatistic: "p95",
        Threshold: 800,
      }),
    ]);
    const firstShift = lambda.client.commandCalls(UpdateAliasCommand)[0];
    expect(firstShift !== undefined && puts[0]?.calledBefore(firstShift)).toBe(true);
  });

  it("retries the deploy step while someone else's code update is in progress, then deploys the artifact", async () => {
    // Act
    const { result, lambda, deployment } = await run(Presets.LambdaAllAtOnce, { busyUpdates: 2 });

    // Assess
    expect(result.status).toBe("SUCCEEDED");
    expect(lambda.client.commandCalls(UpdateFunctionCodeCommand).map((call) => call.args[0].input)).toEqual(
      Array(3).fill({ FunctionName: "checkout-api", ImageUri: deployment.artifact.uri }),
    );
    expect(lambda.published().map((entry) => entry.Version)).toEqual(["42"]);
  });
});
