import type { AlarmDefinition } from "./alarm-evaluation.ts";

/**
 * One CloudWatch statistic over the raw samples of a period; undefined when there is no sample, as
 * CloudWatch has no datapoint then. Percentiles (`p95`, `p99.9`) use the nearest-rank definition: the
 * smallest sample such that at least p% of the samples are at or below it, so a percentile is always a
 * sample that was seen (`p0` is the minimum, `p100` the maximum). CloudWatch does not publish its exact
 * interpolation; nearest rank agrees with it on large samples and never invents a value on small ones.
 */
export function statistic(values: readonly number[], name: string): number | undefined {
  const percentile = percentileOf(name);
  if (values.length === 0) return undefined;
  if (percentile !== undefined) {
    const sorted = values.toSorted((a, b) => a - b);
    const rank = Math.ceil((percentile / 100) * sorted.length);
    return sorted[Math.max(rank, 1) - 1];
  }
  switch (name) {
    case "Sum":
      return sum(values);
    case "Average":
      return sum(values) / values.length;
    case "Minimum":
      return values.reduce((a, b) => Math.min(a, b));
    case "Maximum":
      return values.reduce((a, b) => Math.max(a, b));
    default:
      return values.length;
  }
}

/** The percentile of `pNN`, undefined for the named statistics; throws on anything else. */
function percentileOf(name: string): number | undefined {
  const percentile = /^p(\d{1,2}(?:\.\d+)?|100)$/.exec(name)?.[1];
  if (percentile !== undefined) return Number(percentile);
  if (["Average", "Sum", "Minimum", "Maximum", "SampleCount"].includes(name)) return undefined;
  throw new RangeError(`unknown statistic '${name}': use Average, Sum, Minimum, Maximum, SampleCount or pNN`);
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

/** What the router saw on one arm during one period. */
export interface WindowMetrics {
  readonly requests: number;
  readonly errors: number;
  readonly latenciesMs: readonly number[];
}

/** A period as epoch milliseconds, start included and end excluded. */
export interface PeriodWindow {
  readonly start: number;
  readonly end: number;
}

/**
 * The alarm's datapoint for one period, with the ALB's reporting rules: a metric with nothing to report has
 * no datapoint. `RequestCount` and `HTTPCode_Target_5XX_Count` are one sample of 1 per request or per 5xx
 * response, so Sum counts them, Minimum/Maximum/Average are 1, and a period without any is missing (the
 * ALB reports them only when nonzero). `TargetResponseTime` is the statistic over latencies in seconds.
 * `ErrorRate` (errors / requests, the math expression a rollback alarm uses) is one value per period that
 * every statistic returns unchanged, missing when there was no request.
 */
export function datapoint(
  alarm: Pick<AlarmDefinition, "metric" | "statistic">,
  metrics: WindowMetrics,
): number | undefined {
  switch (alarm.metric) {
    case "ErrorRate":
      return metrics.requests === 0 ? undefined : metrics.errors / metrics.requests;
    case "RequestCount":
      return countStatistic(metrics.requests, alarm.statistic);
    case "HTTPCode_Target_5XX_Count":
      return countStatistic(metrics.errors, alarm.statistic);
    case "TargetResponseTime":
      return statistic(
        metrics.latenciesMs.map((ms) => ms / 1000),
        alarm.statistic,
      );
  }
}

/** The statistic over `count` samples of 1, without building them. */
function countStatistic(count: number, name: string): number | undefined {
  percentileOf(name);
  if (count === 0) return undefined;
  return name === "Sum" || name === "SampleCount" ? count : 1;
}

/**
 * The last `count` complete periods at `end`, oldest first, aligned to multiples of the period since the
 * epoch as CloudWatch aligns them: the period in progress at `end` is not part of the range.
 */
export function periodWindows(periodSeconds: number, end: number, count: number): PeriodWindow[] {
  const periodMs = periodSeconds * 1000;
  const newestEnd = Math.floor(end / periodMs) * periodMs;
  return Array.from({ length: count }, (_, index) => {
    const windowEnd = newestEnd - (count - 1 - index) * periodMs;
    return { start: windowEnd - periodMs, end: windowEnd };
  });
}

/**
 * The alarm's datapoints over its evaluation range at `end`, ready for `evaluateAlarm`; `metricsOf` reads one
 * period's metrics, such as the local router's `metrics(colour, window)`.
 */
export function periodDatapoints(
  alarm: Pick<AlarmDefinition, "metric" | "statistic" | "periodSeconds" | "evaluationPeriods">,
  range: { readonly end: number /** @default alarm.evaluationPeriods */; readonly periods?: number },
  metricsOf: (window: PeriodWindow) => WindowMetrics,
): { datapoints: (number | undefined)[]; newestPeriodStart: number } {
  const windows = periodWindows(alarm.periodSeconds, range.end, range.periods ?? alarm.evaluationPeriods);
  const newest = windows.at(-1);
  return {
    datapoints: windows.map((window) => datapoint(alarm, metricsOf(window))),
    newestPeriodStart: newest === undefined ? range.end : newest.start,
  };
}
