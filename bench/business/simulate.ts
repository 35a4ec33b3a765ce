import { testBusinessMetric } from "../../functions/domain/analysis/business-metric.ts";
import { phaseAlpha } from "../../functions/domain/analysis/index.ts";
import { defaultBeta } from "../../functions/domain/analysis/sequential-test.ts";
import { binomialInverse, mulberry32, PoissonTable, seedOf } from "../blast-radius/random.ts";

/** One canary phase of a checkout flow, judged on conversions every evaluation interval. */
export interface BusinessScenario {
  /** Checkouts started per second, both arms together. */
  readonly checkoutsPerSecond: number;
  /** The new arm's share of them. */
  readonly share: number;
  /** The old arm's conversion rate. */
  readonly conversionRate: number;
  /**
   * Both arms' conversion rate moves together by up to this much, interval by interval (time of day,
   * campaigns, a slow payment provider): noise a healthy arm must not be paused for.
   */
  readonly noise: number;
  /** The new arm converts this much less (0.3 = 30% fewer conversions). */
  readonly drop: number;
  readonly intervalSeconds: number;
  readonly phaseSeconds: number;
}

export interface BusinessSettings {
  readonly alpha: number;
  readonly maxDrop: number;
  readonly minSamples: number;
}

/** A policy sees both arms' cumulative counts after each interval and says whether to pause. */
export interface PausePolicy {
  readonly name: string;
  readonly setting: string;
  /** Fresh per run: a policy may keep state across the looks of one run. */
  start(): (look: Look) => boolean;
}

export interface Look {
  readonly elapsedSeconds: number;
  readonly old: { readonly numerator: number; readonly denominator: number };
  readonly new: { readonly numerator: number; readonly denominator: number };
}

/** Glidepath's business-metric test, as evaluate runs it in the first phase of a plan. */
export function glidepathPolicy(settings: BusinessSettings): PausePolicy {
  const alpha = phaseAlpha(settings.alpha, 0);
  return {
    name: "Glidepath sequential test",
    setting: `maxDrop ${settings.maxDrop}, α ${settings.alpha} (${alpha} this phase), minSamples ${settings.minSamples}`,
    start: () => (look) =>
      testBusinessMetric(look.old, look.new, {
        alpha,
        beta: defaultBeta,
        maxDrop: settings.maxDrop,
        minSamples: settings.minSamples,
      }).verdict === "fail",
  };
}

/**
 * The rule users write, "conversions down more than 10% for 5 minutes": the new arm's cumulative conversion
 * rate more than `maxDrop` below the old arm's at every look for `forSeconds`, once it has `minSamples`.
 */
export function thresholdPolicy(settings: BusinessSettings & { readonly forSeconds: number }): PausePolicy {
  return {
    name: "threshold rule",
    setting: `down more than ${settings.maxDrop * 100}% for ${settings.forSeconds}s, minSamples ${settings.minSamples}`,
    start: () => {
      let since: number | undefined;
      return (look) => {
        const oldRate = look.old.numerator / Math.max(look.old.denominator, 1);
        const newRate = look.new.numerator / Math.max(look.new.denominator, 1);
        const down =
          look.new.denominator >= settings.minSamples && newRate < oldRate * (1 - settings.maxDrop);
        if (!down) {
          since = undefined;
          return false;
        }
        since ??= look.elapsedSeconds;
        return look.elapsedSeconds - since >= settings.forSeconds;
      };
    },
  };
}

export interface RunOutcome {
  /** Seconds into the phase at which the policy paused; undefined when it never did. */
  readonly pausedAt?: number;
  /** Conversions the new arm lost against the old arm's rate until the pause (or the phase's end). */
  readonly conversionsLost: number;
}

/**
 * One run: checkouts arrive as Poisson counts per interval, split between the arms by a binomial draw, and
 * convert binomially at the interval's rate; every policy sees the same traffic of the same seed.
 */
export function simulateRun(
  scenario: BusinessScenario,
  policies: readonly PausePolicy[],
  seed: number,
): RunOutcome[] {
  const random = mulberry32(seed);
  const arrivals = new PoissonTable(scenario.checkoutsPerSecond * scenario.intervalSeconds);
  const looks = policies.map((policy) => policy.start());
  const outcomes: { pausedAt?: number; conversionsLost: number }[] = policies.map(() => ({
    conversionsLost: 0,
  }));
  const counts = { old: { numerator: 0, denominator: 0 }, new: { numerator: 0, denominator: 0 } };
  for (
    let elapsed = scenario.intervalSeconds;
    elapsed <= scenario.phaseSeconds;
    elapsed += scenario.intervalSeconds
  ) {
    const rate = scenario.conversionRate * (1 + scenario.noise * (2 * random() - 1));
    const total = arrivals.draw(random());
    const fresh = binomialInverse(random(), total, scenario.share);
    const old = total - fresh;
    const freshRate = rate * (1 - scenario.drop);
    counts.old.denominator += old;
    counts.old.numerator += binomialInverse(random(), old, rate);
    counts.new.denominator += fresh;
    counts.new.numerator += binomialInverse(random(), fresh, freshRate);
    const look: Look = {
      elapsedSeconds: elapsed,
      old: { ...counts.old },
      new: { ...counts.new },
    };
    looks.forEach((decide, index) => {
      const outcome = outcomes[index];
      if (outcome === undefined || outcome.pausedAt !== undefined) return;
      outcome.conversionsLost += fresh * (rate - freshRate);
      if (decide(look)) outcome.pausedAt = elapsed;
    });
  }
  return outcomes;
}

export interface PolicyResult {
  readonly policy: string;
  readonly setting: string;
  readonly drop: number;
  readonly runs: number;
  /** Share of runs the policy paused in. */
  readonly pauseRate: number;
  /** Median seconds to the pause among runs that paused; null when none did. */
  readonly medianSecondsToPause: number | null;
  /** Mean conversions lost before the pause (or the phase's end). */
  readonly meanConversionsLost: number;
}

/** Every policy over `runs` seeds at one drop. */
export function simulateDrop(
  scenario: BusinessScenario,
  policies: readonly PausePolicy[],
  runs: number,
  seed: number,
): PolicyResult[] {
  const all = Array.from({ length: runs }, (_, run) =>
    simulateRun(scenario, policies, seedOf(seed, Math.round(scenario.drop * 1000), run)),
  );
  return policies.map((policy, index) => {
    const outcomes = all.map((run) => run[index] ?? { conversionsLost: 0 });
    const paused = outcomes.flatMap((outcome) => (outcome.pausedAt === undefined ? [] : [outcome.pausedAt]));
    paused.sort((a, b) => a - b);
    return {
      policy: policy.name,
      setting: policy.setting,
      drop: scenario.drop,
      runs,
      pauseRate: paused.length / runs,
      medianSecondsToPause: paused.length === 0 ? null : (paused[Math.floor(paused.length / 2)] ?? null),
      meanConversionsLost: outcomes.reduce((sum, outcome) => sum + outcome.conversionsLost, 0) / runs,
    };
  });
}
