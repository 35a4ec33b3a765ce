import { describe, expect, it } from "vitest";
import { type DoraMetrics, doraMetrics } from "../../functions/domain/dora.ts";
import type {
  EnvironmentStatus,
  Promotion,
  PromotionEnvironmentRecord,
} from "../../functions/domain/promotion/record.ts";
import type { Release } from "../../functions/domain/release/record.ts";

const now = new Date("2025-03-31T00:00:00.000Z");
const day = 86_400_000;
const minute = 60_000;
let counter = 0;

type Outcome = EnvironmentStatus | "QUEUED";

/**
 * A promotion pushed `pushedDaysAgo` days before `now` whose production environment ended `minutes` minutes
 * later with `status` (QUEUED: it never got there; IN_PROGRESS: still there). Its waves ended as `waves` say.
 */
function promotion(
  status: Outcome,
  pushedDaysAgo: number,
  minutes: number,
  waves: readonly (string | undefined)[] = [status === "NOT_DEPLOYED" ? undefined : outcomeOf(status)],
): Promotion {
  counter += 1;
  const pushed = now.getTime() - pushedDaysAgo * day;
  const production: PromotionEnvironmentRecord = {
    name: "production",
    status: status === "QUEUED" ? "PENDING" : status,
    waves: waves.map((outcome, index) => ({
      deploymentId: `d-${counter}-${index}`,
      ...(outcome === undefined ? {} : { outcome }),
    })),
    ...(["PENDING", "IN_PROGRESS", "QUEUED"].includes(status)
      ? {}
      : { endedAt: new Date(pushed + minutes * minute).toISOString() }),
  };
  return {
    id: `p-${String(counter).padStart(20, "0")}`,
    service: "checkout",
    artifact: { uri: "repo@sha256:x", digest: `sha256:${counter}`, version: `1.0.${counter}` },
    publishedAt: new Date(pushed).toISOString(),
    status: status === "QUEUED" ? "SUPERSEDED" : "PROMOTED",
    environments: [production],
    hooks: [],
    lock: "none",
    createdAt: new Date(pushed).toISOString(),
    updatedAt: new Date(pushed + minutes * minute).toISOString(),
    revision: 1,
  };
}

function outcomeOf(status: Outcome): string | undefined {
  return ["SUCCEEDED", "ROLLED_BACK", "FAILED"].includes(status) ? status : undefined;
}

const noFailures = { count: 0, medianSeconds: null, meanSeconds: null, unrestored: 0 };

describe("doraMetrics", () => {
  it.each<[string, readonly Promotion[], number, Partial<DoraMetrics>]>([
    [
      "no promotions: zero frequency, null everything else",
      [],
      30,
      {
        finished: { succeeded: 0, failed: 0, rolledBack: 0, total: 0 },
        deploymentFrequency: { perDay: 0, perWeek: 0 },
        leadTime: { count: 0, medianSeconds: null, meanSeconds: null },
        changeFailureRate: null,
        timeToRestore: noFailures,
      },
    ],
    [
      "promotions still in production, never there, or stopped there before deploying are no change",
      [
        promotion("IN_PROGRESS", 1, 5),
        promotion("QUEUED", 2, 0),
        promotion("PENDING", 3, 1),
        promotion("NOT_DEPLOYED", 4, 10),
        promotion("FROZEN", 4, 10, [undefined]),
      ],
      30,
      {
        finished: { succeeded: 0, failed: 0, rolledBack: 0, total: 0 },
        changeFailureRate: null,
        leadTime: { count: 0, medianSeconds: null, meanSeconds: null },
      },
    ],
    [
      "successes only: frequency, lead time median and mean, no failures",
      [
        promotion("SUCCEEDED", 1, 10),
        promotion("SUCCEEDED", 2, 20),
        promotion("SUCCEEDED", 3, 60),
        promotion("SUCCEEDED", 4, 30),
        promotion("SUCCEEDED", 5, 30),
        promotion("SUCCEEDED", 6, 30),
      ],
      3,
      {
        // Only the three that ended in the last 3 days.
        finished: { succeeded: 3, failed: 0, rolledBack: 0, total: 3 },
        deploymentFrequency: { perDay: 1, perWeek: 7 },
        leadTime: { count: 3, medianSeconds: 1200, meanSeconds: 1800 },
        changeFailureRate: 0,
        timeToRestore: noFailures,
      },
    ],
    [
      "failures and restores: each failure's end to the next success's end",
      [
        promotion("ROLLED_BACK", 10, 30), // ends day -10 + 30m, restored by the success of day -9
        promotion("SUCCEEDED", 9, 30), // restores after 1 day
        promotion("FAILED", 5, 0), // ends day -5, restored at day -4 + 1h: 1 day 1 hour
        promotion("ROLLED_BACK", 4.5, 60), // ends day -4.5 + 1h, restored after 12h
        promotion("SUCCEEDED", 4, 60),
        promotion("SUCCEEDED", 2, 10),
        promotion("SUCCEEDED", 1, 20),
        promotion("IN_PROGRESS", 0.5, 1),
      ],
      14,
      {
        finished: { succeeded: 4, failed: 1, rolledBack: 2, total: 7 },
        deploymentFrequency: { perDay: 4 / 14, perWeek: 2 },
        leadTime: { count: 4, medianSeconds: 1500, meanSeconds: 1800 },
        changeFailureRate: 3 / 7,
        // Restores of 1 day, 1 day 1 hour and 12 hours.
        timeToRestore: { count: 3, medianSeconds: 86_400, meanSeconds: 73_200, unrestored: 0 },
      },
    ],
    [
      "a failure no success has followed yet is unrestored, not in the sample",
      [promotion("SUCCEEDED", 3, 30), promotion("ROLLED_BACK", 2, 30), promotion("FAILED", 1, 0)],
      30,
      {
        finished: { succeeded: 1, failed: 1, rolledBack: 1, total: 3 },
        changeFailureRate: 2 / 3,
        timeToRestore: { count: 0, medianSeconds: null, meanSeconds: null, unrestored: 2 },
      },
    ],
    [
      "a failure before the window is not counted even when its restore is inside",
      [promotion("FAILED", 8, 0), promotion("SUCCEEDED", 6, 0)],
      7,
      {
        finished: { succeeded: 1, failed: 0, rolledBack: 0, total: 1 },
        changeFailureRate: 0,
        leadTime: { count: 1, medianSeconds: 0, meanSeconds: 0 },
        timeToRestore: noFailures,
      },
    ],
    [
      "a promotion pushed before the window whose production ended inside it counts",
      [promotion("SUCCEEDED", 7.5, 24 * 60)],
      7,
      {
        finished: { succeeded: 1, failed: 0, rolledBack: 0, total: 1 },
        deploymentFrequency: { perDay: 1 / 7, perWeek: 1 },
        leadTime: { count: 1, medianSeconds: 86_400, meanSeconds: 86_400 },
      },
    ],
  ])("%s", (_name, promotions, days, expected) => {
    // Act
    const metrics = doraMetrics(promotions, "production", { days, now });

    // Assess
    expect(metrics).toMatchObject(expected);
    expect(JSON.stringify(metrics)).not.toContain("NaN");
  });

  it("reports the window it measured, ending now", () => {
    // Act
    const metrics = doraMetrics([], "production", { now });

    // Assess
    expect(metrics.window).toEqual({
      from: "2025-03-01T00:00:00.000Z",
      to: "2025-03-31T00:00:00.000Z",
      days: 30,
    });
  });

  it.each([0, -1, Number.NaN])("refuses a window of %s days", (days) => {
    // Act & Assess
    expect(() => doraMetrics([], "production", { days, now })).toThrow(RangeError);
  });

  it("counts a promotion's region waves once, by what its environment did, frozen by what its waves did", () => {
    // Prepare
    const promotions = [
      promotion("SUCCEEDED", 1, 30, ["SUCCEEDED", "SUCCEEDED"]),
      promotion("ROLLED_BACK", 1, 10, ["ROLLED_BACK", undefined]),
      promotion("FROZEN", 1, 10, ["ROLLED_BACK", undefined]),
      promotion("FROZEN", 1, 10, [undefined, undefined]),
      promotion("IN_PROGRESS", 1, 10, ["SUCCEEDED", undefined]),
    ];

    // Act
    const metrics = doraMetrics(promotions, "production", { now });

    // Assess
    expect(metrics.finished).toEqual({ succeeded: 1, failed: 0, rolledBack: 2, total: 3 });
    expect(metrics.changeFailureRate).toBe(2 / 3);
  });

  it("measures lead time from the push, across queueing and every earlier environment", () => {
    // Prepare
    const pushed = promotion("SUCCEEDED", 1, 120);

    // Act
    const metrics = doraMetrics([pushed], "production", { now });

    // Assess
    expect(metrics.leadTime).toEqual({ count: 1, medianSeconds: 120 * 60, meanSeconds: 120 * 60 });
  });

  it("counts nothing for an environment the promotions do not have", () => {
    // Act
    const metrics = doraMetrics([promotion("SUCCEEDED", 1, 10)], "staging", { now });

    // Assess
    expect(metrics.finished.total).toBe(0);
  });

  it.each([
    {
      name: "a release that succeeded is a success of each service",
      environment: "SUCCEEDED",
      checkout: "SUCCEEDED",
      counts: { succeeded: 1, failed: 0, rolledBack: 0 },
    },
    {
      name: "the service that failed it is a failure",
      environment: "FAILED",
      checkout: "FAILED",
      counts: { succeeded: 0, failed: 1, rolledBack: 0 },
    },
    {
      name: "a service it rolled back is a rollback",
      environment: "FAILED",
      checkout: "ROLLED_BACK",
      counts: { succeeded: 0, failed: 0, rolledBack: 1 },
    },
    {
      name: "a service that succeeded and stayed is still a failure of the release",
      environment: "FAILED",
      checkout: "SUCCEEDED",
      counts: { succeeded: 0, failed: 1, rolledBack: 0 },
    },
    {
      name: "a service it never deployed there is no change",
      environment: "FAILED",
      checkout: "NOT_DEPLOYED",
      counts: { succeeded: 0, failed: 0, rolledBack: 0 },
    },
  ] as const)("counts a release's change of the service: $name", ({ environment, checkout, counts }) => {
    // Prepare: a release of checkout and payments, pushed a day ago, over in production 30 minutes later.
    const pushed = now.getTime() - day;
    const services = { checkout, payments: "FAILED" } as const;
    const release: Release = {
      id: "r-0123456789abcdef0123",
      artifacts: {},
      groups: [["checkout", "payments"]],
      publishedAt: new Date(pushed).toISOString(),
      status: environment === "SUCCEEDED" ? "PROMOTED" : "STOPPED",
      environments: [
        {
          name: "production",
          status: environment,
          services,
          endedAt: new Date(pushed + 30 * minute).toISOString(),
        },
      ],
      locks: [],
      hooks: [],
      createdAt: new Date(pushed).toISOString(),
      updatedAt: new Date(pushed).toISOString(),
      revision: 9,
    };

    // Act
    const metrics = doraMetrics([promotion("SUCCEEDED", 2, 10)], "production", {
      now,
      releases: { service: "checkout", releases: [release] },
    });

    // Assess
    const changes = counts.succeeded + counts.failed + counts.rolledBack;
    expect(metrics.finished).toEqual({ ...counts, succeeded: counts.succeeded + 1, total: changes + 1 });
    expect(metrics.leadTime.count).toBe(counts.succeeded + 1);
  });
});
