import type { Dimension, MetricDataQuery, PutMetricAlarmCommandInput } from "@aws-sdk/client-cloudwatch";
import type { AlarmDefinition } from "../../domain/alarm-evaluation.ts";
import { VariantDimension } from "../../domain/config/check-schema.ts";

/** The ALB's metrics of one target group: the dimensions an alarm over one colour selects. */
export interface TargetGroupMetrics {
  readonly loadBalancer: string;
  readonly targetGroup: string;
  /** Named in the alarm's description, for whoever finds it in the CloudWatch console. */
  readonly colour: string;
}

/**
 * The application's own metrics of one flag variant (`Requests`, `Errors`, `Latency` in milliseconds, with the
 * `Variant` dimension): what an alarm over a feature flag's treatment selects.
 */
export interface VariantMetrics {
  readonly namespace: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly variant: string;
}

/**
 * One version of a Lambda function as its alias's callers reach it: AWS/Lambda's metrics per executed version
 * through the alias (`FunctionName`, `Resource` = `function:alias`, `ExecutedVersion`).
 */
export interface LambdaVersionMetrics {
  readonly functionName: string;
  readonly alias: string;
  readonly version: string;
}

/** The dimensions of a version's AWS/Lambda metrics through the alias. */
export function lambdaVersionDimensions(where: LambdaVersionMetrics): Dimension[] {
  return [
    { Name: "FunctionName", Value: where.functionName },
    { Name: "Resource", Value: `${where.functionName}:${where.alias}` },
    { Name: "ExecutedVersion", Value: where.version },
  ];
}

/** The AWS/Lambda metric that stands for each ALB metric an alarm definition names (Duration in ms). */
const lambdaMetricNames: Readonly<Record<string, string>> = {
  HTTPCode_Target_5XX_Count: "Errors",
  RequestCount: "Invocations",
  TargetResponseTime: "Duration",
};

/** The application metric that stands for each ALB metric an alarm definition names. */
const variantMetricNames: Readonly<Record<string, string>> = {
  HTTPCode_Target_5XX_Count: "Errors",
  RequestCount: "Requests",
  TargetResponseTime: "Latency",
};

interface MetricSource {
  readonly namespace: string;
  readonly dimensions: Dimension[];
  readonly name: (albMetric: string) => string;
  /** TargetResponseTime thresholds are seconds; the application's Latency and Lambda's Duration are in ms. */
  readonly latencyScale: number;
  /** The arm in a few words (the math expression's label), and in full (the alarm's description). */
  readonly label: string;
  readonly fullLabel: string;
}

type AlarmArm = TargetGroupMetrics | VariantMetrics | LambdaVersionMetrics;

function sourceOf(where: AlarmArm): MetricSource {
  if ("version" in where) {
    return {
      namespace: "AWS/Lambda",
      dimensions: lambdaVersionDimensions(where),
      name: (albMetric) => lambdaMetricNames[albMetric] ?? albMetric,
      latencyScale: 1000,
      label: `version ${where.version}`,
      fullLabel: `version ${where.version} of ${where.functionName} through its alias ${where.alias}`,
    };
  }
  if ("variant" in where) {
    return {
      namespace: where.namespace,
      dimensions: [
        ...Object.entries(where.dimensions).map(([Name, Value]) => ({ Name, Value })),
        { Name: VariantDimension, Value: where.variant },
      ],
      name: (albMetric) => variantMetricNames[albMetric] ?? albMetric,
      latencyScale: 1000,
      label: `the ${where.variant} variant`,
      fullLabel: `the ${where.variant} variant in ${where.namespace}`,
    };
  }
  return {
    namespace: "AWS/ApplicationELB",
    dimensions: [
      { Name: "LoadBalancer", Value: where.loadBalancer },
      { Name: "TargetGroup", Value: where.targetGroup },
    ],
    name: (albMetric) => albMetric,
    latencyScale: 1,
    label: `the ${where.colour} target group`,
    fullLabel: `the ${where.colour} target group ${where.targetGroup}`,
  };
}

/**
 * The PutMetricAlarm input of a defined alarm over one arm (a target group, a flag variant, a Lambda version), with the semantics the local run
 * evaluates (functions/domain/alarm-datapoints.ts): a plain metric alarm for the ALB's own metrics (a
 * percentile as `ExtendedStatistic`), and for `ErrorRate` a metric-math alarm, 5xx count over request count
 * per period, where a period with requests but no 5xx (the ALB then reports no 5xx datapoint) is 0 and a
 * period without requests has no datapoint.
 */
export function metricAlarmInput(definition: AlarmDefinition, where: AlarmArm): PutMetricAlarmCommandInput {
  const source = sourceOf(where);
  const { namespace, dimensions } = source;
  const common = {
    AlarmName: definition.name,
    AlarmDescription: `Glidepath: ${definition.metric} of ${source.fullLabel}, put by the deployment that runs the new version there`,
    EvaluationPeriods: definition.evaluationPeriods,
    DatapointsToAlarm: definition.datapointsToAlarm,
    Threshold:
      definition.metric === "TargetResponseTime"
        ? definition.threshold * source.latencyScale
        : definition.threshold,
    ComparisonOperator: definition.comparison,
    TreatMissingData: definition.treatMissingData,
  };
  if (definition.metric === "ErrorRate") {
    const sum = (id: string, metricName: string): MetricDataQuery => ({
      Id: id,
      MetricStat: {
        Metric: { Namespace: namespace, MetricName: source.name(metricName), Dimensions: dimensions },
        Period: definition.periodSeconds,
        Stat: "Sum",
      },
      ReturnData: false,
    });
    return {
      ...common,
      Metrics: [
        sum("errors", "HTTPCode_Target_5XX_Count"),
        sum("requests", "RequestCount"),
        {
          Id: "error_rate",
          Expression: "FILL(errors, 0) / requests",
          Label: `5xx rate of ${source.label}`,
          ReturnData: true,
        },
      ],
    };
  }
  const percentile = /^p\d/.test(definition.statistic);
  return {
    ...common,
    Namespace: namespace,
    MetricName: source.name(definition.metric),
    Dimensions: dimensions,
    Period: definition.periodSeconds,
    ...(percentile
      ? { ExtendedStatistic: definition.statistic }
      : { Statistic: definition.statistic as NonNullable<PutMetricAlarmCommandInput["Statistic"]> }),
  };
}
