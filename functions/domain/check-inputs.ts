import type { BusinessMetricTest } from "./analysis/business-metric.ts";
import type { Analysis } from "./analysis/index.ts";
import type { CheckInput } from "./checks.ts";
import type { EvaluationInput } from "./evaluate.ts";
import { type EvaluationValues, number, percent, round } from "./evaluation-values.ts";

/** Each check of one evaluation, with its `onFail`, `forSeconds`, whether it fails now and why. */
export function checkInputs(
  input: EvaluationInput,
  values: EvaluationValues,
  analysis: Analysis,
  businessMetrics: readonly (BusinessMetricTest & { readonly name: string; readonly maxDrop: number })[],
  unhealthyShare: number | null,
): CheckInput[] {
  const settings = input.analysis;
  const fresh = values.new;
  const old = values.old;
  const { comparison, limit, latency } = analysis;
  const pausing = new Set(input.pauseAlarms ?? []);
  const alarmReasons = (pause: boolean) => {
    const mine = (name: string) => pausing.has(name) === pause;
    const firing = input.alarms.found.filter((alarm) => alarm.state === "ALARM" && mine(alarm.name));
    const missing = input.alarms.missing.filter(mine);
    return [
      ...(firing.length > 0
        ? [`alarm in ALARM: ${firing.map((alarm) => `${alarm.name} (${alarm.reason})`).join("; ")}`]
        : []),
      ...(missing.length > 0
        ? [`alarm not found: ${missing.join(", ")}; a guard rail that does not exist cannot pass`]
        : []),
    ];
  };
  const rollbackAlarms = alarmReasons(false);
  const pauseAlarms = alarmReasons(true);
  const errors =
    limit.verdict === "fail"
      ? `new version's 5xx rate ${percent(fresh.errorRate)} is above the ${percent(limit.limit)} limit (${limit.errors} of ${limit.requests}; e-value ${number(limit.eValue)} ≥ ${number(limit.bound)})`
      : comparison.verdict === "fail"
        ? `new version's 5xx rate ${percent(fresh.errorRate)} is worse than the old version's ${percent(old.errorRate)}: ${fresh.errors} of the ${comparison.errors} errors on ${percent(comparison.share)} of the requests (e-value ${number(comparison.fail.eValue)} ≥ ${number(comparison.fail.bound)})`
        : "";
  const checks: CheckInput[] = [
    {
      check: "alarms",
      onFail: "rollback",
      forSeconds: 0,
      failing: rollbackAlarms.length > 0,
      reason: rollbackAlarms.join("; "),
    },
    ...(pausing.size === 0
      ? []
      : [
          {
            check: "alarms:pause" as const,
            onFail: "pause" as const,
            forSeconds: 0,
            failing: pauseAlarms.length > 0,
            reason: pauseAlarms.join("; "),
          },
        ]),
    {
      check: "errors",
      onFail: settings.errors.onFail,
      forSeconds: 0,
      failing: errors !== "",
      reason: errors,
    },
    {
      check: "latency",
      onFail: settings.latency.onFail,
      forSeconds: settings.latency.forSeconds,
      failing: latency.verdict === "fail",
      reason:
        latency.verdict === "fail"
          ? `new version's p95 latency ${round(latency.newP95Ms ?? 0)} ms is ${round(latency.ratio ?? 0)}x the old version's ${round(latency.oldP95Ms ?? 0)} ms (limit ${latency.limit}x)`
          : "",
    },
  ];
  const health = input.targetHealth;
  if (health !== undefined) {
    const failing = unhealthyShare !== null && unhealthyShare > health.settings.maxUnhealthyShare;
    checks.push({
      check: "target-health",
      onFail: health.settings.onFail,
      forSeconds: health.settings.forSeconds,
      failing,
      reason: failing
        ? `${health.counts.unhealthy} of the new version's ${health.counts.healthy + health.counts.unhealthy} targets are unhealthy (${percent(unhealthyShare)}, limit ${percent(health.settings.maxUnhealthyShare)})`
        : "",
    });
  }
  for (const [index, test] of businessMetrics.entries()) {
    const metric = input.businessMetrics?.[index]?.metric;
    if (metric === undefined) continue;
    checks.push({
      check: `metric:${test.name}`,
      onFail: metric.onFail,
      forSeconds: 0,
      failing: test.verdict === "fail",
      reason:
        test.verdict === "fail"
          ? `${test.name} of the new version ${percent(test.new.rate)} is ${percent(-(test.lift ?? 0))} below the old version's ${percent(test.old.rate)} (${test.new.numerator} of ${test.new.denominator} against ${test.old.numerator} of ${test.old.denominator}; e-value ${number(test.fail.eValue)} ≥ ${number(test.fail.bound)} for a drop of ${percent(test.maxDrop)} or more)`
          : "",
    });
  }
  return checks;
}
