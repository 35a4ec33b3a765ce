import { describe, expect, it } from "vitest";
import { evaluateAlarm } from "../../functions/domain/alarm-evaluation.ts";
import { parseConfig } from "../../functions/domain/config/index.ts";
import {
  type EvaluationInput,
  type EvaluationState,
  evaluate,
  initialState,
} from "../../functions/domain/evaluate.ts";
import { acceptsAction, mayDecide, resolutionOf } from "../../functions/domain/gates.ts";
import type { ArmMetrics } from "../../functions/domain/ports/health-signals.ts";
import triggers from "../fixtures/config/rollback-triggers.json" with { type: "json" };

/**
 * The five rules of thumb platform teams write, as one Glidepath config (test/fixtures/config/rollback-triggers.json):
 * 5xx above 1% for 5 minutes rolls back; p95 up more than 50% for 5 minutes pauses; more than 30% of targets
 * unhealthy for 3 minutes rolls back; conversions down more than 10% pause; an authorised person may abort.
 */
const environment = (() => {
  const found = parseConfig(triggers).services[0]?.environments[0];
  if (found === undefined) throw new Error("the fixture has no environment");
  return found;
})();

const arm = (requests: number, errors: number, p95Ms: number): ArmMetrics => ({ requests, errors, p95Ms });
const healthy = { old: arm(9000, 9, 80), new: arm(1000, 1, 82) };

function input(overrides: Partial<EvaluationInput>): EvaluationInput {
  return {
    alarms: { found: [], missing: [] },
    metrics: healthy,
    analysis: environment.analysis,
    bake: { elapsedSeconds: 0, bakeSeconds: 900 },
    pause: environment.pause,
    ...overrides,
  };
}

/** Evaluations every 30 s from 0 to `until`, each seeing what `at` gives; the verdict of each. */
function bake(until: number, at: (elapsedSeconds: number) => Partial<EvaluationInput>) {
  let state: EvaluationState = initialState;
  const verdicts: [number, string][] = [];
  for (let elapsed = 0; elapsed <= until; elapsed += 30) {
    const result = evaluate(
      input({ ...at(elapsed), bake: { elapsedSeconds: elapsed, bakeSeconds: 900 }, state }),
    );
    verdicts.push([elapsed, result.verdict]);
    state = result.state;
  }
  return verdicts;
}

describe("the rollback triggers users write, as one config", () => {
  it("validates", () => {
    // Assess
    expect({
      alarms: environment.alarms.map((alarm) => alarm.kind),
      latency: environment.analysis.latency,
      targetHealth: environment.targetHealth,
      metrics: environment.metrics.map((metric) => [metric.name, metric.maxDrop, metric.onFail]),
      approvers: environment.approval.approvers,
    }).toEqual({
      alarms: ["definition"],
      latency: { onFail: "pause", forSeconds: 300 },
      targetHealth: { maxUnhealthyShare: 0.3, forSeconds: 180, onFail: "rollback" },
      metrics: [["conversion", 0.1, "pause"]],
      approvers: ["U024BE7LH"],
    });
  });

  it("5xx above 1% for 5 minutes: the alarm goes into ALARM at the fifth breaching minute, and that rolls back", () => {
    // Prepare
    const [alarm] = environment.alarms;
    if (alarm?.kind !== "definition") throw new Error("the fixture's alarm is a definition");

    // Act
    const four = evaluateAlarm({ alarm, previousState: "OK", datapoints: [0.001, 0.02, 0.02, 0.02, 0.02] });
    const five = evaluateAlarm({ alarm, previousState: "OK", datapoints: [0.02, 0.02, 0.02, 0.02, 0.02] });
    const result = evaluate(
      input({
        alarms: {
          found: [
            {
              name: alarm.name,
              type: "metric",
              state: five.state,
              reason: five.reason,
              updatedAt: "2026-12-02T10:05:00Z",
            },
          ],
          missing: [],
        },
      }),
    );

    // Assess
    expect([four.state, five.state]).toEqual(["OK", "ALARM"]);
    expect(result.verdict).toBe("rollback");
  });

  it("p95 up more than 50% for 5 minutes: pauses at the evaluation 300 s after it began, not before", () => {
    // Act
    const verdicts = bake(330, (elapsed) => ({
      metrics: elapsed >= 30 ? { old: arm(9000, 9, 80), new: arm(1000, 1, 130) } : healthy,
    }));

    // Assess
    expect(verdicts.filter(([, verdict]) => verdict === "pause").map(([elapsed]) => elapsed)).toEqual([330]);
    expect(verdicts.filter(([, verdict]) => verdict === "rollback")).toEqual([]);
  });

  it("more than 30% of targets unhealthy for 3 minutes: rolls back at the evaluation 180 s after it began", () => {
    // Act
    const verdicts = bake(240, (elapsed) => ({
      targetHealth: {
        settings: environment.targetHealth ?? { maxUnhealthyShare: 1, forSeconds: 0, onFail: "rollback" },
        counts: elapsed >= 60 ? { healthy: 6, unhealthy: 4 } : { healthy: 10, unhealthy: 0 },
      },
    }));

    // Assess
    expect(verdicts.find(([, verdict]) => verdict === "rollback")).toEqual([240, "rollback"]);
  });

  it("conversions down more than 10%: a 30% drop pauses, the same rate does not", () => {
    // Prepare
    const [metric] = environment.metrics;
    if (metric === undefined) throw new Error("the fixture has a business metric");
    const old = { numerator: 9000, denominator: 45_000 };

    // Act
    const drop = evaluate(
      input({ businessMetrics: [{ metric, old, new: { numerator: 700, denominator: 5000 } }] }),
    );
    const same = evaluate(
      input({ businessMetrics: [{ metric, old, new: { numerator: 1000, denominator: 5000 } }] }),
    );

    // Assess
    expect([drop.verdict, same.verdict]).toEqual(["pause", "continue"]);
  });

  it("an authorised person asks: an approver's abort rolls back, anyone else's is refused", () => {
    // Prepare
    const gate = { kind: "bake" as const, approvers: environment.approval.approvers };

    // Act
    const resolution = resolutionOf(
      "bake",
      "abort",
      { action: "abort", actor: "slack:U024BE7LH", at: "2026-12-02T10:00:00Z" },
      "bake at 10%",
    );

    // Assess
    expect(acceptsAction(gate, "abort")).toBe(true);
    expect([mayDecide(gate, "slack:U024BE7LH"), mayDecide(gate, "slack:U0OTHER")]).toEqual([true, false]);
    expect(resolution).toEqual({
      type: "failure",
      error: "GateRejectedError",
      cause: "slack:U024BE7LH aborted the deployment at the bake at 10%",
    });
  });
});
