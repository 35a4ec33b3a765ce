import { periodDatapoints, statistic, type WindowMetrics } from "../../domain/alarm-datapoints.ts";
import { type AlarmDefinition, evaluateAlarm } from "../../domain/alarm-evaluation.ts";
import type { AlarmStateChange } from "../../domain/alarm-state-change.ts";
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
import type { LocalMetricStore } from "./local-metric-store.ts";

/** What the adapter reads of the local router (local/router.ts). */
export interface MetricsSource {
  metrics(colour: Colour, window: { start: number; end: number }): WindowMetrics;
}

export interface LocalHealthSignalsProps {
  readonly router: MetricsSource;
  /** The application's own (business) metrics, from the EMF records its processes write. */
  readonly metricStore: Pick<LocalMetricStore, "sum">;
  /** The `Variant` dimension of each arm's business metrics. @default the colour */
  readonly variantOf?: (colour: Colour) => string;
  /** Time runs this many times faster: periods shrink by this factor. @default 1 */
  readonly timeScale?: number;
  /** @default Date.now */
  readonly clock?: () => number;
  /** Called on every state change, as CloudWatch sends "Alarm State Change" events. */
  readonly onStateChange?: (change: AlarmStateChange) => void;
}

interface Known {
  value: AlarmStateValue;
  reason: string;
  timestamp: string;
}

/**
 * HealthSignals on this machine: alarm definitions evaluated with CloudWatch's semantics (periods, M out of N,
 * missing data) over the router's real per-request records of the new version's colour, per-arm metrics
 * straight from the router, and business metrics from the EMF records of the processes.
 */
export class LocalHealthSignals implements HealthSignals {
  readonly #props: LocalHealthSignalsProps;
  readonly #known = new Map<string, Known>();
  /** The alarms put so far, each over the colour it watches, as `PutMetricAlarm` leaves them on AWS. */
  readonly #alarms = new Map<string, { definition: AlarmDefinition; colour: Colour }>();

  constructor(props: LocalHealthSignalsProps) {
    this.#props = props;
  }

  async alarms(names: readonly string[]): Promise<{ found: AlarmStatus[]; missing: string[] }> {
    const found: AlarmStatus[] = [];
    const missing: string[] = [];
    for (const name of names) {
      const alarm = this.#alarms.get(name);
      if (alarm === undefined) missing.push(name);
      else found.push(this.#evaluate(alarm.definition, alarm.colour));
    }
    return { found, missing };
  }

  async putAlarms(definitions: readonly AlarmDefinition[], colour: Colour): Promise<void> {
    const now = new Date((this.#props.clock ?? Date.now)()).toISOString();
    for (const definition of definitions) {
      this.#alarms.set(definition.name, { definition, colour });
      // As SetAlarmState after PutMetricAlarm on AWS: no state is left from the colour watched before.
      this.#known.set(definition.name, {
        value: "INSUFFICIENT_DATA",
        reason: `Glidepath put the alarm over the ${colour} target group`,
        timestamp: now,
      });
    }
  }

  /** Evaluates every alarm now, so that state changes are seen as they happen and not only when asked. */
  tick(): void {
    for (const alarm of this.#alarms.values()) this.#evaluate(alarm.definition, alarm.colour);
  }

  async armMetrics(window: MetricsWindow): Promise<Record<Colour, ArmMetrics>> {
    const range = { start: window.start.getTime(), end: window.end.getTime() };
    const arm = (colour: Colour): ArmMetrics => {
      const metrics = this.#props.router.metrics(colour, range);
      const p95Ms = statistic(metrics.latenciesMs, "p95");
      const p99Ms = statistic(metrics.latenciesMs, "p99");
      return {
        requests: metrics.requests,
        errors: metrics.errors,
        ...(p95Ms === undefined ? {} : { p95Ms }),
        ...(p99Ms === undefined ? {} : { p99Ms }),
      };
    };
    return { blue: arm("blue"), green: arm("green") };
  }

  async businessMetrics(
    metrics: readonly BusinessMetricConfig[],
    window: MetricsWindow,
  ): Promise<Record<Colour, MetricCounts>[]> {
    const range = { start: window.start.getTime(), end: window.end.getTime() };
    return metrics.map((metric) => {
      const arm = (colour: Colour): MetricCounts => {
        const dimensions = {
          ...metric.dimensions,
          [VariantDimension]: this.#props.variantOf?.(colour) ?? colour,
        };
        const of = (name: string) =>
          this.#props.metricStore.sum({ namespace: metric.namespace, name, dimensions }, range);
        return { numerator: of(metric.numerator), denominator: of(metric.denominator) };
      };
      return { blue: arm("blue"), green: arm("green") };
    });
  }

  #evaluate(alarm: AlarmDefinition, colour: Colour): AlarmStatus {
    const now = (this.#props.clock ?? Date.now)();
    const scaled = { ...alarm, periodSeconds: alarm.periodSeconds / (this.#props.timeScale ?? 1) };
    const { datapoints, newestPeriodStart } = periodDatapoints(scaled, { end: now }, (window) =>
      this.#props.router.metrics(colour, window),
    );
    const previous = this.#known.get(alarm.name) ?? {
      value: "INSUFFICIENT_DATA" as const,
      reason: "Unchecked: Initial alarm creation",
      timestamp: new Date(now).toISOString(),
    };
    const result = evaluateAlarm({
      alarm: scaled,
      previousState: previous.value,
      datapoints,
      newestPeriodStart,
    });
    const current: Known =
      result.state === previous.value
        ? previous
        : { value: result.state, reason: result.reason, timestamp: new Date(now).toISOString() };
    this.#known.set(alarm.name, current);
    if (current !== previous) {
      this.#props.onStateChange?.({
        alarmName: alarm.name,
        state: { ...current },
        previousState: { ...previous },
      });
    }
    return {
      name: alarm.name,
      type: "metric",
      state: current.value,
      reason: current.reason,
      updatedAt: current.timestamp,
    };
  }
}

/**
 * The arms' metrics from the application's own per-variant records (`Requests`, `Errors`, `Latency` in
 * milliseconds, with the `Variant` dimension), for a feature flag whose arms share the same processes.
 */
export function variantMetricsSource(
  store: Pick<LocalMetricStore, "sum" | "values">,
  metrics: { readonly namespace: string; readonly dimensions: Readonly<Record<string, string>> },
  variantOf: (colour: Colour) => string,
): MetricsSource {
  return {
    metrics(colour, window) {
      const name = (metric: string) => ({
        namespace: metrics.namespace,
        name: metric,
        dimensions: { ...metrics.dimensions, [VariantDimension]: variantOf(colour) },
      });
      return {
        requests: store.sum(name("Requests"), window),
        errors: store.sum(name("Errors"), window),
        latenciesMs: store.values(name("Latency"), window),
      };
    },
  };
}
