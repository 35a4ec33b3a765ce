import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand } from "@aws-sdk/client-cloudwatch";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { loadBalancerDimension } from "../../functions/adapters/aws/arns.ts";
import { CloudWatchHealthSignals } from "../../functions/adapters/aws/cloudwatch-health-signals.ts";
import { awsClientConfig } from "../../functions/adapters/aws/retry.ts";
import type { AlarmDefinition } from "../../functions/domain/alarm-evaluation.ts";
import "../helpers/sdk-mock.ts";

const arnPrefix = "arn:aws:elasticloadbalancing:eu-central-1:444455556666";
const listenerArn = `${arnPrefix}:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2`;
const blueTg = `${arnPrefix}:targetgroup/checkout-blue/73e2d6bc24d8a067`;
const greenTg = `${arnPrefix}:targetgroup/checkout-green/2453ed029918f21f`;
const dimensions = [
  { Name: "LoadBalancer", Value: "app/shop/50dc6c495c0c9188" },
  { Name: "TargetGroup", Value: "targetgroup/checkout-green/2453ed029918f21f" },
];

const client = new CloudWatchClient({ region: "eu-central-1", ...awsClientConfig });
const cloudwatch = mockClient(client);
const signals = new CloudWatchHealthSignals({
  client,
  loadBalancer: loadBalancerDimension(listenerArn),
  targetGroups: { blue: blueTg, green: greenTg },
});

const base = {
  kind: "definition",
  periodSeconds: 60,
  evaluationPeriods: 3,
  datapointsToAlarm: 2,
  comparison: "GreaterThanThreshold",
  treatMissingData: "notBreaching",
  onFail: "rollback",
} as const;

const common = {
  EvaluationPeriods: 3,
  DatapointsToAlarm: 2,
  ComparisonOperator: "GreaterThanThreshold",
  TreatMissingData: "notBreaching",
};

beforeEach(() => {
  cloudwatch.reset();
});

describe("CloudWatchHealthSignals.putAlarms", () => {
  it.each<[string, AlarmDefinition, Record<string, unknown>]>([
    [
      "a plain metric alarm over the colour's target group",
      { ...base, name: "checkout-5xx", metric: "HTTPCode_Target_5XX_Count", statistic: "Sum", threshold: 10 },
      {
        Namespace: "AWS/ApplicationELB",
        MetricName: "HTTPCode_Target_5XX_Count",
        Dimensions: dimensions,
        Period: 60,
        Statistic: "Sum",
        Threshold: 10,
      },
    ],
    [
      "a percentile as ExtendedStatistic",
      { ...base, name: "checkout-p95", metric: "TargetResponseTime", statistic: "p95", threshold: 0.5 },
      {
        Namespace: "AWS/ApplicationELB",
        MetricName: "TargetResponseTime",
        Dimensions: dimensions,
        Period: 60,
        ExtendedStatistic: "p95",
        Threshold: 0.5,
      },
    ],
    [
      "ErrorRate as 5xx over requests, a period with requests and no 5xx being 0",
      { ...base, name: "checkout-5xx-rate", metric: "ErrorRate", statistic: "Average", threshold: 0.02 },
      {
        Threshold: 0.02,
        Metrics: [
          {
            Id: "errors",
            MetricStat: {
              Metric: {
                Namespace: "AWS/ApplicationELB",
                MetricName: "HTTPCode_Target_5XX_Count",
                Dimensions: dimensions,
              },
              Period: 60,
              Stat: "Sum",
            },
            ReturnData: false,
          },
          {
            Id: "requests",
            MetricStat: {
              Metric: { Namespace: "AWS/ApplicationELB", MetricName: "RequestCount", Dimensions: dimensions },
              Period: 60,
              Stat: "Sum",
            },
            ReturnData: false,
          },
          {
            Id: "error_rate",
            Expression: "FILL(errors, 0) / requests",
            Label: "5xx rate of the green target group",
            ReturnData: true,
          },
        ],
      },
    ],
  ])("puts %s, then resets its state", async (_, definition, expected) => {
    // Act
    await signals.putAlarms([definition], "green");

    // Assess
    expect(cloudwatch.commandCalls(PutMetricAlarmCommand).map((call) => call.args[0].input)).toEqual([
      {
        AlarmName: definition.name,
        AlarmDescription: expect.stringContaining(
          "green target group targetgroup/checkout-green/2453ed029918f21f",
        ),
        ...common,
        ...expected,
      },
    ]);
    expect(cloudwatch.commandCalls(SetAlarmStateCommand).map((call) => call.args[0].input)).toEqual([
      {
        AlarmName: definition.name,
        StateValue: "INSUFFICIENT_DATA",
        StateReason: "Glidepath put the alarm over the green target group",
      },
    ]);
    expect(cloudwatch.calls().map((call) => call.args[0].constructor.name)).toEqual([
      "PutMetricAlarmCommand",
      "SetAlarmStateCommand",
    ]);
  });
});

describe("CloudWatchHealthSignals.putAlarms over a Lambda version", () => {
  const lambdaSignals = new CloudWatchHealthSignals({
    client,
    lambda: {
      functionName: "checkout-api",
      alias: "live",
      versions: async () => ({ blue: "41", green: "42" }),
    },
  });
  const versionDimensions = [
    { Name: "FunctionName", Value: "checkout-api" },
    { Name: "Resource", Value: "checkout-api:live" },
    { Name: "ExecutedVersion", Value: "42" },
  ];

  it.each<[string, AlarmDefinition, Record<string, unknown>]>([
    [
      "p95 Duration in milliseconds for a TargetResponseTime threshold in seconds",
      { ...base, name: "checkout-api-p95", metric: "TargetResponseTime", statistic: "p95", threshold: 0.5 },
      {
        Namespace: "AWS/Lambda",
        MetricName: "Duration",
        Dimensions: versionDimensions,
        Period: 60,
        ExtendedStatistic: "p95",
        Threshold: 500,
      },
    ],
    [
      "ErrorRate as Errors over Invocations",
      { ...base, name: "checkout-api-errors", metric: "ErrorRate", statistic: "Average", threshold: 0.02 },
      {
        Threshold: 0.02,
        Metrics: [
          {
            Id: "errors",
            MetricStat: {
              Metric: { Namespace: "AWS/Lambda", MetricName: "Errors", Dimensions: versionDimensions },
              Period: 60,
              Stat: "Sum",
            },
            ReturnData: false,
          },
          {
            Id: "requests",
            MetricStat: {
              Metric: { Namespace: "AWS/Lambda", MetricName: "Invocations", Dimensions: versionDimensions },
              Period: 60,
              Stat: "Sum",
            },
            ReturnData: false,
          },
          {
            Id: "error_rate",
            Expression: "FILL(errors, 0) / requests",
            Label: "5xx rate of version 42",
            ReturnData: true,
          },
        ],
      },
    ],
  ])(
    "puts %s over the new version through the alias, then resets its state",
    async (_, definition, expected) => {
      // Act
      await lambdaSignals.putAlarms([definition], "green");

      // Assess
      expect(cloudwatch.commandCalls(PutMetricAlarmCommand).map((call) => call.args[0].input)).toEqual([
        {
          AlarmName: definition.name,
          AlarmDescription: `Glidepath: ${definition.metric} of version 42 of checkout-api through its alias live, put by the deployment that runs the new version there`,
          ...common,
          ...expected,
        },
      ]);
      expect(cloudwatch.commandCalls(SetAlarmStateCommand).map((call) => call.args[0].input)).toEqual([
        {
          AlarmName: definition.name,
          StateValue: "INSUFFICIENT_DATA",
          StateReason: "Glidepath put the alarm over version 42",
        },
      ]);
    },
  );
});
