import { describe, expect, it } from "vitest";
import type { Decision } from "../../functions/domain/deployment.ts";
import { evaluate, initialState } from "../../functions/domain/evaluate.ts";
import { checkVerdicts } from "../../functions/domain/verdicts.ts";
import { analysisSettings, conversionMetric } from "../helpers/analysis-settings.ts";

const evaluation = (elapsedSeconds: number, numerator: number, state = initialState) =>
  evaluate({
    alarms: { found: [], missing: [] },
    metrics: { old: { requests: 9000, errors: 9, p95Ms: 80 }, new: { requests: 1000, errors: 1, p95Ms: 82 } },
    analysis: analysisSettings,
    bake: { elapsedSeconds, bakeSeconds: 300 },
    businessMetrics: [
      {
        metric: conversionMetric,
        old: { numerator: 9000, denominator: 45_000 },
        new: { numerator, denominator: 5000 },
      },
    ],
    state,
  });
const logged = (elapsedSeconds: number, result: ReturnType<typeof evaluation>): Decision => ({
  deploymentId: "d-1",
  id: `phase-1-at-${elapsedSeconds}s`,
  at: new Date(Date.UTC(2026, 11, 2, 10, 0, elapsedSeconds)).toISOString(),
  action: result.verdict,
  actor: "analysis",
  reason: result.reason,
  values: JSON.parse(JSON.stringify(result.values)),
});

describe("checkVerdicts", () => {
  it("reports the last evaluation's checks and business metrics, and the first pause with its reason", () => {
    // Prepare
    const healthy = evaluation(0, 1000);
    const dropped = evaluation(30, 700, healthy.state);
    const held = evaluation(60, 700, dropped.state);
    const human: Decision = {
      ...logged(45, healthy),
      id: "pause-p1-r0-60s:resume",
      action: "resume",
      actor: "cli:alice",
      values: {},
    };

    // Act
    const verdicts = checkVerdicts([logged(0, healthy), logged(30, dropped), human, logged(60, held)]);

    // Assess
    expect(verdicts).toMatchObject({
      last: "pause",
      checks: expect.arrayContaining([{ check: "metric:conversion", onFail: "pause", failed: true }]),
      businessMetrics: [{ name: "conversion", verdict: "fail", oldRate: 0.2, newRate: 0.14 }],
      paused: {
        at: "2026-12-02T10:00:30.000Z",
        reason: expect.stringMatching(/: paused for a human \(onFail pause\)$/),
      },
    });
  });

  it("says nothing ran for a deployment without an evaluation", () => {
    // Assess
    expect(checkVerdicts([])).toEqual({
      last: null,
      checks: [],
      businessMetrics: [],
      paused: null,
      experiment: null,
    });
  });
});
