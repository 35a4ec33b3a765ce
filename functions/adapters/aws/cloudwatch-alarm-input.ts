import type { Dimension, MetricDataQuery, PutMetricAlarmCommandInput } from "@aws-sdk/client-cloudwatch";
import type { AlarmDefinition } from "../../domain/alarm-evaluation.ts";

/** The ALB's metrics of one target group: the dimensions an alarm over one colour selects. */
export interface TargetGroupMetrics {
  readonly loadBalancer: string;
  readonly targetGroup: string;
  /** Named in the alarm's description, for whoever finds it in the CloudWatch console. */
  readonly colour: string;
}

const namespace = "AWS/ApplicationELB";

/**
 * The PutMetricAlarm input of a defined alarm over one target group, with the semantics the local run
 * evaluates (functions/domain/alarm-datapoints.ts): a plain metric alarm for the ALB's own metrics (a
 * percentile as `ExtendedStatistic`), and for `ErrorRate` a metric-math alarm, 5xx count over request count
 * per period, where a period with requests but no 5xx (the ALB then reports no 5xx datapoint) is 0 and a
 * period without requests has no datapoint.
 */
export function metricAlarmInput(
  definition: AlarmDefinition,
  where: TargetGroupMetrics,
): PutMetricAlarmCommandInput {
  const dimensions: Dimension[] = [
    { Name: "LoadBalancer", Value: where.loadBalancer },
    { Name: "TargetGroup", Value: where.targetGroup },
  ];
  const common = {
    AlarmName: definition.name,
    AlarmDescription: `Glidepath: ${definition.metric} of the ${where.colour} target group ${where.targetGroup}, put by the deployment that runs the new version there`,
    EvaluationPeriods: definition.evaluationPeriods,
    DatapointsToAlarm: definition.datapointsToAlarm,
    Threshold: definition.threshold,
    ComparisonOperator: definition.comparison,
    TreatMissingData: definition.treatMissingData,
  };
  if (definition.metric === "ErrorRate") {
    const sum = (id: string, metricName: string): MetricDataQuery => ({
      Id: id,
      MetricStat: {
        Metric: { Namespace: namespace, MetricName: metricName, Dimensions: dimensions },
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
          Label: `5xx rate of the ${where.colour} target group`,
          ReturnData: true,
        },
      ],
    };
  }
  const percentile = /^p\d/.test(definition.statistic);
  return {
    ...common,
    Namespace: namespace,
    MetricName: definition.metric,
    Dimensions: dimensions,
    Period: definition.periodSeconds,
    ...(percentile
      ? { ExtendedStatistic: definition.statistic }
      : { Statistic: definition.statistic as NonNullable<PutMetricAlarmCommandInput["Statistic"]> }),
  };
}
