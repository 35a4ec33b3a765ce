import { describe, expect, it } from "vitest";
import { defaultOptions } from "../../bench/business/index.ts";
import { glidepathPolicy, simulateDrop } from "../../bench/business/simulate.ts";
import { testBusinessMetric } from "../../functions/domain/analysis/business-metric.ts";

const settings = { alpha: 0.005, beta: 0.05, maxDrop: 0.1, minSamples: 100 } as const;

describe("testBusinessMetric", () => {
  it.each<
    [string, { numerator: number; denominator: number }, { numerator: number; denominator: number }, string]
  >([
    [
      "the same rate on both arms, a modest sample",
      { numerator: 1800, denominator: 9000 },
      { numerator: 200, denominator: 1000 },
      "continue",
    ],
    [
      "30% fewer conversions on the new arm",
      { numerator: 9000, denominator: 45_000 },
      { numerator: 700, denominator: 5000 },
      "fail",
    ],
    [
      "the same rate on both arms, a large sample",
      { numerator: 90_000, denominator: 450_000 },
      { numerator: 50_000, denominator: 250_000 },
      "pass",
    ],
    [
      "30% fewer, but fewer than minSamples on the new arm",
      { numerator: 900, denominator: 4500 },
      { numerator: 7, denominator: 50 },
      "continue",
    ],
  ])("%s → %s", (_name, old, fresh, verdict) => {
    // Act
    const test = testBusinessMetric(old, fresh, settings);

    // Assess
    expect(test.verdict).toBe(verdict);
  });

  it("reports both rates, the lift and the e-value against its bound", () => {
    // Act
    const test = testBusinessMetric(
      { numerator: 9000, denominator: 45_000 },
      { numerator: 700, denominator: 5000 },
      settings,
    );

    // Assess
    expect(test).toMatchObject({
      applicable: true,
      enoughSamples: true,
      old: { rate: 0.2 },
      new: { rate: 0.14 },
      fail: { bound: 200, ratios: [0.9, 0.8, 0.6, 0.19999999999999996] },
      pass: { bound: 20, ratio: 0.9 },
    });
    expect(test.lift).toBeCloseTo(-0.3, 10);
    expect(test.fail.eValue).toBeGreaterThan(200);
  });

  it("is not applicable while an arm has no checkout", () => {
    // Act
    const test = testBusinessMetric(
      { numerator: 0, denominator: 0 },
      { numerator: 70, denominator: 500 },
      settings,
    );

    // Assess
    expect(test).toMatchObject({ verdict: "continue", applicable: false, lift: null, old: { rate: null } });
  });

  it("mixes only the drops that leave a ratio above 0", () => {
    // Act
    const test = testBusinessMetric(
      { numerator: 9000, denominator: 45_000 },
      { numerator: 700, denominator: 5000 },
      { ...settings, maxDrop: 0.3 },
    );

    // Assess
    expect(test.fail.ratios.map((ratio) => Number(ratio.toFixed(2)))).toEqual([0.7, 0.4]);
  });
});

describe("testBusinessMetric by simulation (bench/business: a 30-minute phase at 10%, ±20% noisy rate)", () => {
  const policy = glidepathPolicy({ alpha: 0.01, maxDrop: 0.1, minSamples: 100 });

  it.each<[number, "at most" | "at least", number]>([
    [0, "at most", 0.01],
    [0.1, "at least", 0.9],
    [0.3, "at least", 0.99],
  ])("a %s drop pauses in %s %s of 300 runs", (drop, direction, bound) => {
    // Act
    const [result] = simulateDrop({ ...defaultOptions.scenario, drop }, [policy], 300, 7);

    // Assess
    if (direction === "at most") expect(result?.pauseRate).toBeLessThanOrEqual(bound);
    else expect(result?.pauseRate).toBeGreaterThanOrEqual(bound);
  });
});
