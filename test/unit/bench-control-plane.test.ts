import { describe, expect, it } from "vitest";
import { endState, formatReport, runControlPlane } from "../../bench/control-plane/index.ts";
import { quantile } from "../../bench/stats.ts";
import { logger } from "../../functions/shared/logger.ts";

describe("control-plane benchmark", () => {
  it("a small run through the real trigger on dynalite holds every check and ends with the JSON summary", {
    timeout: 120_000,
  }, async () => {
    // Prepare
    logger.setLogLevel("SILENT");

    // Act
    const report = await runControlPlane({ events: 120, services: 12, seed: 3, concurrency: 8 });

    // Assess
    expect(report.trigger.violations).toEqual([]);
    const outcomes = Object.values(report.trigger.outcomes).reduce((sum, count) => sum + count, 0);
    expect(outcomes).toBe(120);
    expect(report.redelivered).toBe(12);
    expect(report.trigger.records.PROMOTED).toBeGreaterThanOrEqual(12);
    const summary = JSON.parse(formatReport(report).split("\n").at(-1) ?? "");
    expect(Object.keys(summary).sort()).toEqual(
      [
        "concurrency",
        "events",
        "eventsPerSecond",
        "failedDeliveries",
        "floorEventsPerSecond",
        "floorP99Ms",
        "outcomes",
        "p50Ms",
        "p99Ms",
        "peakRssMiB",
        "promotions",
        "ratio",
        "seed",
        "services",
        "violations",
      ].sort(),
    );
    expect(summary.ratio).toBeGreaterThan(0);
  });

  it("names a promotion left running, a lock left held or promised, and a service left on an older artifact", () => {
    // Act
    const { records, violations } = endState({
      promotions: [
        { id: "p-new", status: "PROMOTED", version: "1.0.2" },
        { id: "p-old", status: "PROMOTED", version: "1.0.1" },
        { id: "p-stuck", status: "RUNNING", version: "1.0.3" },
        { id: "p-gone" },
      ],
      services: [
        { name: "a", newest: "1.0.2", endedOn: "p-new" },
        { name: "b", newest: "1.0.2", endedOn: "p-old" },
        { name: "c", newest: "1.0.3", holder: "p-stuck", endedOn: "p-new" },
        { name: "d", newest: "1.0.2", queued: "p-next", endedOn: "p-new" },
      ],
    });

    // Assess
    expect(records).toEqual({ PROMOTED: 2, RUNNING: 1 });
    expect(violations).toEqual([
      "p-stuck: still RUNNING",
      "p-gone: an outcome named it, and it has no record",
      "b: ends on 1.0.1, its newest artifact is 1.0.2",
      "c: lock still held by p-stuck",
      "c: ends on 1.0.2, its newest artifact is 1.0.3",
      "d: lock still queued for p-next",
    ]);
  });
});

describe("benchmark statistics", () => {
  it.each([
    [0.5, 2],
    [0.99, 4],
    [1, 4],
    [0, 1],
  ])("the nearest-rank quantile %s of 1, 2, 3, 4 is %s", (q, expected) => {
    expect(quantile([1, 2, 3, 4], q)).toBe(expected);
  });

  it("has no quantile of nothing", () => {
    expect(quantile([], 0.5)).toBeNull();
  });
});
