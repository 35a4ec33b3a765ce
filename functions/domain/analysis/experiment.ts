import type { Decision } from "../deployment.ts";
import type { MetricCounts } from "./business-metric.ts";

/**
 * The verdict of an experiment on its `decideOn` metric (conversions over checkouts started, per arm), from an
 * anytime-valid confidence sequence for each arm's rate: a beta-binomial mixture martingale (Robbins, 1970),
 * whose level set {p : M_n(p) < 2/α} holds the arm's true rate at every sample size at once with probability
 * at least 1 − α/2 (Ville's inequality). The two arms' sequences together bound the lift, the treatment's rate
 * over the control's minus 1, with probability at least 1 − α however often the experiment is looked at and
 * whenever it ends: a human who promotes early or an experiment cut short gets an interval as valid as one at
 * the planned end.
 */

/** The decision log's id of an experiment's verdict: one per deployment. */
export const verdictDecisionId = "experiment-verdict";

/** The experiment's verdict as the decision log keeps it, if it was judged. */
export function recordedVerdict(decisions: readonly Decision[]): ExperimentVerdict | undefined {
  return decisions.find((decision) => decision.id === verdictDecisionId)?.values.verdict as
    | ExperimentVerdict
    | undefined;
}

/** The two arms: `control` serves what runs today, `treatment` the new version or the flag's new variant. */
export type ExperimentArm = "control" | "treatment";

/** Who won: an arm, or `none` when the interval of the lift still holds 0 (or an arm lacks samples). */
export type ExperimentWinner = ExperimentArm | "none";

export interface ArmResult extends MetricCounts {
  /** numerator / denominator; null without a denominator count. */
  readonly rate: number | null;
  /** The arm's rate, anytime-valid at 1 − α/2: [low, high]. */
  readonly interval: readonly [number, number];
}

export interface ExperimentVerdict {
  readonly winner: ExperimentWinner;
  /** The metric the verdict is on (`decideOn`). */
  readonly metric: string;
  /** 1 − α: the chance the lift's interval holds the true lift. */
  readonly confidence: number;
  /** Both arms have `minSamples` denominator counts: before that, no arm wins. */
  readonly enoughSamples: boolean;
  readonly minSamples: number;
  readonly control: ArmResult;
  readonly treatment: ArmResult;
  /** The treatment's rate over the control's, minus 1 (0.12: 12% more conversions); null without both rates. */
  readonly lift: number | null;
  /** The lift's interval; an end is null where the data do not bound it (a control rate that may be 0). */
  readonly liftInterval: readonly [number | null, number | null];
}

export interface ExperimentSettings {
  readonly metric: string;
  /** 1 − confidence: the chance of an interval that misses the lift, and so of a wrong winner. */
  readonly alpha: number;
  readonly minSamples: number;
}

/**
 * Judges an experiment from each arm's counts of its metric since the split began. `treatment` wins when the
 * lift's interval lies above 0, `control` when it lies below; otherwise (or before both arms have
 * `minSamples`) there is no difference the data can show.
 */
export function judgeExperiment(
  counts: Readonly<Record<ExperimentArm, MetricCounts>>,
  settings: ExperimentSettings,
): ExperimentVerdict {
  const armAlpha = settings.alpha / 2;
  const control = armResult(counts.control, armAlpha);
  const treatment = armResult(counts.treatment, armAlpha);
  const [controlLow, controlHigh] = control.interval;
  const [treatmentLow, treatmentHigh] = treatment.interval;
  const liftInterval: [number | null, number | null] = [
    controlHigh > 0 ? treatmentLow / controlHigh - 1 : null,
    controlLow > 0 ? treatmentHigh / controlLow - 1 : null,
  ];
  const enoughSamples =
    control.denominator >= settings.minSamples && treatment.denominator >= settings.minSamples;
  const [low, high] = liftInterval;
  const winner: ExperimentWinner = !enoughSamples
    ? "none"
    : low !== null && low > 0
      ? "treatment"
      : high !== null && high < 0
        ? "control"
        : "none";
  return {
    winner,
    metric: settings.metric,
    confidence: 1 - settings.alpha,
    enoughSamples,
    minSamples: settings.minSamples,
    control,
    treatment,
    lift:
      control.rate === null || treatment.rate === null || control.rate === 0
        ? null
        : treatment.rate / control.rate - 1,
    liftInterval,
  };
}

/** One line for logs, Slack and the rollback's reason: "treatment wins: conversion 65.1% vs 50.2%, lift +29.7% [+12.0%, +49.9%]". */
export function describeExperimentVerdict(verdict: ExperimentVerdict): string {
  const rate = (arm: ArmResult) => (arm.rate === null ? "no data" : percent(arm.rate));
  const signed = (value: number | null, unbounded: string) =>
    value === null ? unbounded : `${value >= 0 ? "+" : "−"}${percent(Math.abs(value))}`;
  const lift =
    verdict.lift === null
      ? "no lift without both rates"
      : `lift ${signed(verdict.lift, "")} [${signed(verdict.liftInterval[0], "−∞")}, ${signed(verdict.liftInterval[1], "+∞")}] at ${percent(verdict.confidence)} confidence`;
  const outcome =
    verdict.winner === "none"
      ? verdict.enoughSamples
        ? "no difference"
        : `no difference (fewer than ${verdict.minSamples} samples on an arm)`
      : `${verdict.winner} wins`;
  return `${outcome}: ${verdict.metric} ${rate(verdict.treatment)} (treatment, ${verdict.treatment.denominator}) vs ${rate(verdict.control)} (control, ${verdict.control.denominator}), ${lift}`;
}

const percent = (value: number) => `${(value * 100).toFixed(1)}%`;

function armResult(counts: MetricCounts, alpha: number): ArmResult {
  const denominator = Math.max(0, Math.floor(counts.denominator));
  // A numerator above its denominator (the two metrics' datapoints landing in different periods) is capped.
  const numerator = Math.max(0, Math.min(Math.floor(counts.numerator), denominator));
  return {
    numerator,
    denominator,
    rate: denominator > 0 ? numerator / denominator : null,
    interval: rateInterval(numerator, denominator, alpha),
  };
}

/**
 * The beta-binomial confidence sequence for a Bernoulli rate after `successes` in `trials`, with a uniform
 * prior: every p whose mixture martingale M(p) = B(1 + s, 1 + n − s) / (p^s (1 − p)^(n − s)) is below 1/α.
 * ln M is convex in p with its minimum at s/n, so the set is an interval, found by bisection on each side.
 */
export function rateInterval(successes: number, trials: number, alpha: number): [number, number] {
  if (trials === 0) return [0, 1];
  const bound = Math.log(1 / alpha);
  const logMixture = logBeta(1 + successes, 1 + trials - successes);
  const logM = (p: number) => logMixture - xLogY(successes, p) - xLogY(trials - successes, 1 - p);
  const centre = successes / trials;
  const edge = (inside: number, outside: number) => {
    // logM(inside) < bound; find where it crosses the bound towards `outside`.
    if (logM(outside) < bound) return outside;
    let [a, b] = [inside, outside];
    for (let step = 0; step < 60; step++) {
      const middle = (a + b) / 2;
      if (logM(middle) < bound) a = middle;
      else b = middle;
    }
    return a;
  };
  return [edge(centre, 0), edge(centre, 1)];
}

/** x ln y, with 0 ln 0 = 0 (the likelihood of no successes at p = 0 is 1). */
function xLogY(x: number, y: number): number {
  return x === 0 ? 0 : x * Math.log(y);
}

function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

/** ln Γ(x) for x > 0: Lanczos' approximation (g = 7, 9 terms), accurate to about 15 digits. */
function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let sum = lanczos[0] ?? 0;
  for (let index = 1; index < lanczos.length; index++) sum += (lanczos[index] ?? 0) / (z + index);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

const lanczos = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
] as const;
