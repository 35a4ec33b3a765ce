import type { EnvironmentConfig } from "../config/index.ts";
import type { ArmMetrics } from "../ports/health-signals.ts";
import { compareLatency, type LatencyComparison } from "./latency.ts";
import {
  type Comparison,
  compareErrorRates,
  defaultBeta,
  type LimitTest,
  type TestVerdict,
  testErrorRateLimit,
} from "./sequential-test.ts";

export type { LatencyComparison } from "./latency.ts";
export {
  type ArmCounts,
  type Comparison,
  compareErrorRates,
  defaultBeta,
  type LimitTest,
  sprtExpectedErrors,
  type TestVerdict,
  testErrorRateLimit,
} from "./sequential-test.ts";

type AnalysisSettings = EnvironmentConfig["analysis"];

/** What decided a `fail`. */
export type FailedCheck = "error-rate-limit" | "error-rate-comparison" | "latency";

/**
 * The canary analysis of one evaluation, on each arm's counts since the shift:
 * - `fail` as soon as the new arm's 5xx rate is shown to be above `maxErrorRate`, or worse than the old arm's
 *   (both anytime-valid, so at any sample size), or once both arms have `minRequests` and the new arm's p95 is
 *   more than `maxLatencyRatio` times the old arm's;
 * - `pass` once the new arm has `minRequests` and the comparison rules out a `maxErrorRateRatio`-fold
 *   degradation with 95% confidence, without a latency failure;
 * - `continue` otherwise: with fewer than `minRequests` on the new arm (`enoughRequests` false), or undecided.
 */
export interface Analysis {
  readonly verdict: TestVerdict;
  readonly failedBy: FailedCheck | null;
  /** False while the new arm has served fewer than `minRequests`: only a failure counts then. */
  readonly enoughRequests: boolean;
  /** Undecided, but the data favour a degradation over none (the comparison's fail e-value is above 1). */
  readonly leansToDegradation: boolean;
  /** The share of `alpha` this phase spends (`phaseAlpha`). */
  readonly alpha: number;
  readonly beta: number;
  readonly comparison: Comparison;
  readonly limit: LimitTest;
  readonly latency: LatencyComparison;
}

/**
 * The share of `alpha` a phase may spend: half at the first phase, a quarter at the second, and so on, so that
 * a deployment never spends more than `alpha` however many phases its plan has.
 */
export function phaseAlpha(alpha: number, phaseIndex: number): number {
  return alpha / 2 ** (Math.max(0, Math.floor(phaseIndex)) + 1);
}

export function analyse(
  old: ArmMetrics,
  fresh: ArmMetrics,
  settings: AnalysisSettings,
  phaseIndex: number,
): Analysis {
  const beta = defaultBeta;
  const alpha = phaseAlpha(settings.alpha, phaseIndex);
  const comparison = compareErrorRates(old, fresh, { alpha, beta, minRatio: settings.maxErrorRateRatio });
  const limit = testErrorRateLimit(fresh, settings.maxErrorRate, alpha);
  const latency = compareLatency(old, fresh, {
    maxRatio: settings.maxLatencyRatio,
    minRequests: settings.minRequests,
  });
  const enoughRequests = fresh.requests >= settings.minRequests;
  const failedBy: FailedCheck | null =
    limit.verdict === "fail"
      ? "error-rate-limit"
      : comparison.verdict === "fail"
        ? "error-rate-comparison"
        : latency.verdict === "fail"
          ? "latency"
          : null;
  const verdict: TestVerdict =
    failedBy !== null ? "fail" : enoughRequests && comparison.verdict === "pass" ? "pass" : "continue";
  return {
    verdict,
    failedBy,
    enoughRequests,
    leansToDegradation: verdict === "continue" && comparison.fail.eValue > 1,
    alpha,
    beta,
    comparison,
    limit,
    latency,
  };
}
