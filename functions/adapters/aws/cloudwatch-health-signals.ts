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
import { variantOfColour } from "../../domain/flags.ts";
import type {
  AlarmStateValue,
  AlarmStatus,
  ArmMetrics,
  HealthSignals,
  MetricsWindow,
} from "../../domain/ports/health-signals.ts";
import type { Colour } from "../../domain/ports/traffic-router.ts";
import { targetGroupDimension } from "./arns.ts";
import { lambdaVersionDimensions, metricAlarmInput } from "./cloudwatch-alarm-input.ts";
import { failOutputs, retryable } from "./retry.ts";

/** The arms are the two colours' target groups behind an ALB. */
export interface TargetGroupArms {
  /**
   * The `LoadBalancer` dimension of the ALB, `app/<name>/<id>`; `loadBalancerDimension` derives it from the
   * listener or listener-rule ARN of the config.
   */
  readonly loadBalancer: string;
  /** Target group ARN per colour; their `TargetGroup` dimensions select each arm's metrics. */
  readonly targetGroups: Readonly<Record<Colour, string>>;
}

/**
 * The arms are a feature flag's variants (blue the control, green the treatment): their metrics are the
 * application's own `Requests`, `Errors` and `Latency` (milliseconds) with the `Variant` dimension.
 */
export interface VariantArms {
  readonly variants: { readonly namespace: string; readonly dimensions: Readonly<Record<string, string>> };
}

/**
 * The arms are two versions of a Lambda function behind its alias (blue the version it served before, green
 * the one published for the deployment): their metrics are AWS/Lambda's per executed version through the
 * alias (`FunctionName`, `Resource` = `function:alias`, `ExecutedVersion`).
 */
export interface LambdaVersionArms {
  readonly lambda: {
    readonly functionName: string;
    readonly alias: string;
    /** The version number of each arm, looked up when the metrics are read. */
    readonly versions: () => Promise<Readonly<Record<Colour, string>>>;
  };
}

export type CloudWatchHealthSignalsProps = {
  /** Created once at module scope with `awsClientConfig`. */
  readonly client: CloudWatchClient;
} & (TargetGroupArms | VariantArms | LambdaVersionArms);

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

/** AWS/Lambda's metric of each query: an invocation is a request, an error a 5xx; Duration is in ms. */
const lambdaQueries: Readonly<Record<ArmQuery, string>> = {
  requests: "Invocations",
  errors: "Errors",
  p95: "Duration",
  p99: "Duration",
};

/** The application's per-variant metric of each query (see the README's "Feature flags"). */
const variantQueries: Readonly<Record<ArmQuery, string>> = {
  requests: "Requests",
  errors: "Errors",
  p95: "Latency",
  p99: "Latency",
};

type ArmSource =
  | {
      readonly kind: "target-groups";
      readonly loadBalancer: string;
      readonly targetGroups: Readonly<Record<Colour, string>>;
    }
  | {
      readonly kind: "variants";
      readonly namespace: string;
      readonly dimensions: Readonly<Record<string, string>>;
    }
  | ({ readonly kind: "lambda" } & LambdaVersionArms["lambda"]);

/** CloudWatch query ids start with a lowercase letter and hold only letters, digits and '_'. */
const queryId = (colour: Colour, query: ArmQuery | "throttles") => `${colour}_${query}`;

/**
 * Alarm states from DescribeAlarms (metric and composite alarms) and each arm's request count, target 5xx count
 * and latency percentiles from the ALB's per-target-group metrics (namespace AWS/ApplicationELB).
 *
 * Reading composite alarms needs `cloudwatch:DescribeAlarms` on `*`: with a narrower scope CloudWatch leaves
 * them out, and they would be reported missing.
 */
export class CloudWatchHealthSignals implements HealthSignals {
  readonly #client: CloudWatchClient;
  readonly #arms: ArmSource;

  constructor(props: CloudWatchHealthSignalsProps) {
    this.#client = props.client;
    this.#arms =
      "lambda" in props
        ? { kind: "lambda", ...props.lambda }
        : "variants" in props
          ? { kind: "variants", ...props.variants }
          : {
              kind: "target-groups",
              loadBalancer: props.loadBalancer,
              targetGroups: {
                blue: targetGroupDimension(props.targetGroups.blue),
                green: targetGroupDimension(props.targetGroups.green),
              },
            };
  }

  /**
   * Puts each definition over the colour's arm. A Lambda arm is a version, so its alarms can be put only once
   * the version is published (the deploy step puts them at the stable check).
   */
  async putAlarms(definitions: readonly AlarmDefinition[], colour: Colour): Promise<void> {
    const arms = this.#arms;
    const where =
      arms.kind === "lambda"
        ? { functionName: arms.functionName, alias: arms.alias, version: (await arms.versions())[colour] }
        : arms.kind === "variants"
          ? { namespace: arms.namespace, dimensions: arms.dimensions, variant: variantOfColour[colour] }
          : { loadBalancer: arms.loadBalancer, targetGroup: arms.targetGroups[colour], colour };
    const over =
      "version" in where
        ? `version ${where.version}`
        : "variant" in where
          ? `the ${where.variant} variant`
          : `the ${colour} target group`;
    for (const definition of definitions) {
      await this.#client.send(new PutMetricAlarmCommand(metricAlarmInput(definition, where)));
      // PutMetricAlarm keeps the state the alarm had over the other arm until its next evaluation.
      await this.#client.send(
        new SetAlarmStateCommand({
          AlarmName: definition.name,
          StateValue: "INSUFFICIENT_DATA",
          StateReason: `Glidepath put the alarm over ${over}`,
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

  /**
   * Each arm's request count, 5xx count and p95/p99 latency: from the ALB's per-target-group metrics, or the
   * application's per-variant ones.
   */
  async armMetrics(window: MetricsWindow): Promise<Readonly<Record<Colour, ArmMetrics>>> {
    const arms = this.#arms;
    const versions = arms.kind === "lambda" ? await arms.versions() : undefined;
    const values = await this.#metricData((period) => this.#queries(period, versions), window);
    // TargetResponseTime is in seconds; the application's Latency and Lambda's Duration in milliseconds.
    const toMs = this.#arms.kind === "target-groups" ? secondsToMs : (ms: number) => ms;
    const arm = (colour: Colour): ArmMetrics => {
      const of = (query: ArmQuery) => values.get(queryId(colour, query)) ?? [];
      const p95 = of("p95");
      const p99 = of("p99");
      // A throttled invocation is a failed request to its caller (429), which Invocations does not count.
      const throttles = sum(values.get(queryId(colour, "throttles")) ?? []);
      return {
        requests: sum(of("requests")) + throttles,
        errors: sum(of("errors")) + throttles,
        ...(p95.length === 0 ? {} : { p95Ms: toMs(Math.max(...p95)) }),
        ...(p99.length === 0 ? {} : { p99Ms: toMs(Math.max(...p99)) }),
      };
    };
    return { blue: arm("blue"), green: arm("green") };
  }

  /**
   * The Sum of each metric's numerator and denominator per arm, from the application's own metrics: the
   * metric's namespace and dimensions plus `Variant` = the arm (its colour, or its flag variant), over the whole window as one period
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
                      { Name: VariantDimension, Value: this.#variantOf(colour) },
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

  /** The `Variant` dimension of an arm: the flag variant, or for target groups the colour itself. */
  #variantOf(colour: Colour): string {
    return this.#arms.kind === "variants" ? variantOfColour[colour] : colour;
  }

  #queries(period: number, versions: Readonly<Record<Colour, string>> | undefined): MetricDataQuery[] {
    const arms = this.#arms;
    const throttles =
      arms.kind === "lambda"
        ? colours.map(
            (colour): MetricDataQuery => ({
              Id: queryId(colour, "throttles"),
              MetricStat: {
                Metric: {
                  Namespace: "AWS/Lambda",
                  MetricName: "Throttles",
                  Dimensions: lambdaVersionDimensions({ ...arms, version: versions?.[colour] ?? "" }),
                },
                Period: period,
                Stat: "Sum",
              },
            }),
          )
        : [];
    const queries = colours.flatMap((colour) =>
      (Object.keys(armQueries) as ArmQuery[]).map(
        (query): MetricDataQuery => ({
          Id: queryId(colour, query),
          MetricStat: {
            Metric:
              arms.kind === "lambda"
                ? {
                    Namespace: "AWS/Lambda",
                    MetricName: lambdaQueries[query],
                    Dimensions: lambdaVersionDimensions({ ...arms, version: versions?.[colour] ?? "" }),
                  }
                : arms.kind === "variants"
                  ? {
                      Namespace: arms.namespace,
                      MetricName: variantQueries[query],
                      Dimensions: [
                        ...Object.entries(arms.dimensions).map(([Name, Value]) => ({ Name, Value })),
                        { Name: VariantDimension, Value: this.#variantOf(colour) },
                      ],
                    }
                  : {
                      Namespace: "AWS/ApplicationELB",
                      MetricName: armQueries[query].metric,
                      Dimensions: [
                        { Name: "LoadBalancer", Value: arms.loadBalancer },
                        { Name: "TargetGroup", Value: arms.targetGroups[colour] },
                      ],
                    },
            Period: period,
            Stat: armQueries[query].stat,
          },
        }),
      ),
    );
    return [...queries, ...throttles];
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
