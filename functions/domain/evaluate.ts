import {
  type Analysis,
  analyse,
  type FailedCheck,
  type LatencyComparison,
  type TestVerdict,
} from "./analysis/index.ts";
import type { EnvironmentConfig } from "./config/index.ts";
import type { AlarmStatus, ArmMetrics } from "./ports/health-signals.ts";

export type AnalysisSettings = EnvironmentConfig["analysis"];

/** What the state machine does after an evaluation. */
export const Verdict = {
  /** Healthy so far: keep baking; `bake.complete` says when to move on (a passed analysis ends it early). */
  Continue: "continue",
  /** Not enough to judge (too little traffic, or an analysis leaning towards a degradation): bake past the plan. */
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
  /** Each arm's counts and percentiles since traffic moved to this weight (cumulative, not per interval). */
  readonly metrics: { readonly old: ArmMetrics; readonly new: ArmMetrics };
  readonly analysis: AnalysisSettings;
  readonly bake: BakeProgress;
  /** The phase of the plan (0-based): the analysis spends `alpha` over the phases (`phaseAlpha`). @default 0 */
  readonly phaseIndex?: number;
}

export interface Evaluation {
  readonly verdict: Verdict;
  /** One sentence an operator can act on: why this verdict. */
  readonly reason: string;
  /** Every value the verdict used, for the decision log. */
  readonly values: EvaluationValues;
  /** The bake after this evaluation: done when the analysis passed, or the planned bake is over and nothing is wrong. */
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
    /** The deployment's `alpha`, of which this phase spends `phaseAlpha`. */
    readonly alpha: number;
    readonly phaseAlpha: number;
    readonly beta: number;
    readonly missingData: AnalysisSettings["missingData"];
  };
  readonly analysis: AnalysisValues;
  readonly bake: BakeProgress;
}

/**
 * The sequential analysis as the decision log keeps it: each test's statistic, its bound and its sample size.
 * E-values are rounded to 4 significant digits and kept within 1e±100 (DynamoDB's number range is narrower
 * than JavaScript's).
 */
export interface AnalysisValues {
  /** The analysis' own verdict, before the bake's rules (alarms, missing data, extensions) apply. */
  readonly verdict: TestVerdict;
  readonly failedBy: FailedCheck | null;
  readonly enoughRequests: boolean;
  readonly leansToDegradation: boolean;
  /** The binomial split of the errors of both arms, given each arm's requests. */
  readonly errorRateComparison: {
    readonly verdict: TestVerdict;
    readonly applicable: boolean;
    /** The new arm's share of the requests: its expected share of the errors if it is no worse. */
    readonly requestShare: number | null;
    readonly errorShare: number | null;
    /** The sample size: errors of both arms. */
    readonly errors: number;
    readonly failEValue: number;
    readonly failBound: number;
    readonly failRatios: readonly number[];
    readonly likeliestRatio: number;
    readonly passEValue: number;
    readonly passBound: number;
    readonly passRatio: number;
  };
  readonly errorRateLimit: {
    readonly verdict: TestVerdict;
    readonly limit: number;
    readonly requests: number;
    readonly errors: number;
    readonly eValue: number;
    readonly bound: number;
  };
  readonly latency: LatencyComparison;
}

interface ArmValues extends ArmMetrics {
  readonly errorRate: number | null;
}

/** An inconclusive bake is extended up to this many times its planned length. */
const maxBakeExtension = 2;

type Judgement =
  | { readonly kind: "rollback"; readonly reason: string }
  | { readonly kind: "insufficient"; readonly reason: string }
  | { readonly kind: "pass"; readonly reason: string }
  | { readonly kind: "undecided"; readonly reason: string; readonly leaning: boolean };

/**
 * Judges one bake interval. Alarms win over metrics. The 5xx analysis is a pair of anytime-valid sequential
 * tests (functions/domain/analysis), so a failure counts at any sample size and at every evaluation; anything
 * else needs `minRequests` on the new arm. A passed analysis ends the bake early; an undecided one bakes for the
 * planned time, longer (up to twice) when it leans towards a degradation. Pure: the same input gives the same
 * verdict.
 */
export function evaluate(input: EvaluationInput): Evaluation {
  const { analysis: settings, bake } = input;
  const analysis = analyse(input.metrics.old, input.metrics.new, settings, input.phaseIndex ?? 0);
  const values: EvaluationValues = {
    alarms: input.alarms.found.map(({ name, state, reason }) => ({ name, state, reason })),
    missingAlarms: input.alarms.missing,
    old: withRate(input.metrics.old),
    new: withRate(input.metrics.new),
    thresholds: {
      minRequests: settings.minRequests,
      maxErrorRate: settings.maxErrorRate,
      maxErrorRateRatio: settings.maxErrorRateRatio,
      maxLatencyRatio: settings.maxLatencyRatio,
      alpha: settings.alpha,
      phaseAlpha: analysis.alpha,
      beta: analysis.beta,
      missingData: settings.missingData,
    },
    analysis: analysisValues(analysis),
    bake,
  };
  const judged = judge(input, values, analysis);
  const bakeOver = bake.elapsedSeconds >= bake.bakeSeconds;
  const extensionOver = bake.elapsedSeconds >= maxBakeExtension * bake.bakeSeconds;
  let verdict: Verdict = Verdict.Continue;
  let reason = judged.reason;
  let complete = bakeOver;
  switch (judged.kind) {
    case "rollback":
      verdict = Verdict.Rollback;
      break;
    case "pass":
      complete = true;
      if (!bakeOver) reason = `${reason}; the bake ends at ${bake.elapsedSeconds}s of ${bake.bakeSeconds}s`;
      break;
    case "undecided":
      if (bakeOver && judged.leaning && !extensionOver) {
        verdict = Verdict.Extend;
        reason = `${reason}; leaning towards a degradation: baking on, up to ${maxBakeExtension * bake.bakeSeconds}s`;
      } else if (bakeOver && bake.bakeSeconds > 0) {
        reason = `${reason}; no significant degradation ${extensionOver && judged.leaning ? `after ${bake.elapsedSeconds}s, ${maxBakeExtension}x the planned bake` : "in the planned bake"}`;
      }
      break;
    case "insufficient":
      if (!bakeOver) {
        verdict = Verdict.Extend;
      } else if (bake.bakeSeconds === 0 || settings.missingData === "notBreaching") {
        reason = `${reason}; treated as healthy (${bake.bakeSeconds === 0 ? "no bake planned" : "missingData is notBreaching"})`;
      } else if (settings.missingData === "breaching" || extensionOver) {
        verdict = Verdict.Rollback;
        reason =
          settings.missingData === "breaching"
            ? `${reason}; missingData is breaching`
            : `${reason} after ${bake.elapsedSeconds}s, ${maxBakeExtension}x the planned bake: cannot judge the release`;
      } else {
        verdict = Verdict.Extend;
      }
      break;
  }
  complete = verdict === Verdict.Continue && complete;
  const remaining = Math.max(bake.bakeSeconds - bake.elapsedSeconds, 0);
  const waitSeconds = Math.max(
    1,
    Math.min(settings.intervalSeconds, remaining === 0 ? settings.intervalSeconds : remaining),
  );
  return { verdict, reason, values, bake: { elapsedSeconds: bake.elapsedSeconds, waitSeconds, complete } };
}

function judge(input: EvaluationInput, values: EvaluationValues, analysis: Analysis): Judgement {
  const firing = input.alarms.found.filter((alarm) => alarm.state === "ALARM");
  if (firing.length > 0) {
    const names = firing.map((alarm) => `${alarm.name} (${alarm.reason})`).join("; ");
    return { kind: "rollback", reason: `alarm in ALARM: ${names}` };
  }
  if (input.alarms.missing.length > 0) {
    return {
      kind: "rollback",
      reason: `alarm not found: ${input.alarms.missing.join(", ")}; a guard rail that does not exist cannot pass`,
    };
  }
  const fresh = values.new;
  const old = values.old;
  const { comparison, limit, latency } = analysis;
  switch (analysis.failedBy) {
    case "error-rate-limit":
      return {
        kind: "rollback",
        reason: `new version's 5xx rate ${percent(fresh.errorRate)} is above the ${percent(limit.limit)} limit (${limit.errors} of ${limit.requests}; e-value ${number(limit.eValue)} ≥ ${number(limit.bound)})`,
      };
    case "error-rate-comparison":
      return {
        kind: "rollback",
        reason: `new version's 5xx rate ${percent(fresh.errorRate)} is worse than the old version's ${percent(old.errorRate)}: ${fresh.errors} of the ${comparison.errors} errors on ${percent(comparison.share)} of the requests (e-value ${number(comparison.fail.eValue)} ≥ ${number(comparison.fail.bound)})`,
      };
    case "latency":
      return {
        kind: "rollback",
        reason: `new version's p95 latency ${round(latency.newP95Ms ?? 0)} ms is ${round(latency.ratio ?? 0)}x the old version's ${round(latency.oldP95Ms ?? 0)} ms (limit ${latency.limit}x)`,
      };
    case null:
      break;
  }
  if (!analysis.enoughRequests) {
    return {
      kind: "insufficient",
      reason: `new version served ${fresh.requests} of the ${input.analysis.minRequests} requests needed to judge it`,
    };
  }
  const healthy = `healthy: 5xx ${percent(fresh.errorRate)} over ${fresh.requests} requests, no alarm firing`;
  if (analysis.verdict === "pass") {
    return {
      kind: "pass",
      reason: `${healthy}; ${comparison.pass.ratio}x the old version's 5xx rate (${percent(old.errorRate)}) is ruled out (e-value ${number(comparison.pass.eValue)} ≥ ${number(comparison.pass.bound)} on ${comparison.errors} errors)`,
    };
  }
  const detail = comparison.applicable
    ? comparison.errors === 0
      ? "no errors on either version to compare"
      : `undecided on ${comparison.errors} errors (old version ${percent(old.errorRate)}; e-values: fail ${number(comparison.fail.eValue)} of ${number(comparison.fail.bound)}, pass ${number(comparison.pass.eValue)} of ${number(comparison.pass.bound)})`
    : "no old version's traffic to compare with";
  return { kind: "undecided", reason: `${healthy}; ${detail}`, leaning: analysis.leansToDegradation };
}

function analysisValues(analysis: Analysis): AnalysisValues {
  const { comparison, limit } = analysis;
  return {
    verdict: analysis.verdict,
    failedBy: analysis.failedBy,
    enoughRequests: analysis.enoughRequests,
    leansToDegradation: analysis.leansToDegradation,
    errorRateComparison: {
      verdict: comparison.verdict,
      applicable: comparison.applicable,
      requestShare: loggable(comparison.share),
      errorShare: loggable(comparison.errorShare),
      errors: comparison.errors,
      failEValue: loggable(comparison.fail.eValue),
      failBound: loggable(comparison.fail.bound),
      failRatios: comparison.fail.ratios,
      likeliestRatio: comparison.fail.likeliestRatio,
      passEValue: loggable(comparison.pass.eValue),
      passBound: loggable(comparison.pass.bound),
      passRatio: comparison.pass.ratio,
    },
    errorRateLimit: {
      verdict: limit.verdict,
      limit: limit.limit,
      requests: limit.requests,
      errors: limit.errors,
      eValue: loggable(limit.eValue),
      bound: loggable(limit.bound),
    },
    latency: analysis.latency,
  };
}

function withRate(metrics: ArmMetrics): ArmValues {
  return { ...metrics, errorRate: metrics.requests === 0 ? null : metrics.errors / metrics.requests };
}

/** 4 significant digits within 1e±100, so that any store keeps it. */
function loggable<T extends number | null>(value: T): T {
  if (value === null || value === 0) return value;
  const magnitude = Math.min(Math.max(Math.abs(value), 1e-100), 1e100);
  return (Math.sign(value) * Number(magnitude.toPrecision(4))) as T;
}

/** 3 significant digits, or an exponent for the very large and very small. */
function number(value: number): string {
  const clamped = loggable(value);
  if (clamped !== 0 && (Math.abs(clamped) >= 1e5 || Math.abs(clamped) < 1e-3)) {
    return clamped.toExponential(1).replace("e+", "e");
  }
  return String(Number(clamped.toPrecision(3)));
}

const percent = (rate: number | null) => (rate === null ? "-" : `${round(rate * 100)}%`);
const round = (value: number) => Math.round(value * 100) / 100;
