/**
 * Anytime-valid sequential tests on the 5xx counts of a canary's two arms. Each test is an e-process: a
 * likelihood ratio that, while its null hypothesis holds, stays a (super)martingale with expectation at most 1,
 * so by Ville's inequality it ever reaches 1/α with probability at most α. That is what lets the evaluate step
 * look at it after every interval, for as long as the bake lasts, without inflating false rollbacks.
 */

/** What one arm served since the shift. */
export interface ArmCounts {
  readonly requests: number;
  readonly errors: number;
}

export type TestVerdict = "pass" | "fail" | "continue";

/** The power of the comparison: a release at least `minRatio` times worse passes with at most this chance. */
export const defaultBeta = 0.05;

/**
 * The comparison's alternatives: ratios `minRatio × 2^k` with prior weights 1/2, 1/4, 1/8, 1/8. A mixture
 * adapts to the size of the degradation it meets (a 10x release fails after a handful of errors, a 2x one after
 * about two hundred) at the price of ln(1/weight) nats against a test that knew the ratio.
 */
const ratioMixture = [
  { factor: 1, weight: 1 / 2 },
  { factor: 2, weight: 1 / 4 },
  { factor: 4, weight: 1 / 8 },
  { factor: 8, weight: 1 / 8 },
] as const;

/** The limit test's alternatives: rates `limit × factor`, those below 100%, weights renormalised. */
const rateMixture = [
  { factor: 2, weight: 1 / 2 },
  { factor: 4, weight: 1 / 4 },
  { factor: 8, weight: 1 / 4 },
] as const;

export interface ComparisonSettings {
  /** Chance that a release no worse than the old version ever fails the test. */
  readonly alpha: number;
  /** Chance that a release `minRatio` or more times worse ever passes the test. */
  readonly beta: number;
  /** The smallest ratio of the new arm's 5xx rate to the old arm's worth catching. */
  readonly minRatio: number;
}

/**
 * The binomial split of errors, given requests. With a share `s` of the requests on the new arm, each error
 * lands on the new arm with probability `s` when both versions fail alike, and `sρ / (sρ + 1 − s)` when the new
 * one fails ρ times as often; the old arm's own errors are the baseline, so no error rate has to be known.
 */
export interface Comparison {
  readonly verdict: TestVerdict;
  /** False when an arm served nothing: there is nothing to compare with. */
  readonly applicable: boolean;
  /** The new arm's share of the requests: its expected share of the errors when it is no worse. */
  readonly share: number | null;
  /** Its actual share of the errors; null without errors. */
  readonly errorShare: number | null;
  /** Errors on both arms: the test's sample size. */
  readonly errors: number;
  readonly fail: {
    /** Mixture likelihood ratio of "worse by one of `ratios`" against "no worse". */
    readonly eValue: number;
    /** 1/α: the test fails when `eValue` reaches it. */
    readonly bound: number;
    /** The alternatives mixed, ratios of the new arm's 5xx rate to the old arm's. */
    readonly ratios: readonly number[];
    /** The alternative the data favour most. */
    readonly likeliestRatio: number;
  };
  readonly pass: {
    /** Likelihood ratio of "no worse" against "`ratio` times worse". */
    readonly eValue: number;
    /** 1/β: the test passes when `eValue` reaches it. */
    readonly bound: number;
    readonly ratio: number;
  };
}

export function compareErrorRates(
  old: ArmCounts,
  fresh: ArmCounts,
  settings: ComparisonSettings,
): Comparison {
  return splitTest(
    {
      old: { exposures: old.requests, events: clampErrors(old) },
      new: { exposures: fresh.requests, events: clampErrors(fresh) },
    },
    {
      alpha: settings.alpha,
      beta: settings.beta,
      alternatives: ratioMixture.map(({ factor, weight }) => ({ ratio: settings.minRatio * factor, weight })),
      passRatio: settings.minRatio,
    },
  );
}

/** Events (errors, conversions) and what they are counted against (requests, checkouts started), per arm. */
export interface SplitCounts {
  readonly old: { readonly exposures: number; readonly events: number };
  readonly new: { readonly exposures: number; readonly events: number };
}

export interface SplitSettings {
  readonly alpha: number;
  readonly beta: number;
  /** Ratios of the new arm's event rate to the old arm's that count as worse, with prior weights summing to 1. */
  readonly alternatives: readonly { readonly ratio: number; readonly weight: number }[];
  /** The pass test's alternative: "no change" against this ratio. */
  readonly passRatio: number;
}

/**
 * The split of events between the arms, given their exposures: the test behind the 5xx comparison and the
 * business metrics. Conditional on the total, each event lands on the new arm with probability `s` (its share
 * of the exposures) when both arms behave alike, and `sρ / (sρ + 1 − s)` when its rate is ρ times the old
 * arm's. For events that are not rare (conversions), the split under "alike" is hypergeometric, which is less
 * spread than this binomial (Hoeffding, 1963): the e-value only becomes conservative.
 */
export function splitTest(counts: SplitCounts, settings: SplitSettings): Comparison {
  const ratios = settings.alternatives.map(({ ratio }) => ratio);
  const oldEvents = counts.old.events;
  const newEvents = counts.new.events;
  const errors = oldEvents + newEvents;
  const total = counts.old.exposures + counts.new.exposures;
  const applicable = counts.old.exposures > 0 && counts.new.exposures > 0;
  const share = total === 0 ? null : counts.new.exposures / total;
  const errorShare = errors === 0 ? null : newEvents / errors;
  const first = ratios[0] ?? settings.passRatio;
  if (!applicable || share === null) {
    return {
      verdict: "continue",
      applicable: false,
      share,
      errorShare,
      errors,
      fail: { eValue: 1, bound: 1 / settings.alpha, ratios, likeliestRatio: first },
      pass: { eValue: 1, bound: 1 / settings.beta, ratio: settings.passRatio },
    };
  }
  const logRatioAt = (ratio: number) => {
    const alternative = (share * ratio) / (share * ratio + 1 - share);
    return newEvents * Math.log(alternative / share) + oldEvents * Math.log((1 - alternative) / (1 - share));
  };
  const logs = settings.alternatives.map(({ ratio, weight }) => ({
    ratio,
    log: Math.log(weight) + logRatioAt(ratio),
  }));
  const logFail = logSumExp(logs.map((entry) => entry.log));
  const likeliest = logs.reduce((best, entry) => (entry.log > best.log ? entry : best));
  const logPass = -logRatioAt(settings.passRatio);
  const verdict: TestVerdict =
    logFail >= Math.log(1 / settings.alpha)
      ? "fail"
      : logPass >= Math.log(1 / settings.beta)
        ? "pass"
        : "continue";
  return {
    verdict,
    applicable,
    share,
    errorShare,
    errors,
    fail: {
      eValue: Math.exp(logFail),
      bound: 1 / settings.alpha,
      ratios,
      likeliestRatio: likeliest.ratio,
    },
    pass: { eValue: Math.exp(logPass), bound: 1 / settings.beta, ratio: settings.passRatio },
  };
}

/**
 * The new arm's 5xx rate against an absolute limit, with no baseline needed: the guard that still works when
 * the new version serves everything. The null hypothesis is "at most `limit`"; the alternatives are 2, 4 and 8
 * times the limit.
 */
export interface LimitTest {
  readonly verdict: Exclude<TestVerdict, "pass">;
  readonly limit: number;
  readonly requests: number;
  readonly errors: number;
  /** Mixture likelihood ratio of "above the limit" against "at most the limit". */
  readonly eValue: number;
  /** 1/α: the test fails when `eValue` reaches it. */
  readonly bound: number;
}

export function testErrorRateLimit(fresh: ArmCounts, limit: number, alpha: number): LimitTest {
  const errors = clampErrors(fresh);
  const base = { limit, requests: fresh.requests, errors, bound: 1 / alpha };
  // A limit of 0 tolerates no error at all: the first one refutes it with certainty.
  if (limit <= 0) {
    return errors > 0
      ? { ...base, verdict: "fail", eValue: Number.POSITIVE_INFINITY }
      : { ...base, verdict: "continue", eValue: 1 };
  }
  const alternatives = rateMixture.filter(({ factor }) => limit * factor < 1);
  if (alternatives.length === 0) return { ...base, verdict: "continue", eValue: 1 };
  const totalWeight = alternatives.reduce((sum, { weight }) => sum + weight, 0);
  const logs = alternatives.map(({ factor, weight }) => {
    const rate = limit * factor;
    return (
      Math.log(weight / totalWeight) +
      errors * Math.log(rate / limit) +
      (fresh.requests - errors) * Math.log((1 - rate) / (1 - limit))
    );
  });
  const logE = logSumExp(logs);
  return { ...base, verdict: logE >= Math.log(1 / alpha) ? "fail" : "continue", eValue: Math.exp(logE) };
}

/**
 * Wald's approximation of the expected number of errors (on both arms) a sequential probability ratio test
 * of "no worse" against "`ratio` times worse" needs to reject a release that is `ratio` times worse, with
 * error rates α and β: ((1 − β) ln((1 − β)/α) + β ln(β/(1 − α))) / KL(p1 ‖ p0). No test with these error rates
 * needs fewer on average (Wald–Wolfowitz), so it is the limit a canary analysis can approach.
 */
export function sprtExpectedErrors(props: {
  readonly share: number;
  readonly ratio: number;
  readonly alpha: number;
  readonly beta: number;
}): { readonly errors: number; readonly newErrors: number; readonly badShare: number } {
  const { share, ratio, alpha, beta } = props;
  const badShare = (share * ratio) / (share * ratio + 1 - share);
  const divergence =
    badShare * Math.log(badShare / share) + (1 - badShare) * Math.log((1 - badShare) / (1 - share));
  const errors =
    ((1 - beta) * Math.log((1 - beta) / alpha) + beta * Math.log(beta / (1 - alpha))) / divergence;
  return { errors, newErrors: errors * badShare, badShare };
}

function clampErrors(arm: ArmCounts): number {
  return Math.max(0, Math.min(arm.errors, arm.requests));
}

function logSumExp(logs: readonly number[]): number {
  const max = Math.max(...logs);
  if (max === Number.NEGATIVE_INFINITY) return max;
  return max + Math.log(logs.reduce((sum, log) => sum + Math.exp(log - max), 0));
}
