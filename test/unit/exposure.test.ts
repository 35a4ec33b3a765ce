import { describe, expect, it } from "vitest";
import type { Decision } from "../../functions/domain/deployment.ts";
import {
  describeExposure,
  evaluatedColour,
  exposureDecision,
  exposureTotal,
  firstShiftAt,
  inPlanOrder,
} from "../../functions/domain/exposure.ts";

const evaluation = (at: string, elapsedSeconds: number, weight: number): Decision => ({
  deploymentId: "d-00000000000000000001",
  id: `phase-x-at-${elapsedSeconds}s`,
  at,
  action: "continue",
  actor: "analysis",
  reason: "healthy",
  values: {
    phase: { index: 0, weight, bakeSeconds: 60, gates: [] },
    bake: { elapsedSeconds },
    newColour: "green",
  },
});

describe("exposure", () => {
  it("the first shift is the earliest evaluation's time less the bake it had made, whatever the log's order", () => {
    // Arrange
    const log = [
      evaluation("2026-12-03T10:02:00.000Z", 30, 50),
      evaluation("2026-12-03T10:00:40.000Z", 30, 10),
      { ...evaluation("2026-12-03T09:00:00.000Z", 0, 10), values: { approval: true } },
    ];

    // Act
    const from = firstShiftAt(log);

    // Assess
    expect(from).toBe("2026-12-03T10:00:10.000Z");
    expect(evaluatedColour(log)).toBe("green");
  });

  it("nothing evaluated: no first shift and no colour (no traffic moved)", () => {
    expect([firstShiftAt([]), evaluatedColour([])]).toEqual([undefined, undefined]);
  });

  it("sums the waves' exposure entries and counts the waves that recorded none", () => {
    // Arrange
    const entry = (requests: number, errors: number) =>
      exposureDecision("d-00000000000000000001", {
        colour: "green",
        from: "2026-12-03T10:00:00.000Z",
        to: "2026-12-03T10:05:00.000Z",
        requests,
        errors,
        at: "2026-12-03T10:05:00.000Z",
      });

    // Act
    const total = exposureTotal([
      [entry(142, 9)],
      [evaluation("2026-12-03T10:00:40.000Z", 30, 10), entry(58, 1)],
      [],
    ]);

    // Assess
    expect(total).toEqual({ requests: 200, errors: 10, recorded: 2, waves: 3 });
    expect(describeExposure(total)).toBe(
      "the new version served 200 requests and 10 errors (2 of 3 waves recorded)",
    );
  });

  it("puts evaluations in plan order, by phase then bake, where a pause left the bake clock behind the next phase", () => {
    // Arrange: phase 1's last look (bake clock 10:00:50) is stamped after phase 2's first (10:00:45).
    const phase1 = evaluation("2026-12-03T10:00:50.000Z", 50, 10);
    const phase2 = {
      ...evaluation("2026-12-03T10:00:45.000Z", 0, 50),
      values: { phase: { index: 1, weight: 50 }, bake: { elapsedSeconds: 0 } },
    };
    const early = evaluation("2026-12-03T10:00:10.000Z", 10, 10);

    // Act
    const ordered = inPlanOrder([phase2, phase1, early]);

    // Assess
    expect(ordered).toEqual([early, phase1, phase2]);
  });
});
