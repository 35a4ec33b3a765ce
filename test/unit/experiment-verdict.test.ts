import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../bench/blast-radius/random.ts";
import {
  describeExperimentVerdict,
  judgeExperiment,
  rateInterval,
} from "../../functions/domain/analysis/experiment.ts";

const settings = { metric: "conversion", alpha: 0.05, minSamples: 200 } as const;

/**
 * Runs of an experiment looked at every 100 checkouts per arm up to `trials`, as the evaluations of a bake
 * would: for each run, whether any look's lift interval missed the true lift, and the verdict at the end.
 */
function simulate(props: { controlRate: number; lift: number; trials: number; runs: number; seed: number }) {
  const random = mulberry32(props.seed);
  const treatmentRate = props.controlRate * (1 + props.lift);
  let missed = 0;
  const winners = { control: 0, treatment: 0, none: 0 };
  for (let run = 0; run < props.runs; run++) {
    const counts = { control: { numerator: 0, denominator: 0 }, treatment: { numerator: 0, denominator: 0 } };
    let everMissed = false;
    let winner: keyof typeof winners = "none";
    for (let look = 100; look <= props.trials; look += 100) {
      for (let trial = 0; trial < 100; trial++) {
        counts.control.numerator += random() < props.controlRate ? 1 : 0;
        counts.treatment.numerator += random() < treatmentRate ? 1 : 0;
      }
      counts.control.denominator = look;
      counts.treatment.denominator = look;
      const verdict = judgeExperiment(counts, settings);
      const [low, high] = verdict.liftInterval;
      if ((low !== null && low > props.lift) || (high !== null && high < props.lift)) everMissed = true;
      winner = verdict.winner;
    }
    if (everMissed) missed++;
    winners[winner]++;
  }
  return { missRate: missed / props.runs, winners };
}

describe("judgeExperiment", () => {
  it.each([
    { controlRate: 0.5, lift: 0 },
    { controlRate: 0.5, lift: 0.1 },
    { controlRate: 0.1, lift: -0.2 },
  ])(
    "the lift interval at $controlRate with lift $lift holds the true lift at every look in ≥ 95% of runs",
    ({ controlRate, lift }) => {
      // Act
      const { missRate } = simulate({ controlRate, lift, trials: 3000, runs: 300, seed: 7 });

      // Assess
      expect(missRate).toBeLessThanOrEqual(settings.alpha);
    },
  );

  it("names no winner in ≥ 95% of experiments whose arms convert alike", () => {
    // Act
    const { winners } = simulate({ controlRate: 0.5, lift: 0, trials: 3000, runs: 300, seed: 11 });

    // Assess
    expect((winners.control + winners.treatment) / 300).toBeLessThanOrEqual(settings.alpha);
  });

  it.each([
    { lift: 0.3, winner: "treatment" },
    { lift: -0.3, winner: "control" },
  ] as const)(
    "names $winner the winner in ≥ 95% of experiments with a lift of $lift on 3,000 checkouts per arm",
    ({ lift, winner }) => {
      // Act
      const { winners } = simulate({ controlRate: 0.5, lift, trials: 3000, runs: 200, seed: 13 });

      // Assess
      expect(winners[winner] / 200).toBeGreaterThanOrEqual(0.95);
    },
  );

  it("names no winner before both arms have minSamples, however large the lift", () => {
    // Act
    const verdict = judgeExperiment(
      { control: { numerator: 10, denominator: 150 }, treatment: { numerator: 140, denominator: 150 } },
      settings,
    );

    // Assess
    expect({ winner: verdict.winner, enoughSamples: verdict.enoughSamples }).toEqual({
      winner: "none",
      enoughSamples: false,
    });
  });

  it("reports each arm's rate and interval, the lift and its interval", () => {
    // Act
    const verdict = judgeExperiment(
      {
        control: { numerator: 1000, denominator: 2000 },
        treatment: { numerator: 1300, denominator: 2000 },
      },
      settings,
    );

    // Assess
    expect(verdict).toMatchObject({
      winner: "treatment",
      metric: "conversion",
      confidence: 0.95,
      control: { numerator: 1000, denominator: 2000, rate: 0.5 },
      treatment: { numerator: 1300, denominator: 2000, rate: 0.65 },
    });
    expect(verdict.lift).toBeCloseTo(0.3, 10);
    const [low, high] = verdict.liftInterval;
    expect(low).toBeGreaterThan(0);
    expect(high).toBeGreaterThan(0.3);
    expect(describeExperimentVerdict(verdict)).toMatch(
      /^treatment wins: conversion 65\.0% \(treatment, 2000\) vs 50\.0% \(control, 2000\), lift \+30\.0% \[\+\d+\.\d%, \+\d+\.\d%\] at 95\.0% confidence$/,
    );
  });

  it("leaves the lift unbounded above while the control's rate may still be 0", () => {
    // Act
    const verdict = judgeExperiment(
      { control: { numerator: 0, denominator: 300 }, treatment: { numerator: 5, denominator: 300 } },
      settings,
    );

    // Assess
    expect({ lift: verdict.lift, high: verdict.liftInterval[1], winner: verdict.winner }).toEqual({
      lift: null,
      high: null,
      winner: "none",
    });
  });

  it("caps a numerator above its denominator at the denominator", () => {
    // Act
    const verdict = judgeExperiment(
      { control: { numerator: 120, denominator: 100 }, treatment: { numerator: 50, denominator: 100 } },
      settings,
    );

    // Assess
    expect(verdict.control).toMatchObject({ numerator: 100, rate: 1 });
  });
});

describe("rateInterval", () => {
  it("is [0, 1] before any trial and narrows around the observed rate as trials grow", () => {
    // Act
    const none = rateInterval(0, 0, 0.025);
    const few = rateInterval(50, 100, 0.025);
    const many = rateInterval(5000, 10_000, 0.025);

    // Assess
    expect(none).toEqual([0, 1]);
    expect(few[0]).toBeLessThan(0.5);
    expect(few[1]).toBeGreaterThan(0.5);
    expect(many[0]).toBeGreaterThan(few[0]);
    expect(many[1]).toBeLessThan(few[1]);
    expect(many[1] - many[0]).toBeLessThan(0.05);
  });

  it("starts at 0 when nothing succeeded", () => {
    // Act
    const [low, high] = rateInterval(0, 500, 0.025);

    // Assess
    expect(low).toBe(0);
    expect(high).toBeGreaterThan(0);
    expect(high).toBeLessThan(0.05);
  });
});
