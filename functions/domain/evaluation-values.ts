import type { BusinessMetricTest } from "./analysis/business-metric.ts";
import type { Analysis, FailedCheck, LatencyComparison, TestVerdict } from "./analysis/index.ts";
import type { AnalysisSettings, BakeProgress, PauseState, TargetHealthCounts } from "./evaluate.ts";
import type { ArmMetrics } from "./ports/health-signals.ts";

/** Every value an evaluation used, as the decision log keeps it, and how its reasons print numbers. */
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
  /** Every check with its `onFail`, whether it fails, since when, and whether it counts yet. */
  readonly checks: readonly {
    readonly check: string;
    readonly onFail: string;
    readonly failing: boolean;
    readonly since: number | null;
    readonly failed: boolean;
  }[];
  readonly businessMetrics: readonly (BusinessMetricTest & {
    readonly name: string;
    readonly maxDrop: number;
  })[];
  readonly targetHealth:
    | (TargetHealthCounts & { readonly unhealthyShare: number | null; readonly max: number })
    | null;
  readonly pause: (PauseState & { readonly timeoutSeconds: number | null }) | null;
}

/**
 * The sequential analysis as the decision log keeps it: each test's statistic, its bound and its sample size.
 * E-values are rounded to 4 significant digits and kept within 1e-100 and 1e15: DynamoDB's number range is
 * narrower than JavaScript's, and its document client refuses numbers above 2^53 (an e-value that large says
 * no more than one of 1e15 against bounds in the hundreds).
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

export interface ArmValues extends ArmMetrics {
  readonly errorRate: number | null;
}

export function analysisValues(analysis: Analysis): AnalysisValues {
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

export function withRate(metrics: ArmMetrics): ArmValues {
  return { ...metrics, errorRate: metrics.requests === 0 ? null : metrics.errors / metrics.requests };
}

/** 4 significant digits within 1e-100 and 1e15, so that any store keeps it. */
export function loggable<T extends number | null>(value: T): T {
  if (value === null || value === 0) return value;
  const magnitude = Math.min(Math.max(Math.abs(value), 1e-100), 1e15);
  return (Math.sign(value) * Number(magnitude.toPrecision(4))) as T;
}

/** 3 significant digits, or an exponent for the very large and very small. */
export function number(value: number): string {
  const clamped = loggable(value);
  if (clamped !== 0 && (Math.abs(clamped) >= 1e5 || Math.abs(clamped) < 1e-3)) {
    return clamped.toExponential(1).replace("e+", "e");
  }
  return String(Number(clamped.toPrecision(3)));
}

export const percent = (rate: number | null) => (rate === null ? "-" : `${round(rate * 100)}%`);
export const round = (value: number) => Math.round(value * 100) / 100;
