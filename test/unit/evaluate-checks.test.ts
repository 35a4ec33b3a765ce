import { describe, expect, it } from "vitest";
import {
  type EvaluationInput,
  type EvaluationState,
  evaluate,
  initialState,
} from "../../functions/domain/evaluate.ts";
import type { ArmMetrics } from "../../functions/domain/ports/health-signals.ts";
import { analysisSettings, conversionMetric } from "../helpers/analysis-settings.ts";

const analysis = analysisSettings;
const conversion = conversionMetric;
const arm = (requests: number, errors: number, p95Ms = 80): ArmMetrics => ({ requests, errors, p95Ms });
const healthy = { old: arm(9000, 9), new: arm(1000, 1, 82) };
const slow = { old: arm(9000, 9), new: arm(1000, 1, 160) };
const failing = { old: arm(9000, 9), new: arm(1000, 60, 82) };
const dropped = {
  metric: conversion,
  old: { numerator: 9000, denominator: 45_000 },
  new: { numerator: 700, denominator: 5000 },
};
const paused = (by: "check" | "human", sinceSeconds = 60): EvaluationState => ({
  failing: {},
  pause: { sinceSeconds, by },
  acknowledged: false,
});

function input(overrides: Partial<EvaluationInput> = {}): EvaluationInput {
  return {
    alarms: { found: [], missing: [] },
    metrics: healthy,
    analysis,
    bake: { elapsedSeconds: 60, bakeSeconds: 300 },
    pause: { timeoutSeconds: 600, onTimeout: "rollback" },
    ...overrides,
  };
}

describe("evaluate: what each failed check does (onFail)", () => {
  it.each<[string, Partial<EvaluationInput>, string]>([
    ["a 5xx failure rolls back (errors default)", { metrics: failing }, "rollback"],
    [
      "a 5xx failure with errors onFail pause pauses",
      { metrics: failing, analysis: { ...analysis, errors: { onFail: "pause" } } },
      "pause",
    ],
    ["a p95 failure pauses (latency default)", { metrics: slow }, "pause"],
    ["a business metric 30% down pauses (metric default)", { businessMetrics: [dropped] }, "pause"],
    [
      "a business metric with onFail rollback rolls back",
      { businessMetrics: [{ ...dropped, metric: { ...conversion, onFail: "rollback" } }] },
      "rollback",
    ],
    [
      "unhealthy targets above the share roll back (targetHealth default)",
      {
        targetHealth: {
          settings: { maxUnhealthyShare: 0.3, forSeconds: 0, onFail: "rollback" },
          counts: { healthy: 2, unhealthy: 2 },
        },
      },
      "rollback",
    ],
    [
      "unhealthy targets at the share pass",
      {
        targetHealth: {
          settings: { maxUnhealthyShare: 0.5, forSeconds: 0, onFail: "rollback" },
          counts: { healthy: 2, unhealthy: 2 },
        },
      },
      "continue",
    ],
    [
      "a rollback failure wins over a pause failure",
      { metrics: { old: arm(9000, 9), new: arm(1000, 60, 160) } },
      "rollback",
    ],
  ])("%s", (_name, overrides, verdict) => {
    // Act
    const result = evaluate(input(overrides));

    // Assess
    expect(result.verdict).toBe(verdict);
  });

  it("counts a check with forSeconds once it has failed at every evaluation for that long", () => {
    // Prepare
    const settings = { ...analysis, latency: { onFail: "rollback" as const, forSeconds: 60 } };
    const at = (elapsedSeconds: number, state: EvaluationState) =>
      evaluate(
        input({ metrics: slow, analysis: settings, bake: { elapsedSeconds, bakeSeconds: 300 }, state }),
      );

    // Act
    const first = at(30, initialState);
    const second = at(60, first.state);
    const third = at(90, second.state);

    // Assess
    expect([first.verdict, second.verdict, third.verdict]).toEqual(["continue", "continue", "rollback"]);
    expect(first.reason).toContain(
      "p95 latency 160 ms is 2x the old version's 80 ms (limit 1.5x) (failing for 0s of the 60s it needs)",
    );
    expect(second.state.failing).toEqual({ latency: 30 });
  });

  it("bakes on past the plan while a check fails but not yet for its forSeconds", () => {
    // Act
    const result = evaluate(
      input({
        metrics: slow,
        analysis: { ...analysis, latency: { onFail: "rollback", forSeconds: 60 } },
        bake: { elapsedSeconds: 300, bakeSeconds: 300 },
      }),
    );

    // Assess
    expect(result).toMatchObject({ verdict: "extend", bake: { complete: false } });
  });

  it("bakes on past the plan while a business metric leans towards a drop, and not when it leans the other way", () => {
    // Prepare
    const old = { numerator: 900, denominator: 4500 };
    const at = (numerator: number) =>
      evaluate(
        input({
          businessMetrics: [{ metric: conversion, old, new: { numerator, denominator: 500 } }],
          bake: { elapsedSeconds: 300, bakeSeconds: 300 },
        }),
      );

    // Act
    const lower = at(90);
    const higher = at(110);

    // Assess
    expect(lower.values.businessMetrics[0]?.fail.eValue).toBeGreaterThan(1);
    expect([lower.verdict, higher.verdict]).toEqual(["extend", "continue"]);
  });

  it("restarts forSeconds when the check passes in between", () => {
    // Prepare
    const settings = { ...analysis, latency: { onFail: "rollback" as const, forSeconds: 60 } };

    // Act
    const recovered = evaluate(
      input({
        analysis: settings,
        bake: { elapsedSeconds: 60, bakeSeconds: 300 },
        state: { ...initialState, failing: { latency: 0 } },
      }),
    );

    // Assess
    expect(recovered.state.failing).toEqual({});
  });

  it("starts a pause at this second, waits an interval, and logs the pause with its timeout", () => {
    // Act
    const result = evaluate(input({ businessMetrics: [dropped] }));

    // Assess
    expect(result).toMatchObject({
      verdict: "pause",
      bake: { complete: false, waitSeconds: 30 },
      state: { pause: { sinceSeconds: 60, by: "check" } },
      values: { pause: { sinceSeconds: 60, by: "check", timeoutSeconds: 600 } },
    });
    expect(result.reason).toMatch(
      /^conversion of the new version 14% is 30% below the old version's 20% \(700 of 5000 against 9000 of 45000; e-value .* ≥ 200 for a drop of 10% or more\): paused for a human \(onFail pause\)$/,
    );
  });

  it.each<[string, EvaluationState, Partial<EvaluationInput>, string, RegExp]>([
    [
      "holds a pause while nobody decides, even when the check passes again",
      paused("check"),
      { bake: { elapsedSeconds: 120, bakeSeconds: 300 } },
      "pause",
      /^paused at this weight since 60s by a check, waiting for resume, promote or abort \(540s before pause\.onTimeout\); the checks pass now$/,
    ],
    [
      "rolls back at once on a 5xx failure during a pause",
      paused("check"),
      { metrics: failing, bake: { elapsedSeconds: 120, bakeSeconds: 300 } },
      "rollback",
      /^new version's 5xx rate/,
    ],
    [
      "rolls back at once on an alarm during a pause",
      paused("human"),
      {
        alarms: {
          found: [
            {
              name: "api-5xx",
              type: "metric",
              state: "ALARM",
              reason: "Threshold Crossed",
              updatedAt: "2026-12-02T10:00:00Z",
            },
          ],
          missing: [],
        },
      },
      "rollback",
      /^alarm in ALARM: api-5xx/,
    ],
    [
      "times a check's pause out into a rollback",
      paused("check"),
      { businessMetrics: [dropped], bake: { elapsedSeconds: 660, bakeSeconds: 300 } },
      "rollback",
      /^no decision in the 600s pause since 60s at this weight: the pause timed out into a rollback \(pause\.onTimeout\); conversion/,
    ],
    [
      "never times a human's pause out",
      paused("human"),
      { bake: { elapsedSeconds: 6000, bakeSeconds: 300 } },
      "pause",
      /^paused at this weight since 60s by a human, waiting for resume, promote or abort \(no timeout\)/,
    ],
  ])("%s", (_name, state, overrides, verdict, reason) => {
    // Act
    const result = evaluate(input({ ...overrides, state }));

    // Assess
    expect(result.verdict).toBe(verdict);
    expect(result.reason).toMatch(reason);
  });

  it("marks a rollback at the pause's timeout as such, and only then", () => {
    // Act
    const timedOut = evaluate(
      input({ state: paused("check"), bake: { elapsedSeconds: 660, bakeSeconds: 300 } }),
    );
    const failed = evaluate(input({ state: paused("check"), metrics: failing }));

    // Assess
    expect([timedOut.pauseTimedOut, failed.pauseTimedOut]).toEqual([true, false]);
  });

  it("waits no longer than the pause has left", () => {
    // Act
    const result = evaluate(
      input({ state: paused("check"), bake: { elapsedSeconds: 650, bakeSeconds: 300 } }),
    );

    // Assess
    expect(result.bake.waitSeconds).toBe(10);
  });

  it("waits longer between a pause's evaluations as it lasts: 14 days of a human's pause take under 800", () => {
    // Prepare
    let state = paused("human", 0);
    let elapsedSeconds = 0;
    let evaluations = 0;

    // Act
    while (elapsedSeconds < 14 * 86_400) {
      const result = evaluate(input({ state, bake: { elapsedSeconds, bakeSeconds: 300 } }));
      state = result.state;
      elapsedSeconds += result.bake.waitSeconds;
      evaluations += 1;
    }

    // Assess: about 18 history events each, against Step Functions' 25,000.
    expect(evaluations).toBeLessThan(800);
    const first = evaluate(
      input({ state: paused("human", 0), bake: { elapsedSeconds: 0, bakeSeconds: 300 } }),
    );
    expect(first.bake.waitSeconds).toBe(30);
  });

  it("resumes the plan at the timeout with onTimeout resume, and pauses that phase no more", () => {
    // Act
    const resumed = evaluate(
      input({
        state: paused("check"),
        businessMetrics: [dropped],
        bake: { elapsedSeconds: 660, bakeSeconds: 300 },
        pause: { timeoutSeconds: 600, onTimeout: "resume" },
      }),
    );
    const next = evaluate(
      input({
        state: resumed.state,
        businessMetrics: [dropped],
        bake: { elapsedSeconds: 690, bakeSeconds: 300 },
      }),
    );

    // Assess
    expect(resumed).toMatchObject({ verdict: "continue", state: { pause: null, acknowledged: true } });
    expect(resumed.reason).toMatch(/resuming the plan \(pause\.onTimeout is resume\)/);
    expect(next.verdict).toBe("continue");
    expect(next.reason).toContain("acknowledged by the resume");
  });

  it("ends a bake early only when every business metric has passed too", () => {
    // Prepare
    const passing = { old: arm(90_000, 450), new: arm(10_000, 50) };
    const even = {
      metric: conversion,
      old: { numerator: 90_000, denominator: 450_000 },
      new: { numerator: 50_000, denominator: 250_000 },
    };
    const undecided = {
      metric: conversion,
      old: { numerator: 900, denominator: 4500 },
      new: { numerator: 100, denominator: 500 },
    };

    // Act
    const decided = evaluate(input({ metrics: passing, businessMetrics: [even] }));
    const open = evaluate(input({ metrics: passing, businessMetrics: [undecided] }));

    // Assess
    expect(decided.bake.complete).toBe(true);
    expect(open).toMatchObject({ verdict: "continue", bake: { complete: false } });
    expect(open.reason).toContain("conversion undecided");
  });
});

describe("evaluate: alarms whose onFail is pause", () => {
  const firing = (name: string) => ({
    found: [
      {
        name,
        type: "metric" as const,
        state: "ALARM" as const,
        reason: "Threshold Crossed",
        updatedAt: "2026-12-02T10:00:00Z",
      },
    ],
    missing: [],
  });

  it.each<[string, string, string]>([
    ["the pausing alarm in ALARM pauses", "checkout-p99", "pause"],
    ["another alarm in ALARM still rolls back", "api-5xx", "rollback"],
  ])("%s", (_name, alarm, verdict) => {
    // Act
    const result = evaluate(input({ pauseAlarms: ["checkout-p99"], alarms: firing(alarm) }));

    // Assess
    expect(result.verdict).toBe(verdict);
  });
});
