import { describe, expect, it } from "vitest";
import { type AnalysisSettings, type EvaluationInput, evaluate } from "../../functions/domain/evaluate.ts";
import type { AlarmStatus, ArmMetrics } from "../../functions/domain/ports/health-signals.ts";
import { analysisSettings } from "../helpers/analysis-settings.ts";

const analysis = analysisSettings;

const arm = (requests: number, errors: number, p95Ms?: number): ArmMetrics => ({
  requests,
  errors,
  ...(p95Ms === undefined ? {} : { p95Ms }),
});
const alarm = (name: string, state: AlarmStatus["state"]): AlarmStatus => ({
  name,
  type: "metric",
  state,
  reason: state === "ALARM" ? "Threshold Crossed" : "Threshold not crossed",
  updatedAt: "2026-11-26T14:00:00.000Z",
});

function input(overrides: Partial<EvaluationInput> = {}): EvaluationInput {
  return {
    alarms: { found: [alarm("api-5xx", "OK")], missing: [] },
    metrics: { old: arm(9000, 9, 80), new: arm(1000, 1, 82) },
    analysis,
    bake: { elapsedSeconds: 60, bakeSeconds: 300 },
    ...overrides,
  };
}

describe("evaluate", () => {
  it.each<[string, Partial<EvaluationInput>, string, RegExp]>([
    [
      "healthy",
      {},
      "continue",
      /^healthy: 5xx 0\.1% over 1000 requests, no alarm firing; undecided on 10 errors/,
    ],
    [
      "an alarm in ALARM",
      { alarms: { found: [alarm("api-5xx", "ALARM")], missing: [] } },
      "rollback",
      /^alarm in ALARM: api-5xx \(Threshold Crossed\)/,
    ],
    [
      "an alarm in ALARM while the analysis passes",
      {
        alarms: { found: [alarm("api-5xx", "ALARM")], missing: [] },
        metrics: { old: arm(90_000, 450), new: arm(10_000, 50) },
      },
      "rollback",
      /^alarm in ALARM: api-5xx/,
    ],
    [
      "a missing alarm",
      { alarms: { found: [], missing: ["api-5xx"] } },
      "rollback",
      /^alarm not found: api-5xx/,
    ],
    [
      "INSUFFICIENT_DATA alone",
      { alarms: { found: [alarm("api-5xx", "INSUFFICIENT_DATA")], missing: [] } },
      "continue",
      /^healthy/,
    ],
    [
      "too few requests on the new arm",
      { metrics: { old: arm(9000, 9), new: arm(40, 0) } },
      "extend",
      /served 40 of the 100 requests needed/,
    ],
    ["no traffic at all", { metrics: { old: arm(0, 0), new: arm(0, 0) } }, "extend", /served 0 of the 100/],
    [
      "an error rate far over the absolute limit, without a baseline",
      { metrics: { old: arm(0, 0), new: arm(1000, 40) } },
      "rollback",
      /5xx rate 4% is above the 1% limit \(40 of 1000; e-value .+ ≥ 200\)/,
    ],
    [
      "an error rate 20x the old arm's",
      { metrics: { old: arm(9000, 9), new: arm(1000, 20) } },
      "rollback",
      /5xx rate 2% is worse than the old version's 0\.1%: 20 of the 29 errors on 10% of the requests/,
    ],
    [
      "an error rate 8x the old arm's",
      { metrics: { old: arm(9000, 9), new: arm(1000, 8) } },
      "rollback",
      /0\.8% is worse than the old version's 0\.1%: 8 of the 17 errors .* \(e-value 561 ≥ 200\)/,
    ],
    [
      "a clear failure before minRequests (anytime-valid)",
      { metrics: { old: arm(900, 0), new: arm(40, 10) } },
      "rollback",
      /5xx rate 25% is above the 1% limit \(10 of 40/,
    ],
    [
      "a ratio on too few errors to mean anything",
      { metrics: { old: arm(9000, 0), new: arm(1000, 3) } },
      "continue",
      /^healthy: .*undecided on 3 errors/,
    ],
    [
      "no ratio against an old arm with too few requests",
      { metrics: { old: arm(50, 0), new: arm(1000, 8) } },
      "continue",
      /^healthy/,
    ],
    [
      "no errors on either arm",
      { metrics: { old: arm(9000, 0), new: arm(1000, 0) } },
      "continue",
      /^healthy: 5xx 0% over 1000 requests, no alarm firing; no errors on either version to compare$/,
    ],
    [
      "p95 over 1.5x the old arm's (latency pauses by default)",
      { metrics: { old: arm(9000, 9, 80), new: arm(1000, 1, 160) } },
      "pause",
      /^new version's p95 latency 160 ms is 2x the old version's 80 ms \(limit 1\.5x\): paused for a human \(onFail pause\)$/,
    ],
    [
      "p95 over 1.5x the old arm's, with latency onFail rollback",
      {
        metrics: { old: arm(9000, 9, 80), new: arm(1000, 1, 160) },
        analysis: { ...analysis, latency: { onFail: "rollback", forSeconds: 0 } },
      },
      "rollback",
      /^new version's p95 latency 160 ms is 2x the old version's 80 ms \(limit 1\.5x\)$/,
    ],
    [
      "p95 over 1.5x the old arm's, on too few old requests",
      { metrics: { old: arm(50, 0, 80), new: arm(1000, 1, 160) } },
      "continue",
      /^healthy/,
    ],
    [
      "all traffic on the new arm (no baseline)",
      { metrics: { old: arm(0, 0), new: arm(1000, 2, 500) } },
      "continue",
      /^healthy: .*; no old version's traffic to compare with$/,
    ],
  ])("%s → %s", (_case, overrides, verdict, reason) => {
    // Act
    const result = evaluate(input(overrides));

    // Assess
    expect(result.verdict).toBe(verdict);
    expect(result.reason).toMatch(reason);
  });

  it("ends the bake early once the analysis rules out the degradation", () => {
    // Act
    const result = evaluate(input({ metrics: { old: arm(90_000, 450), new: arm(10_000, 50) } }));

    // Assess
    expect(result).toMatchObject({
      verdict: "continue",
      bake: { elapsedSeconds: 60, complete: true },
      values: { analysis: { verdict: "pass", errorRateComparison: { verdict: "pass", errors: 500 } } },
    });
    expect(result.reason).toMatch(
      /^healthy: 5xx 0\.5% over 10000 requests, no alarm firing; 2x the old version's 5xx rate \(0\.5%\) is ruled out \(e-value .+ ≥ 20 on 500 errors\); the bake ends at 60s of 300s$/,
    );
  });

  it("records every value it used", () => {
    // Act
    const result = evaluate(input());

    // Assess
    expect(result.values).toEqual({
      alarms: [{ name: "api-5xx", state: "OK", reason: "Threshold not crossed" }],
      missingAlarms: [],
      old: { requests: 9000, errors: 9, p95Ms: 80, errorRate: 0.001 },
      new: { requests: 1000, errors: 1, p95Ms: 82, errorRate: 0.001 },
      thresholds: {
        minRequests: 100,
        maxErrorRate: 0.01,
        maxErrorRateRatio: 2,
        maxLatencyRatio: 1.5,
        alpha: 0.01,
        phaseAlpha: 0.005,
        beta: 0.05,
        missingData: "inconclusive",
      },
      analysis: {
        verdict: "continue",
        failedBy: null,
        enoughRequests: true,
        leansToDegradation: false,
        errorRateComparison: {
          verdict: "continue",
          applicable: true,
          requestShare: 0.1,
          errorShare: 0.1,
          errors: 10,
          // One error of ten on the new arm: (20/11)^1 (9/11 ÷ 0.9)^9 for 2x, mixed with 4x, 8x and 16x.
          failEValue: 0.4633,
          failBound: 200,
          failRatios: [2, 4, 8, 16],
          likeliestRatio: 2,
          passEValue: 1.297,
          passBound: 20,
          passRatio: 2,
        },
        errorRateLimit: {
          verdict: "continue",
          limit: 0.01,
          requests: 1000,
          errors: 1,
          eValue: 0.00003938,
          bound: 200,
        },
        latency: {
          verdict: "pass",
          ratio: 1.025,
          limit: 1.5,
          oldP95Ms: 80,
          newP95Ms: 82,
          oldP99Ms: null,
          newP99Ms: null,
        },
      },
      bake: { elapsedSeconds: 60, bakeSeconds: 300 },
      checks: [
        { check: "alarms", onFail: "rollback", failing: false, since: null, failed: false },
        { check: "errors", onFail: "rollback", failing: false, since: null, failed: false },
        { check: "latency", onFail: "pause", failing: false, since: null, failed: false },
      ],
      businessMetrics: [],
      targetHealth: null,
      pause: null,
    });
  });

  it("explains a rollback from its values alone", () => {
    // Act
    const { values } = evaluate(input({ metrics: { old: arm(9000, 9), new: arm(1000, 8) } }));

    // Assess
    const comparison = values.analysis.errorRateComparison;
    expect(values.analysis).toMatchObject({ verdict: "fail", failedBy: "error-rate-comparison" });
    expect(comparison.failEValue).toBeGreaterThanOrEqual(comparison.failBound);
    expect(comparison.failBound).toBe(1 / values.thresholds.phaseAlpha);
    expect(comparison).toMatchObject({ errors: 17, requestShare: 0.1 });
    expect(comparison.errorShare).toBeCloseTo(8 / 17, 3);
  });

  it.each<[number, number]>([
    [0, 0.005],
    [1, 0.0025],
    [2, 0.00125],
  ])("phase %i spends alpha %f of 0.01", (phaseIndex, phaseAlpha) => {
    // Act
    const result = evaluate(input({ phaseIndex }));

    // Assess
    expect(result.values.thresholds).toMatchObject({ alpha: 0.01, phaseAlpha });
    expect(result.values.analysis.errorRateComparison.failBound).toBeCloseTo(1 / phaseAlpha, 6);
  });

  it.each<[number, number, number, boolean]>([
    [0, 300, 30, false],
    [280, 300, 20, false],
    [300, 300, 30, true],
    [0, 0, 30, true],
    [0, 10, 10, false],
  ])("bake at %is of %is waits %is, complete %s", (elapsedSeconds, bakeSeconds, waitSeconds, complete) => {
    // Act
    const result = evaluate(input({ bake: { elapsedSeconds, bakeSeconds } }));

    // Assess
    expect(result.bake).toEqual({ elapsedSeconds, waitSeconds, complete });
  });

  it.each<[string, number, string, boolean, ArmMetrics, RegExp]>([
    [
      "leaning towards a degradation",
      300,
      "extend",
      false,
      arm(1000, 9),
      /leaning towards a degradation: baking on, up to 600s$/,
    ],
    [
      "leaning towards a degradation",
      600,
      "continue",
      true,
      arm(1000, 9),
      /no significant degradation after 600s, 2x the planned bake$/,
    ],
    [
      "leaning healthy",
      300,
      "continue",
      true,
      arm(1000, 4),
      /no significant degradation in the planned bake$/,
    ],
  ])(
    "an undecided analysis %s, at %is of 300s → %s (complete %s)",
    (_case, elapsedSeconds, verdict, complete, fresh, reason) => {
      // Act
      const result = evaluate(
        input({
          metrics: { old: arm(9000, 45), new: fresh },
          bake: { elapsedSeconds, bakeSeconds: 300 },
        }),
      );

      // Assess
      expect(result.values.analysis.verdict).toBe("continue");
      expect(result).toMatchObject({ verdict, bake: { complete } });
      expect(result.reason).toMatch(reason);
    },
  );

  it.each<[AnalysisSettings["missingData"], number, string]>([
    ["inconclusive", 300, "extend"],
    ["inconclusive", 600, "rollback"],
    ["notBreaching", 300, "continue"],
    ["breaching", 300, "rollback"],
  ])(
    "with missingData %s, an inconclusive bake at %is of 300s → %s",
    (missingData, elapsedSeconds, verdict) => {
      // Act
      const result = evaluate(
        input({
          analysis: { ...analysis, missingData },
          metrics: { old: arm(0, 0), new: arm(3, 0) },
          bake: { elapsedSeconds, bakeSeconds: 300 },
        }),
      );

      // Assess
      expect(result.verdict).toBe(verdict);
      expect(result.bake.complete).toBe(verdict === "continue");
    },
  );

  it("moves on after a zero-second bake even without data", () => {
    // Act
    const result = evaluate(
      input({ metrics: { old: arm(0, 0), new: arm(0, 0) }, bake: { elapsedSeconds: 0, bakeSeconds: 0 } }),
    );

    // Assess
    expect(result).toMatchObject({ verdict: "continue", bake: { complete: true } });
    expect(result.reason).toContain("no bake planned");
  });

  it("keeps every logged number within what DynamoDB's document client writes (at most 1e15, below 2^53)", () => {
    // Act
    const { values } = evaluate(input({ metrics: { old: arm(0, 0), new: arm(100_000, 90_000) } }));

    // Assess
    expect(values.analysis.errorRateLimit.eValue).toBe(1e15);
    expect(values.analysis.errorRateComparison.failEValue).toBeLessThan(Number.MAX_SAFE_INTEGER);
    expect(JSON.parse(JSON.stringify(values))).toEqual(values);
  });
});
