import {
  CloudWatchClient,
  CloudWatchServiceException,
  type CompositeAlarm,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type MetricAlarm,
  type MetricDataResult,
} from "@aws-sdk/client-cloudwatch";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { loadBalancerDimension, targetGroupDimension } from "../../functions/adapters/aws/arns.ts";
import { CloudWatchHealthSignals } from "../../functions/adapters/aws/cloudwatch-health-signals.ts";
import { awsClientConfig } from "../../functions/adapters/aws/retry.ts";
import { conversionMetric } from "../helpers/analysis-settings.ts";
import { useAwsServers } from "../helpers/aws-http-server.ts";
import { serviceError } from "../helpers/sdk-mock.ts";

const arnPrefix = "arn:aws:elasticloadbalancing:eu-west-1:123456789012";
const listenerArn = `${arnPrefix}:listener/app/checkout-prod/50dc6c495c0c9188/f2f7dc8efc522ab2`;
const blueTg = `${arnPrefix}:targetgroup/checkout-blue/73e2d6bc24d8a067`;
const greenTg = `${arnPrefix}:targetgroup/checkout-green/2453ed029918f21f`;
const loadBalancer = "app/checkout-prod/50dc6c495c0c9188";

const client = new CloudWatchClient({ region: "eu-west-1", ...awsClientConfig });
const cloudwatch = mockClient(client);

const signals = () =>
  new CloudWatchHealthSignals({
    client,
    loadBalancer: loadBalancerDimension(listenerArn),
    targetGroups: { blue: blueTg, green: greenTg },
  });

beforeEach(() => {
  cloudwatch.reset();
});

describe("loadBalancerDimension", () => {
  it.each([
    ["a listener", listenerArn],
    [
      "a listener rule",
      `${arnPrefix}:listener-rule/app/checkout-prod/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`,
    ],
    ["a load balancer", `${arnPrefix}:loadbalancer/app/checkout-prod/50dc6c495c0c9188`],
    [
      "a China-region listener",
      "arn:aws-cn:elasticloadbalancing:cn-north-1:123456789012:listener/app/checkout-prod/50dc6c495c0c9188/f2f7dc8efc522ab2",
    ],
  ])("derives app/<name>/<id> from %s ARN", (_label, arn) => {
    // Assess
    expect(loadBalancerDimension(arn)).toBe(loadBalancer);
  });

  it.each([
    [
      "a Network Load Balancer listener",
      `${arnPrefix}:listener/net/checkout-nlb/50dc6c495c0c9188/f2f7dc8efc522ab2`,
      "does not belong to an Application Load Balancer",
    ],
    ["a target group", blueTg, "does not belong to an Application Load Balancer"],
    [
      "not an ELB ARN",
      "arn:aws:ecs:eu-west-1:123456789012:service/prod/checkout-blue",
      "is not an Elastic Load Balancing ARN",
    ],
  ])("refuses %s", (_label, arn, message) => {
    // Assess
    expect(() => loadBalancerDimension(arn)).toThrow(message);
  });
});

describe("targetGroupDimension", () => {
  it("derives targetgroup/<name>/<id>", () => {
    // Assess
    expect(targetGroupDimension(blueTg)).toBe("targetgroup/checkout-blue/73e2d6bc24d8a067");
  });

  it("refuses a listener ARN", () => {
    // Assess
    expect(() => targetGroupDimension(listenerArn)).toThrow("is not a target group ARN");
  });
});

function metricAlarm(name: string, state: MetricAlarm["StateValue"] = "OK"): MetricAlarm {
  return {
    AlarmName: name,
    AlarmArn: `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${name}`,
    ActionsEnabled: true,
    StateValue: state,
    StateReason:
      state === "ALARM"
        ? "Threshold Crossed: 1 out of the last 1 datapoints [12.0 (01/03/30 10:04:00)] was greater than the threshold (5.0) (minimum 1 datapoint for OK -> ALARM transition)."
        : "Threshold Crossed: 1 datapoint [0.0 (01/03/30 10:04:00)] was not greater than the threshold (5.0).",
    StateUpdatedTimestamp: new Date("2030-03-01T10:05:12.345Z"),
    StateTransitionedTimestamp: new Date("2030-03-01T10:05:12.345Z"),
    MetricName: "HTTPCode_Target_5XX_Count",
    Namespace: "AWS/ApplicationELB",
    Statistic: "Sum",
    Dimensions: [{ Name: "LoadBalancer", Value: loadBalancer }],
    Period: 60,
    EvaluationPeriods: 1,
    Threshold: 5,
    ComparisonOperator: "GreaterThanThreshold",
    TreatMissingData: "notBreaching",
  };
}

describe("CloudWatchHealthSignals", () => {
  describe("alarms", () => {
    it("calls nothing for no names", async () => {
      // Act
      const result = await signals().alarms([]);

      // Assess
      expect(result).toEqual({ found: [], missing: [] });
      expect(cloudwatch).not.toHaveReceivedAnyCommand();
    });

    it("reports metric and composite alarms, and the names CloudWatch does not know as missing", async () => {
      // Prepare
      const composite: CompositeAlarm = {
        AlarmName: "checkout-prod-health",
        AlarmArn: "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:checkout-prod-health",
        AlarmRule: 'ALARM("checkout-prod-5xx") OR ALARM("checkout-prod-latency")',
        ActionsEnabled: true,
        StateValue: "ALARM",
        StateReason:
          "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:checkout-prod-5xx transitioned to ALARM at Friday 01 March, 2030 10:05:12 UTC",
        StateUpdatedTimestamp: new Date("2030-03-01T10:07:00.000Z"),
        StateTransitionedTimestamp: new Date("2030-03-01T10:05:13.000Z"),
      };
      cloudwatch.on(DescribeAlarmsCommand).resolves({
        MetricAlarms: [metricAlarm("checkout-prod-5xx", "ALARM")],
        CompositeAlarms: [composite],
      });

      // Act
      const result = await signals().alarms([
        "checkout-prod-5xx",
        "checkout-prod-health",
        "checkout-prod-typo",
      ]);

      // Assess
      expect(result).toEqual({
        found: [
          {
            name: "checkout-prod-5xx",
            type: "metric",
            state: "ALARM",
            reason: expect.stringContaining("was greater than the threshold (5.0)"),
            updatedAt: "2030-03-01T10:05:12.345Z",
          },
          {
            name: "checkout-prod-health",
            type: "composite",
            state: "ALARM",
            reason: expect.stringContaining("checkout-prod-5xx transitioned to ALARM"),
            updatedAt: "2030-03-01T10:05:13.000Z",
          },
        ],
        missing: ["checkout-prod-typo"],
      });
      expect(cloudwatch).toHaveReceivedCommandExactlyOnceWith(DescribeAlarmsCommand, {
        AlarmNames: ["checkout-prod-5xx", "checkout-prod-health", "checkout-prod-typo"],
        AlarmTypes: ["MetricAlarm", "CompositeAlarm"],
        MaxRecords: 100,
      });
    });

    it("asks for at most 100 names a call and follows NextToken within each chunk", async () => {
      // Prepare
      const names = Array.from(
        { length: 150 },
        (_, index) => `checkout-alarm-${String(index).padStart(3, "0")}`,
      );
      const [firstChunk, secondChunk] = [names.slice(0, 100), names.slice(100)];
      cloudwatch
        .on(DescribeAlarmsCommand)
        .resolvesOnce({
          MetricAlarms: names.slice(0, 60).map((name) => metricAlarm(name)),
          NextToken: "page-2",
        })
        .resolvesOnce({ MetricAlarms: names.slice(60, 100).map((name) => metricAlarm(name)) })
        .resolvesOnce({ MetricAlarms: names.slice(100, 149).map((name) => metricAlarm(name)) });

      // Act
      const result = await signals().alarms(names);

      // Assess
      expect(cloudwatch.commandCalls(DescribeAlarmsCommand).map((call) => call.args[0].input)).toStrictEqual([
        { AlarmNames: firstChunk, AlarmTypes: ["MetricAlarm", "CompositeAlarm"], MaxRecords: 100 },
        {
          AlarmNames: firstChunk,
          AlarmTypes: ["MetricAlarm", "CompositeAlarm"],
          MaxRecords: 100,
          NextToken: "page-2",
        },
        { AlarmNames: secondChunk, AlarmTypes: ["MetricAlarm", "CompositeAlarm"], MaxRecords: 100 },
      ]);
      expect(result.found).toHaveLength(149);
      expect(result.missing).toEqual(["checkout-alarm-149"]);
    });

    it("asks once for a name given twice", async () => {
      // Prepare
      cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [metricAlarm("checkout-prod-5xx")] });

      // Act
      const result = await signals().alarms(["checkout-prod-5xx", "checkout-prod-5xx"]);

      // Assess
      expect(result.found).toHaveLength(1);
      expect(cloudwatch).toHaveReceivedCommandWith(DescribeAlarmsCommand, {
        AlarmNames: ["checkout-prod-5xx"],
      });
    });

    it("throws a validation error at once", async () => {
      // Prepare
      cloudwatch
        .on(DescribeAlarmsCommand)
        .rejects(
          serviceError(
            CloudWatchServiceException,
            "ValidationError",
            400,
            "The parameter AlarmNames.member.1 must be shorter than 256 characters.",
          ),
        );

      // Act
      const read = signals().alarms(["x".repeat(300)]);

      // Assess
      await expect(read).rejects.toMatchObject({ name: "ValidationError" });
      expect(cloudwatch).toHaveReceivedCommandTimes(DescribeAlarmsCommand, 1);
    });
  });

  describe("armMetrics", () => {
    const start = new Date("2030-03-01T10:00:00.000Z");
    const end = new Date("2030-03-01T10:05:00.000Z");

    function query(id: string, metric: string, targetGroup: string, stat: string, period = 300) {
      return {
        Id: id,
        MetricStat: {
          Metric: {
            Namespace: "AWS/ApplicationELB",
            MetricName: metric,
            Dimensions: [
              { Name: "LoadBalancer", Value: loadBalancer },
              { Name: "TargetGroup", Value: targetGroup },
            ],
          },
          Period: period,
          Stat: stat,
        },
      };
    }

    const result = (id: string, values: number[]): MetricDataResult => ({
      Id: id,
      Label: id,
      Timestamps: values.map(() => start),
      Values: values,
      StatusCode: "Complete",
    });

    it("asks for each arm's requests, 5xx and p95/p99 latency over one period spanning the window", async () => {
      // Prepare
      cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });

      // Act
      await signals().armMetrics({ start, end });

      // Assess
      const blue = "targetgroup/checkout-blue/73e2d6bc24d8a067";
      const green = "targetgroup/checkout-green/2453ed029918f21f";
      expect(cloudwatch.commandCalls(GetMetricDataCommand).map((call) => call.args[0].input)).toStrictEqual([
        {
          MetricDataQueries: [
            query("blue_requests", "RequestCount", blue, "Sum"),
            query("blue_errors", "HTTPCode_Target_5XX_Count", blue, "Sum"),
            query("blue_p95", "TargetResponseTime", blue, "p95"),
            query("blue_p99", "TargetResponseTime", blue, "p99"),
            query("green_requests", "RequestCount", green, "Sum"),
            query("green_errors", "HTTPCode_Target_5XX_Count", green, "Sum"),
            query("green_p95", "TargetResponseTime", green, "p95"),
            query("green_p99", "TargetResponseTime", green, "p99"),
          ],
          StartTime: start,
          EndTime: end,
          ScanBy: "TimestampAscending",
        },
      ]);
    });

    it("uses query ids that CloudWatch accepts", async () => {
      // Prepare
      cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });

      // Act
      await signals().armMetrics({ start, end });

      // Assess
      const ids = cloudwatch
        .commandCalls(GetMetricDataCommand)[0]
        ?.args[0].input.MetricDataQueries?.map((q) => q.Id);
      expect(ids).toHaveLength(8);
      for (const id of ids ?? []) expect(id).toMatch(/^[a-z][a-zA-Z0-9_]*$/);
    });

    it.each([
      [300, 300],
      [30, 60],
      [60, 60],
      [61, 120],
      [301, 360],
      [3600, 3600],
    ])("rounds a %i s window up to a period of %i s", async (seconds, period) => {
      // Prepare
      cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });

      // Act
      await signals().armMetrics({ start, end: new Date(start.getTime() + seconds * 1000) });

      // Assess
      const periods = cloudwatch
        .commandCalls(GetMetricDataCommand)[0]
        ?.args[0].input.MetricDataQueries?.map((q) => q.MetricStat?.Period);
      expect(new Set(periods)).toEqual(new Set([period]));
    });

    it("sums counts, converts latency to milliseconds and follows NextToken", async () => {
      // Prepare
      cloudwatch
        .on(GetMetricDataCommand)
        .resolvesOnce({
          MetricDataResults: [
            result("blue_requests", [5400]),
            result("blue_errors", [3]),
            result("blue_p95", [0.182]),
            { ...result("blue_p99", []), StatusCode: "PartialData" },
            result("green_requests", [590, 10]),
            result("green_errors", [12]),
            result("green_p95", [0.2345]),
            result("green_p99", []),
          ],
          NextToken: "next",
        })
        .resolvesOnce({ MetricDataResults: [result("blue_p99", [0.411])] });

      // Act
      const metrics = await signals().armMetrics({ start, end });

      // Assess
      expect(metrics).toEqual({
        blue: { requests: 5400, errors: 3, p95Ms: 182, p99Ms: 411 },
        green: { requests: 600, errors: 12, p95Ms: 234.5 },
      });
      expect(cloudwatch).toHaveReceivedCommandTimes(GetMetricDataCommand, 2);
      expect(cloudwatch).toHaveReceivedNthCommandWith(GetMetricDataCommand, 2, { NextToken: "next" });
    });

    it("keeps the higher percentile when CloudWatch splits the window into two periods", async () => {
      // Prepare
      cloudwatch.on(GetMetricDataCommand).resolves({
        MetricDataResults: [result("green_requests", [100, 50]), result("green_p95", [0.1, 0.3])],
      });

      // Act
      const metrics = await signals().armMetrics({ start, end });

      // Assess
      expect(metrics.green).toEqual({ requests: 150, errors: 0, p95Ms: 300 });
    });

    it("reports an arm without datapoints as no requests, no errors and no percentiles", async () => {
      // Prepare
      cloudwatch.on(GetMetricDataCommand).resolves({
        MetricDataResults: ["requests", "errors", "p95", "p99"].flatMap((q) => [
          result(`blue_${q}`, []),
          result(`green_${q}`, []),
        ]),
      });

      // Act
      const metrics = await signals().armMetrics({ start, end });

      // Assess
      expect(metrics).toStrictEqual({ blue: { requests: 0, errors: 0 }, green: { requests: 0, errors: 0 } });
    });

    it("refuses a window that does not end after it starts", async () => {
      // Act
      const read = signals().armMetrics({ start, end: start });

      // Assess
      await expect(read).rejects.toThrow(RangeError);
      expect(cloudwatch).not.toHaveReceivedAnyCommand();
    });
  });
});

// aws-sdk-client-mock replaces the SDK's middleware, where a result CloudWatch could not compute fails the call.
describe("CloudWatchHealthSignals.armMetrics of a Lambda function's versions", () => {
  const start = new Date("2030-03-01T10:00:00.000Z");
  const end = new Date("2030-03-01T10:05:00.000Z");
  const lambdaSignals = () =>
    new CloudWatchHealthSignals({
      client,
      lambda: {
        functionName: "checkout-api",
        alias: "live",
        versions: async () => ({ blue: "41", green: "42" }),
      },
    });
  const query = (id: string, metric: string, version: string, stat: string) => ({
    Id: id,
    MetricStat: {
      Metric: {
        Namespace: "AWS/Lambda",
        MetricName: metric,
        Dimensions: [
          { Name: "FunctionName", Value: "checkout-api" },
          { Name: "Resource", Value: "checkout-api:live" },
          { Name: "ExecutedVersion", Value: version },
        ],
      },
      Period: 300,
      Stat: stat,
    },
  });

  it("asks for each version's invocations, errors, p95/p99 duration and throttles through the alias", async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });

    // Act
    await lambdaSignals().armMetrics({ start, end });

    // Assess
    expect(cloudwatch.commandCalls(GetMetricDataCommand)[0]?.args[0].input.MetricDataQueries).toStrictEqual([
      query("blue_requests", "Invocations", "41", "Sum"),
      query("blue_errors", "Errors", "41", "Sum"),
      query("blue_p95", "Duration", "41", "p95"),
      query("blue_p99", "Duration", "41", "p99"),
      query("green_requests", "Invocations", "42", "Sum"),
      query("green_errors", "Errors", "42", "Sum"),
      query("green_p95", "Duration", "42", "p95"),
      query("green_p99", "Duration", "42", "p99"),
      query("blue_throttles", "Throttles", "41", "Sum"),
      query("green_throttles", "Throttles", "42", "Sum"),
    ]);
  });

  it("reads invocations as requests, errors as errors, a throttle as a failed request and Duration as milliseconds already", async () => {
    // Prepare
    const result = (id: string, values: number[]): MetricDataResult => ({
      Id: id,
      Values: values,
      Timestamps: values.map(() => start),
      StatusCode: "Complete",
    });
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        result("blue_requests", [1800]),
        result("blue_errors", [2]),
        result("blue_p95", [120.5]),
        result("green_requests", [200]),
        result("green_errors", [9]),
        result("green_p99", [480]),
        result("green_throttles", [4, 1]),
      ],
    });

    // Act
    const metrics = await lambdaSignals().armMetrics({ start, end });

    // Assess
    expect(metrics).toEqual({
      blue: { requests: 1800, errors: 2, p95Ms: 120.5 },
      green: { requests: 205, errors: 14, p99Ms: 480 },
    });
  });
});

describe("CloudWatchHealthSignals.armMetrics against an HTTP endpoint", () => {
  const server = useAwsServers();
  const start = new Date("2030-03-01T10:00:00.000Z");
  const end = new Date("2030-03-01T10:05:00.000Z");
  const requests = (values: number[], StatusCode = "Complete", Messages: object[] = []) => ({
    status: 200,
    body: {
      MetricDataResults: [
        {
          Id: "blue_requests",
          Label: "blue_requests",
          Timestamps: values.map(() => 1_898_503_200),
          Values: values,
          StatusCode,
          Messages,
        },
      ],
    },
  });
  const serverSignals = async (...replies: ReturnType<typeof requests>[]) => {
    const aws = await server(replies);
    const signals = new CloudWatchHealthSignals({
      client: new CloudWatchClient(aws.clientConfig),
      loadBalancer,
      targetGroups: { blue: blueTg, green: greenTg },
    });
    return { aws, signals };
  };

  it("lets the SDK retry a result CloudWatch could not compute instead of reading it as no traffic", async () => {
    // Prepare
    const { aws, signals } = await serverSignals(requests([], "InternalError"), requests([42]));

    // Act
    const metrics = await signals.armMetrics({ start, end });

    // Assess
    expect(metrics.blue.requests).toBe(42);
    expect(aws.requests.map((request) => request.attempt)).toEqual(["attempt=1; max=5", "attempt=2; max=5"]);
  });

  it("throws a Forbidden result at once", async () => {
    // Prepare
    const { aws, signals } = await serverSignals(
      requests([], "Forbidden", [
        { Code: "Forbidden", Value: "not authorized to read metrics of account 210987654321" },
      ]),
    );

    // Act
    const read = signals.armMetrics({ start, end });

    // Assess
    await expect(read).rejects.toThrow(
      "CloudWatch returned Forbidden for metric query blue_requests (Forbidden: not authorized to read metrics of account 210987654321).",
    );
    expect(aws.requests).toEqual([
      { target: "GraniteServiceVersion20100801.GetMetricData", attempt: "attempt=1; max=5" },
    ]);
  });
});

describe("CloudWatchHealthSignals.businessMetrics", () => {
  const start = new Date("2026-12-02T10:00:00Z");
  const end = new Date("2026-12-02T10:04:30Z");
  const conversion = conversionMetric;
  const query = (id: string, metric: string, variant: string) => ({
    Id: id,
    MetricStat: {
      Metric: {
        Namespace: "Shop/Checkout",
        MetricName: metric,
        Dimensions: [
          { Name: "Service", Value: "checkout" },
          { Name: "Variant", Value: variant },
        ],
      },
      Period: 300,
      Stat: "Sum",
    },
  });

  it("asks for the Sum of numerator and denominator per arm, with Variant as the colour, over one period", async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });

    // Act
    await signals().businessMetrics([conversion], { start, end });

    // Assess
    expect(cloudwatch.commandCalls(GetMetricDataCommand).map((call) => call.args[0].input)).toStrictEqual([
      {
        MetricDataQueries: [
          query("m0_blue_numerator", "checkout_completed", "blue"),
          query("m0_blue_denominator", "checkout_started", "blue"),
          query("m0_green_numerator", "checkout_completed", "green"),
          query("m0_green_denominator", "checkout_started", "green"),
        ],
        StartTime: start,
        EndTime: end,
        ScanBy: "TimestampAscending",
      },
    ]);
  });

  it("sums each arm's datapoints, and counts an arm with no datapoint as 0", async () => {
    // Prepare
    const result = (id: string, values: number[]): MetricDataResult => ({
      Id: id,
      Values: values,
      Timestamps: values.map(() => start),
      StatusCode: "Complete",
    });
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        result("m0_blue_numerator", [400, 500]),
        result("m0_blue_denominator", [2000, 2500]),
        result("m0_green_numerator", []),
        result("m0_green_denominator", [30]),
      ],
    });

    // Act
    const counts = await signals().businessMetrics([conversion], { start, end });

    // Assess
    expect(counts).toEqual([
      { blue: { numerator: 900, denominator: 4500 }, green: { numerator: 0, denominator: 30 } },
    ]);
  });

  it("calls nothing for no metric", async () => {
    // Act
    const counts = await signals().businessMetrics([], { start, end });

    // Assess
    expect(counts).toEqual([]);
    expect(cloudwatch.commandCalls(GetMetricDataCommand)).toHaveLength(0);
  });
});
