import {
  type CloudWatchClient,
  type CompositeAlarm,
  DescribeAlarmsCommand,
  type DescribeAlarmsCommandInput,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
  type GetMetricDataCommandOutput,
  type MetricAlarm,
  type MetricDataQuery,
  PutMetricAlarmCommand,
  SetAlarmStateCommand,
} from "@aws-sdk/client-cloudwatch";
import type { AlarmDefinition } from "../../domain/alarm-evaluation.ts";
import type { MetricCounts } from "../../domain/analysis/business-metric.ts";
import { type BusinessMetricConfig, VariantDimension } from "../../domain/config/check-schema.ts";
import type {
  AlarmStateValue,
  AlarmStatus,
  ArmMetrics,
  HealthSignals,
  MetricsWindow,
} from "../../domain/ports/health-signals.ts";
import type { Colour } from "../../domain/ports/traffic-router.ts";
import { targetGroupDimension } from "./arns.ts";
import { metricAlarmInput } from "./cloudwatch-alarm-input.ts";
import { failOutputs, retryable } from "./retry.ts";

export interface CloudWatchHealthSignalsProps {
  /** Created once at module scope with `awsClientConfig`. */
  readonly client: CloudWatchClient;
  /**
   * The `LoadBalancer` dimension of the ALB, `app/<name>/<id>`; `loadBalancerDimension` derives it from the
   * listener or listener-rule ARN of the config.
   */
  readonly loadBalancer: string;
  /** Target group ARN per colour; their `TargetGroup` dimensions select each arm's metrics. */
  readonly targetGroups: Readonly<Record<Colour, string>>;
}

/** DescribeAlarms takes at most 100 names, and returns at most 100 alarms a page. */
const alarmNamesPerCall = 100;

const colours = ["blue", "green"] as const satisfies readonly Colour[];

const armQueries = {
  requests: { metric: "RequestCount", stat: "Sum" },
  errors: { metric: "HTTPCode_Target_5XX_Count", stat: "Sum" },
  p95: { metric: "TargetResponseTime", stat: "p95" },
  p99: { metric: "TargetResponseTime", stat: "p99" },
} as const;

type ArmQuery = keyof typeof armQueries;

/** CloudWatch query ids start with a lowercase letter and hold only letters, digits and '_'. */
const queryId = (colour: Colour, query: ArmQuery) => `${colour}_${query}`;

/**
 * Alarm states from DescribeAlarms (metric and composite alarms) and each arm's request count, target 5xx count
 * and latency percentiles from the ALB's per-target-group metrics (namespace AWS/ApplicationELB).
 *
 * Reading composite alarms needs `cloudwatch:DescribeAlarms` on `*`: with a narrower scope CloudWatch leaves
 * them out, and they would be reported missing.
 */
export class CloudWatchHealthSignals implements HealthSignals {
  readonly #client: CloudWatchClient;
  readonly #loadBalancer: string;
  readonly #targetGroups: Readonly<Record<Colour, string>>;

  constructor(props: CloudWatchHealthSignalsProps) {
    this.#client = props.client;
    this.#loadBalancer = props.loadBalancer;
    this.#targetGroups = {
      blue: targetGroupDimension(props.targetGroups.blue),
      green: targetGroupDimension(props.targetGroups.green),
    };
  }

  async putAlarms(definitions: readonly AlarmDefinition[], colour: Colour): Promise<void> {
    const where = { loadBalancer: this.#loadBalancer, targetGroup: this.#targetGroups[colour], colour };
    for (const definition of definitions) {
      await this.#client.send(new PutMetricAlarmCommand(metricAlarmInput(definition, where)));
      // PutMetricAlarm keeps the state the alarm had over the other colour until its next evaluation.
      await this.#client.send(
        new SetAlarmStateCommand({
          AlarmName: definition.name,
          StateValue: "INSUFFICIENT_DATA",
          StateReason: `Glidepath put the alarm over the ${colour} target group`,
        }),
      );
    }
  }

  async alarms(
    names: readonly string[],
  ): Promise<{ readonly found: readonly AlarmStatus[]; readonly missing: readonly string[] }> {
    const unique = [...new Set(names)];
    const found: AlarmStatus[] = [];
    for (let offset = 0; offset < unique.length; offset += alarmNamesPerCall) {
      const chunk = unique.slice(offset, offset + alarmNamesPerCall);
      let nextToken: string | undefined;
      do {
        const input: DescribeAlarmsCommandInput = {
          AlarmNames: chunk,
          AlarmTypes: ["MetricAlarm", "CompositeAlarm"],
          MaxRecords: alarmNamesPerCall,
          ...(nextToken === undefined ? {} : { NextToken: nextToken }),
        };
        const output = await this.#client.send(new DescribeAlarmsCommand(input));
        for (const alarm of output.MetricAlarms ?? []) found.push(toStatus(alarm, "metric"));
        for (const alarm of output.CompositeAlarms ?? []) found.push(toStatus(alarm, "composite"));
        nextToken = output.NextToken;
      } while (nextToken !== undefined);
    }
    const foundNames = new Set(found.map((alarm) => alarm.name));
    return { found, missing: unique.filter((name) => !foundNames.has(name)) };
  }

  /** Each arm's request count, target 5xx count and p95/p99 latency from the ALB's per-target-group metrics. */
  async armMetrics(window: MetricsWindow): Promise<Readonly<Record<Colour, ArmMetrics>>> {
    const values = await this.#metricData((period) => this.#queries(period), window);
    const arm = (colour: Colour): ArmMetrics => {
      const of = (query: ArmQuery) => values.get(queryId(colour, query)) ?? [];
      const p95 = of("p95");
      const p99 = of("p99");
      return {
        requests: sum(of("requests")),
        errors: sum(of("errors")),
        ...(p95.length === 0 ? {} : { p95Ms: secondsToMs(Math.max(...p95)) }),
        ...(p99.length === 0 ? {} : { p99Ms: secondsToMs(Math.max(...p99)) }),
      };
    };
    return { blue: arm("blue"), green: arm("green") };
  }

  /**
   * The Sum of each metric's numerator and denominator per arm, from the application's own metrics: the
   * metric's namespace and dimensions plus `Variant` = the arm's colour, over the whole window as one period
   * (as `armMetrics`).
   */
  async businessMetrics(
    metrics: readonly BusinessMetricConfig[],
    window: MetricsWindow,
  ): Promise<readonly Readonly<Record<Colour, MetricCounts>>[]> {
    if (metrics.length === 0) return [];
    const id = (index: number, colour: Colour, part: "numerator" | "denominator") =>
      `m${index}_${colour}_${part}`;
    const values = await this.#metricData(
      (period) =>
        metrics.flatMap((metric, index) =>
          colours.flatMap((colour) =>
            (["numerator", "denominator"] as const).map(
              (part): MetricDataQuery => ({
                Id: id(index, colour, part),
                MetricStat: {
                  Metric: {
                    Namespace: metric.namespace,
                    MetricName: metric[part],
                    Dimensions: [
                      ...Object.entries(metric.dimensions).map(([Name, Value]) => ({ Name, Value })),
                      { Name: VariantDimension, Value: colour },
                    ],
                  },
                  Period: period,
                  Stat: "Sum",
                },
              }),
            ),
          ),
        ),
      window,
    );
    return metrics.map((_, index) => {
      const arm = (colour: Colour): MetricCounts => ({
        numerator: sum(values.get(id(index, colour, "numerator")) ?? []),
        denominator: sum(values.get(id(index, colour, "denominator")) ?? []),
      });
      return { blue: arm("blue"), green: arm("green") };
    });
  }

  /**
   * GetMetricData over the window, every page, with one period spanning the whole window, so counts and
   * percentiles are CloudWatch's own aggregates. When the window's start is not on a period boundary
   * CloudWatch may still return two periods: callers sum counts and keep the worse (higher) percentile, the
   * cautious reading for a guard rail. Returns each query's values by query id.
   */
  async #metricData(
    queriesFor: (period: number) => MetricDataQuery[],
    window: MetricsWindow,
  ): Promise<Map<string, number[]>> {
    const seconds = (window.end.getTime() - window.start.getTime()) / 1000;
    if (!(seconds > 0)) {
      throw new RangeError(
        `A metrics window must end after it starts; got ${window.start.toISOString()} to ${window.end.toISOString()}.`,
      );
    }
    const queries = queriesFor(Math.max(60, Math.ceil(seconds / 60) * 60));
    const values = new Map<string, number[]>(queries.map((query) => [query.Id ?? "", []]));
    let nextToken: string | undefined;
    do {
      const input: GetMetricDataCommandInput = {
        MetricDataQueries: queries,
        StartTime: window.start,
        EndTime: window.end,
        ScanBy: "TimestampAscending",
        ...(nextToken === undefined ? {} : { NextToken: nextToken }),
      };
      const command = new GetMetricDataCommand(input);
      command.middlewareStack.use(
        failOutputs<GetMetricDataCommandInput, GetMetricDataCommandOutput>(incompleteResult),
      );
      const output = await this.#client.send(command);
      for (const result of output.MetricDataResults ?? []) {
        values.get(result.Id ?? "")?.push(...(result.Values ?? []));
      }
      nextToken = output.NextToken;
    } while (nextToken !== undefined);
    return values;
  }

  #queries(period: number): MetricDataQuery[] {
    return colours.flatMap((colour) =>
      (Object.keys(armQueries) as ArmQuery[]).map((query) => ({
        Id: queryId(colour, query),
        MetricStat: {
          Metric: {
            Namespace: "AWS/ApplicationELB",
            MetricName: armQueries[query].metric,
            Dimensions: [
              { Name: "LoadBalancer", Value: this.#loadBalancer },
              { Name: "TargetGroup", Value: this.#targetGroups[colour] },
            ],
          },
          Period: period,
          Stat: armQueries[query].stat,
        },
      })),
    );
  }
}

/**
 * A result CloudWatch could not compute is not "no traffic": an internal error fails the call as a retryable
 * error, which the SDK's retry strategy retries; anything else (Forbidden) fails it at once.
 */
function incompleteResult(output: GetMetricDataCommandOutput): Error | undefined {
  for (const result of output.MetricDataResults ?? []) {
    if (result.StatusCode !== "InternalError" && result.StatusCode !== "Forbidden") continue;
    const messages = (result.Messages ?? []).map((message) => `${message.Code}: ${message.Value}`).join("; ");
    const error = new Error(
      `CloudWatch returned ${result.StatusCode} for metric query ${result.Id}${messages ? ` (${messages})` : ""}.`,
    );
    error.name = result.StatusCode;
    return result.StatusCode === "InternalError" ? retryable(error, false) : error;
  }
  return undefined;
}

function toStatus(alarm: MetricAlarm | CompositeAlarm, type: AlarmStatus["type"]): AlarmStatus {
  // StateUpdatedTimestamp also moves when the state is re-confirmed; StateTransitionedTimestamp is the change.
  const changedAt = alarm.StateTransitionedTimestamp ?? alarm.StateUpdatedTimestamp;
  return {
    name: alarm.AlarmName ?? "",
    type,
    state: (alarm.StateValue ?? "INSUFFICIENT_DATA") satisfies AlarmStateValue,
    reason: alarm.StateReason ?? "",
    updatedAt: changedAt?.toISOString() ?? "",
  };
}

const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);

/** TargetResponseTime is in seconds; keep microsecond precision without binary noise (0.2345 s → 234.5 ms). */
const secondsToMs = (seconds: number) => Math.round(seconds * 1_000_000) / 1000;
