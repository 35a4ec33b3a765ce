import type { EnvironmentConfig } from "./config/index.ts";
import type { AlarmStatus, ArmMetrics } from "./ports/health-signals.ts";

export type AnalysisSettings = EnvironmentConfig["analysis"];

/** What the state machine does after an evaluation. */
export const Verdict = {
  /** Healthy: keep baking, or move on when the bake is over. */
  Continue: "continue",
  /** Not enough traffic to judge: keep baking past the planned bake. */
  Extend: "extend",
  Rollback: "rollback",
} as const;
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

export interface BakeProgress {
  /** Seconds baked at this weight so far, counted from the waits the state machine made. */
  readonly elapsedSeconds: number;
  readonly bakeSeconds: number;
}

export interface EvaluationInput {
  readonly alarms: { readonly found: readonly AlarmStatus[]; readonly missing: readonly string[] };
  readonly metrics: { readonly old: ArmMetrics; readonly new: ArmMetrics };
  readonly analysis: AnalysisSettings;
  readonly bake: BakeProgress;
}

export interface Evaluation {
  readonly verdict: Verdict;
  /** One sentence an operator can act on: why this verdict. */
  readonly reason: string;
  /** Every value the verdict used, for the decision log. */
  readonly values: EvaluationValues;
  /** The bake after this evaluation: done when the planned bake is over and nothing is wrong. */
  readonly bake: {
    readonly elapsedSeconds: number;
    readonly waitSeconds: number;
    readonly complete: boolean;
  };
}

export interface EvaluationValues {
  readonly alarms: readonly { name: string; state: string; reason: string }[];
  readonly missingAlarms: readonly string[];
  readonly old: ArmValues;
  readonly new: ArmValues;
  readonly thresholds: {
    readonly minRequests: number;
    readonly maxErrorRate: number;
    readonly maxErrorRateRatio: number;
    readonly maxLatencyRatio: number;
    readonly missingData: AnalysisSettings["missingData"];
  };
  readonly bake: BakeProgress;
}

interface ArmValues extends ArmMetrics {
  readonly errorRate: number | null;
}

/** Errors the new arm must have served before a ratio to the old arm counts: two errors are no trend. */
const minErrorsForRatio = 5;

/** An inconclusive bake is extended up to this many times its planned length, then rolled back. */
const maxBakeExtension = 2;

/**
 * Judges one bake interval. Alarms win over metrics; metrics need `minRequests` on the new arm to count, and
 * relative checks also need them on the old arm. Pure: the same input gives the same verdict.
 */
export function evaluate(input: EvaluationInput): Evaluation {
  const { analysis, bake } = input;
  const values: EvaluationValues = {
    alarms: input.alarms.found.map(({ name, state, reason }) => ({ name, state, reason })),
    missingAlarms: input.alarms.missing,
    old: withRate(input.metrics.old),
    new: withRate(input.metrics.new),
    thresholds: {
      minRequests: analysis.minRequests,
      maxErrorRate: analysis.maxErrorRate,
      maxErrorRateRatio: analysis.maxErrorRateRatio,
      maxLatencyRatio: analysis.maxLatencyRatio,
      missingData: analysis.missingData,
    },
    bake,
  };
  const judged = judge(input, values);
  const bakeOver = bake.elapsedSeconds >= bake.bakeSeconds;
  let verdict = judged.verdict;
  let reason = judged.reason;
  if (verdict === Verdict.Extend && bakeOver) {
    if (bake.bakeSeconds === 0 || analysis.missingData === "notBreaching") {
      verdict = Verdict.Continue;
      reason = `${reason}; treated as healthy (${bake.bakeSeconds === 0 ? "no bake planned" : "missingData is notBreaching"})`;
    } else if (
      analysis.missingData === "breaching" ||
      bake.elapsedSeconds >= maxBakeExtension * bake.bakeSeconds
    ) {
      verdict = Verdict.Rollback;
      reason =
        analysis.missingData === "breaching"
          ? `${reason}; missingData is breaching`
          : `${reason} after ${bake.elapsedSeconds}s, ${maxBakeExtension}x the planned bake: cannot judge the release`;
    }
  }
  const complete = verdict === Verdict.Continue && bakeOver;
  const remaining = Math.max(bake.bakeSeconds - bake.elapsedSeconds, 0);
  const waitSeconds = Math.max(
    1,
    Math.min(analysis.intervalSeconds, remaining === 0 ? analysis.intervalSeconds : remaining),
  );
  return { verdict, reason, values, bake: { elapsedSeconds: bake.elapsedSeconds, waitSeconds, complete } };
}

function judge(input: EvaluationInput, values: EvaluationValues): { verdict: Verdict; reason: string } {
  const firing = input.alarms.found.filter((alarm) => alarm.state === "ALARM");
  if (firing.length > 0) {
    const names = firing.map((alarm) => `${alarm.name} (${alarm.reason})`).join("; ");
    return { verdict: Verdict.Rollback, reason: `alarm in ALARM: ${names}` };
  }
  if (input.alarms.missing.length > 0) {
    return {
      verdict: Verdict.Rollback,
      reason: `alarm not found: ${input.alarms.missing.join(", ")}; a guard rail that does not exist cannot pass`,
    };
  }
  const { analysis } = input;
  const fresh = values.new;
  const old = values.old;
  if (fresh.requests < analysis.minRequests || fresh.errorRate === null) {
    return {
      verdict: Verdict.Extend,
      reason: `new version served ${fresh.requests} of the ${analysis.minRequests} requests needed to judge it`,
    };
  }
  if (fresh.errorRate > analysis.maxErrorRate) {
    return {
      verdict: Verdict.Rollback,
      reason: `new version's 5xx rate ${percent(fresh.errorRate)} is above the ${percent(analysis.maxErrorRate)} limit (${fresh.errors} of ${fresh.requests})`,
    };
  }
  const oldJudgeable = old.requests >= analysis.minRequests && old.errorRate !== null;
  if (
    oldJudgeable &&
    fresh.errors >= minErrorsForRatio &&
    fresh.errorRate > analysis.maxErrorRateRatio * (old.errorRate ?? 0)
  ) {
    return {
      verdict: Verdict.Rollback,
      reason: `new version's 5xx rate ${percent(fresh.errorRate)} is more than ${analysis.maxErrorRateRatio}x the old version's ${percent(old.errorRate ?? 0)}`,
    };
  }
  if (oldJudgeable && fresh.p95Ms !== undefined && old.p95Ms !== undefined && old.p95Ms > 0) {
    const ratio = fresh.p95Ms / old.p95Ms;
    if (ratio > analysis.maxLatencyRatio) {
      return {
        verdict: Verdict.Rollback,
        reason: `new version's p95 latency ${round(fresh.p95Ms)} ms is ${round(ratio)}x the old version's ${round(old.p95Ms)} ms (limit ${analysis.maxLatencyRatio}x)`,
      };
    }
  }
  return {
    verdict: Verdict.Continue,
    reason: `healthy: 5xx ${percent(fresh.errorRate)} over ${fresh.requests} requests, no alarm firing`,
  };
}

function withRate(metrics: ArmMetrics): ArmValues {
  return { ...metrics, errorRate: metrics.requests === 0 ? null : metrics.errors / metrics.requests };
}

const percent = (rate: number) => `${round(rate * 100)}%`;
const round = (value: number) => Math.round(value * 100) / 100;
