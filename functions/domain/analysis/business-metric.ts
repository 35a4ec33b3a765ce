import { splitTest, type TestVerdict } from "./sequential-test.ts";

/** One arm's two counts of a business metric since the shift: `numerator` events over `denominator` ones. */
export interface MetricCounts {
  readonly numerator: number;
  readonly denominator: number;
}

export interface BusinessMetricSettings {
  /** Chance that an arm no worse than the old one ever fails the test, however often it is looked at. */
  readonly alpha: number;
  /** Chance that an arm `maxDrop` worse ever passes it. */
  readonly beta: number;
  readonly maxDrop: number;
  /** Denominator counts the new arm needs before the test decides either way. */
  readonly minSamples: number;
}

/** The test of one business metric, as the decision log keeps it. */
export interface BusinessMetricTest {
  readonly verdict: TestVerdict;
  /** False while an arm has no denominator count: there is nothing to compare. */
  readonly applicable: boolean;
  readonly enoughSamples: boolean;
  readonly old: MetricCounts & { readonly rate: number | null };
  readonly new: MetricCounts & { readonly rate: number | null };
  /** The new arm's ratio relative to the old arm's, minus 1 (-0.3: 30% lower); null without both rates. */
  readonly lift: number | null;
  readonly fail: {
    /** Mixture likelihood ratio of "lower by one of `ratios`" against "no lower". */
    readonly eValue: number;
    readonly bound: number;
    readonly ratios: readonly number[];
    readonly likeliestRatio: number;
  };
  readonly pass: { readonly eValue: number; readonly bound: number; readonly ratio: number };
}

/**
 * The drops the fail test mixes: `maxDrop × 2^k` with prior weights 1/2, 1/4, 1/8, 1/8, those that leave a
 * ratio above 0, weights renormalised; a mixture adapts to the size of the drop it meets.
 */
const dropMixture = [
  { factor: 1, weight: 1 / 2 },
  { factor: 2, weight: 1 / 4 },
  { factor: 4, weight: 1 / 8 },
  { factor: 8, weight: 1 / 8 },
] as const;

/**
 * Whether the new arm's business metric (conversions per checkout started) is lower than the old arm's by
 * `maxDrop` or more. The same anytime-valid split test as the 5xx comparison, with the numerator as the
 * events and the denominator as the exposures: `fail` once the e-value of "lower" against "no lower" reaches
 * 1/α, `pass` once "`maxDrop` lower" is ruled out (1/β), each only once the new arm has `minSamples`.
 */
export function testBusinessMetric(
  old: MetricCounts,
  fresh: MetricCounts,
  settings: BusinessMetricSettings,
): BusinessMetricTest {
  const drops = dropMixture.filter(({ factor }) => settings.maxDrop * factor < 1);
  const total = drops.reduce((sum, { weight }) => sum + weight, 0);
  const comparison = splitTest(
    {
      old: { exposures: clamp(old.denominator), events: clamp(old.numerator) },
      new: { exposures: clamp(fresh.denominator), events: clamp(fresh.numerator) },
    },
    {
      alpha: settings.alpha,
      beta: settings.beta,
      alternatives: drops.map(({ factor, weight }) => ({
        ratio: 1 - settings.maxDrop * factor,
        weight: weight / total,
      })),
      passRatio: 1 - settings.maxDrop,
    },
  );
  const enoughSamples = fresh.denominator >= settings.minSamples;
  const oldRate = rate(old);
  const newRate = rate(fresh);
  return {
    verdict: enoughSamples ? comparison.verdict : "continue",
    applicable: comparison.applicable,
    enoughSamples,
    old: { ...old, rate: oldRate },
    new: { ...fresh, rate: newRate },
    lift: oldRate === null || newRate === null || oldRate === 0 ? null : newRate / oldRate - 1,
    fail: comparison.fail,
    pass: comparison.pass,
  };
}

const clamp = (count: number) => Math.max(0, count);
const rate = (counts: MetricCounts) =>
  counts.denominator > 0 ? counts.numerator / counts.denominator : null;
