import { describe, expect, it } from "vitest";
import type { Deployment, DeploymentStatus } from "../../functions/domain/deployment.ts";
import { type DoraMetrics, doraMetrics } from "../../functions/domain/dora.ts";

const now = new Date("2025-03-31T00:00:00.000Z");
const day = 86_400_000;
const minute = 60_000;
let counter = 0;

/** A deployment created `createdDaysAgo` days before `now` that ended `minutes` minutes later. */
function deployment(status: DeploymentStatus, createdDaysAgo: number, minutes: number): Deployment {
  counter += 1;
  const created = now.getTime() - createdDaysAgo * day;
  return {
    id: `d-${String(counter).padStart(20, "0")}`,
    service: "checkout",
    environment: "production",
    artifact: { uri: "repo@sha256:x", digest: `sha256:${counter}`, version: `1.0.${counter}` },
    strategy: "canary",
    status,
    weights: { old: 0, new: 100 },
    createdAt: new Date(created).toISOString(),
    updatedAt: new Date(created + minutes * minute).toISOString(),
    approvals: [],
    attempt: 1,
  };
}

const noFailures = { count: 0, medianSeconds: null, meanSeconds: null, unrestored: 0 };

describe("doraMetrics", () => {
  it.each<[string, readonly Deployment[], number, Partial<DoraMetrics>]>([
    [
      "no deployments: zero frequency, null everything else",
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
      "only live and superseded deployments count as no data",
      [
        deployment("IN_PROGRESS", 1, 5),
        deployment("QUEUED", 2, 0),
        deployment("SUPERSEDED", 3, 1),
        deployment("PAUSED", 4, 10),
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
        deployment("SUCCEEDED", 1, 10),
        deployment("SUCCEEDED", 2, 20),
        deployment("SUCCEEDED", 3, 60),
        deployment("SUCCEEDED", 4, 30),
        deployment("SUCCEEDED", 5, 30),
        deployment("SUCCEEDED", 6, 30),
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
        deployment("ROLLED_BACK", 10, 30), // ends day -10 + 30m, restored by the success of day -9
        deployment("SUCCEEDED", 9, 30), // restores after 1 day
        deployment("FAILED", 5, 0), // ends day -5, restored at day -4 + 1h: 1 day 1 hour
        deployment("ROLLED_BACK", 4.5, 60), // ends day -4.5 + 1h, restored after 12h
        deployment("SUCCEEDED", 4, 60),
        deployment("SUCCEEDED", 2, 10),
        deployment("SUCCEEDED", 1, 20),
        deployment("IN_PROGRESS", 0.5, 1),
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
      [deployment("SUCCEEDED", 3, 30), deployment("ROLLED_BACK", 2, 30), deployment("FAILED", 1, 0)],
      30,
      {
        finished: { succeeded: 1, failed: 1, rolledBack: 1, total: 3 },
        changeFailureRate: 2 / 3,
        timeToRestore: { count: 0, medianSeconds: null, meanSeconds: null, unrestored: 2 },
      },
    ],
    [
      "a failure before the window is not counted even when its restore is inside",
      [deployment("FAILED", 8, 0), deployment("SUCCEEDED", 6, 0)],
      7,
      {
        finished: { succeeded: 1, failed: 0, rolledBack: 0, total: 1 },
        changeFailureRate: 0,
        leadTime: { count: 1, medianSeconds: 0, meanSeconds: 0 },
        timeToRestore: noFailures,
      },
    ],
    [
      "a deployment created before the window that ended inside it counts",
      [deployment("SUCCEEDED", 7.5, 24 * 60)],
      7,
      {
        finished: { succeeded: 1, failed: 0, rolledBack: 0, total: 1 },
        deploymentFrequency: { perDay: 1 / 7, perWeek: 1 },
        leadTime: { count: 1, medianSeconds: 86_400, meanSeconds: 86_400 },
      },
    ],
  ])("%s", (_name, deployments, days, expected) => {
    // Act
    const metrics = doraMetrics(deployments, { days, now });

    // Assess
    expect(metrics).toMatchObject(expected);
    expect(JSON.stringify(metrics)).not.toContain("NaN");
  });

  it("reports the window it measured, ending now", () => {
    // Act
    const metrics = doraMetrics([], { now });

    // Assess
    expect(metrics.window).toEqual({
      from: "2025-03-01T00:00:00.000Z",
      to: "2025-03-31T00:00:00.000Z",
      days: 30,
    });
  });

  it.each([0, -1, Number.NaN])("refuses a window of %s days", (days) => {
    // Act & Assess
    expect(() => doraMetrics([], { days, now })).toThrow(RangeError);
  });

  it("counts a promotion's region waves once, failed when one failed, and leaves out what never ran", () => {
    // Prepare
    const wave = (
      status: DeploymentStatus,
      minutes: number,
      promotionId: string,
      extra: Partial<Deployment> = {},
    ) => ({
      ...deployment(status, 1, minutes),
      promotionId,
      ...extra,
    });
    const deployments = [
      wave("SUCCEEDED", 10, "d-p1", { region: "eu-west-1" }),
      wave("SUCCEEDED", 30, "d-p1", { region: "us-east-1" }),
      wave("ROLLED_BACK", 10, "d-p2", { region: "eu-west-1" }),
      wave("FAILED", 0, "d-p2", { region: "us-east-1", currentStep: "Not deployed" }),
      wave("FAILED", 0, "d-p3", { currentStep: "Not deployed" }),
      wave("SUCCEEDED", 10, "d-p4", { region: "eu-west-1" }),
      wave("IN_PROGRESS", 10, "d-p4", { region: "us-east-1" }),
    ];

    // Act
    const metrics = doraMetrics(deployments, { now });

    // Assess
    expect(metrics.finished).toEqual({ succeeded: 1, failed: 0, rolledBack: 1, total: 2 });
    expect(metrics.changeFailureRate).toBe(0.5);
  });

  it("measures lead time from the push when the promotion's start is known", () => {
    // Prepare
    const record = { ...deployment("SUCCEEDED", 1, 30), promotionId: "d-p1" };
    const pushed = new Date(Date.parse(record.createdAt) - 90 * minute).toISOString();

    // Act
    const withStart = doraMetrics([record], { now, promotionStarts: new Map([["d-p1", pushed]]) });
    const withoutStart = doraMetrics([record], { now });

    // Assess
    expect(withStart.leadTime).toEqual({ count: 1, medianSeconds: 120 * 60, meanSeconds: 120 * 60 });
    expect(withoutStart.leadTime).toEqual({ count: 1, medianSeconds: 30 * 60, meanSeconds: 30 * 60 });
  });
});
