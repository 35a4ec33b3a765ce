import { z } from "zod";

/**
 * One CloudWatch embedded-metric-format record, as an application writes it to its log: the `_aws` metadata
 * names the metrics and their dimension sets; the values and dimension values are the record's own keys.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
const EmfRecordSchema = z.looseObject({
  _aws: z.object({
    Timestamp: z.number().int().min(0),
    CloudWatchMetrics: z.array(
      z.object({
        Namespace: z.string().min(1),
        Dimensions: z.array(z.array(z.string().min(1))),
        Metrics: z.array(z.object({ Name: z.string().min(1), Unit: z.string().optional() })),
      }),
    ),
  }),
});

/** A metric as CloudWatch names it: namespace, name and its exact dimension set. */
export interface MetricName {
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Readonly<Record<string, string>>;
}

interface Datapoint {
  readonly namespace: string;
  readonly name: string;
  /** `Name=Value` pairs sorted by name: a metric is its exact dimension set, as in CloudWatch. */
  readonly dimensions: string;
  readonly timestamp: number;
  readonly value: number;
}

const dimensionKey = (dimensions: Readonly<Record<string, string>>) =>
  Object.entries(dimensions)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => `${name}=${value}`)
    .join(",");

/**
 * The local stand-in for CloudWatch's custom metrics: it takes the EMF records the sample service writes to
 * stdout (as the CloudWatch agent or Lambda would read them from the log) and answers the Sum of a metric with
 * an exact dimension set over a window.
 */
export class LocalMetricStore {
  readonly #datapoints: Datapoint[] = [];

  /** Stores the record's datapoints; false when the line is not an EMF record (ignored, as CloudWatch does). */
  put(record: unknown): boolean {
    const parsed = EmfRecordSchema.safeParse(record);
    if (!parsed.success) return false;
    const { _aws: metadata, ...fields } = parsed.data;
    for (const directive of metadata.CloudWatchMetrics) {
      for (const set of directive.Dimensions) {
        const dimensions: Record<string, string> = {};
        for (const name of set) {
          const value = fields[name];
          if (typeof value === "string") dimensions[name] = value;
        }
        if (Object.keys(dimensions).length !== set.length) continue;
        for (const metric of directive.Metrics) {
          // A value, or an array of values (EMF's way of sending many samples in one record).
          const field = fields[metric.Name];
          for (const value of Array.isArray(field) ? field : [field]) {
            if (typeof value !== "number" || !Number.isFinite(value)) continue;
            this.#datapoints.push({
              namespace: directive.Namespace,
              name: metric.Name,
              dimensions: dimensionKey(dimensions),
              timestamp: metadata.Timestamp,
              value,
            });
          }
        }
      }
    }
    return true;
  }

  /** The Sum of the metric's values stamped in [start, end), 0 when there are none. */
  sum(metric: MetricName, window: { readonly start: number; readonly end: number }): number {
    return this.values(metric, window).reduce((total, value) => total + value, 0);
  }

  /** Every value of the metric stamped in [start, end), for percentiles. */
  values(metric: MetricName, window: { readonly start: number; readonly end: number }): number[] {
    const dimensions = dimensionKey(metric.dimensions);
    const values: number[] = [];
    for (const point of this.#datapoints) {
      if (
        point.namespace === metric.namespace &&
        point.name === metric.name &&
        point.dimensions === dimensions &&
        point.timestamp >= window.start &&
        point.timestamp < window.end
      ) {
        values.push(point.value);
      }
    }
    return values;
  }
}
