import type { AlarmDefinition } from "../alarm-evaluation.ts";
import type { MetricCounts } from "../analysis/business-metric.ts";
import type { BusinessMetricConfig } from "../config/check-schema.ts";
import type { Colour } from "./traffic-router.ts";

export type AlarmStateValue = "OK" | "ALARM" | "INSUFFICIENT_DATA";

export interface AlarmStatus {
  readonly name: string;
  readonly type: "metric" | "composite";
  readonly state: AlarmStateValue;
  readonly reason: string;
  /** ISO-8601 time of the last state change. */
  readonly updatedAt: string;
}

/** Counts and latency of one arm over a window. Percentiles are undefined when there was no request. */
export interface ArmMetrics {
  readonly requests: number;
  readonly errors: number;
  readonly p95Ms?: number;
  readonly p99Ms?: number;
}

export interface MetricsWindow {
  readonly start: Date;
  readonly end: Date;
}

/**
 * What the deployment's guard rails see: alarm states, per-arm request and business metrics. The new
 * version's target health comes from its `DeployTarget` (`status`), which already reads it.
 */
export interface HealthSignals {
  /** Alarm states by name; an alarm that does not exist is reported as missing, never silently skipped. */
  alarms(
    names: readonly string[],
  ): Promise<{ readonly found: readonly AlarmStatus[]; readonly missing: readonly string[] }>;
  armMetrics(window: MetricsWindow): Promise<Readonly<Record<Colour, ArmMetrics>>>;
  /**
   * Each business metric's two counts per arm over the window, from the application's metrics whose `Variant`
   * dimension is the arm (the colour). In the order of `metrics`.
   */
  businessMetrics(
    metrics: readonly BusinessMetricConfig[],
    window: MetricsWindow,
  ): Promise<readonly Readonly<Record<Colour, MetricCounts>>[]>;
  /**
   * Creates or updates each defined alarm over the colour's metrics (the new version's target group), and
   * resets its state to INSUFFICIENT_DATA, so that a state left from the colour it watched before never
   * decides this deployment. Idempotent.
   */
  putAlarms(definitions: readonly AlarmDefinition[], colour: Colour): Promise<void>;
}
