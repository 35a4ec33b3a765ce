import { describe, expect, it } from "vitest";
import { type AnalysisSettings, type EvaluationInput, evaluate } from "../../functions/domain/evaluate.ts";
import type { AlarmStatus, ArmMetrics } from "../../functions/domain/ports/health-signals.ts";

const analysis: AnalysisSettings = {
  intervalSeconds: 30,
  minRequests: 100,
  maxErrorRate: 0.01,
  maxErrorRateRatio: 2,
  maxLatencyRatio: 1.5,
  alpha: 0.01,
  missingData: "inconclusive",
};

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
    ["healthy", {}, "continue", /^healthy: 5xx 0\.1% over 1000 requests/],
    [
      "an alarm in ALARM",
      { alarms: { found: [alarm("api-5xx", "ALARM")], missing: [] } },
      "rollback",
      /^alarm in ALARM: api-5xx \(Threshold Crossed\)/,
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
      "an absolute error rate over the limit",
      { metrics: { old: arm(9000, 9), new: arm(1000, 20) } },
      "rollback",
      /5xx rate 2% is above the 1% limit \(20 of 1000\)/,
    ],
    [
      "an error rate over twice the old arm's",
      { metrics: { old: arm(9000, 9), new: arm(1000, 8) } },
      "rollback",
      /0\.8% is more than 2x the old version's 0\.1%/,
    ],
    [
      "a ratio on too few errors to mean anything",
      { metrics: { old: arm(9000, 0), new: arm(1000, 3) } },
      "continue",
      /^healthy/,
    ],
    [
      "no ratio against an old arm with too few requests",
      { metrics: { old: arm(50, 0), new: arm(1000, 8) } },
      "continue",
      /^healthy/,
    ],
    [
      "p95 over 1.5x the old arm's",
      { metrics: { old: arm(9000, 9, 80), new: arm(1000, 1, 160) } },
      "rollback",
      /p95 latency 160 ms is 2x the old version's 80 ms \(limit 1\.5x\)/,
    ],
    [
      "all traffic on the new arm (no baseline)",
      { metrics: { old: arm(0, 0), new: arm(1000, 2, 500) } },
      "continue",
      /^healthy/,
    ],
  ])("%s → %s", (_case, overrides, verdict, reason) => {
    // Act
    const result = evaluate(input(overrides));

    // Assess
    expect(result.verdict).toBe(verdict);
    expect(result.reason).toMatch(reason);
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
        missingData: "inconclusive",
      },
      bake: { elapsedSeconds: 60, bakeSeconds: 300 },
    });
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
});
