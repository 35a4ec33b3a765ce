import { describe, expect, it } from "vitest";
import { reportModel } from "../../cli/report/model.ts";
import { type ReportStores, readReport } from "../../cli/report/read.ts";
import { UsageError } from "../../cli/usage-error.ts";
import type { ExperimentVerdict } from "../../functions/domain/analysis/experiment.ts";
import type { Decision, Deployment, DeploymentStatus } from "../../functions/domain/deployment.ts";
import type { EvaluationValues } from "../../functions/domain/evaluation-values.ts";
import type { ExposureValues } from "../../functions/domain/exposure.ts";
import type { Promotion } from "../../functions/domain/promotion/record.ts";

const promotionId = "p-0123456789abcdef0123";
const staging = "d-aaaaaaaaaaaaaaaaaaaa";
const euWest = "d-bbbbbbbbbbbbbbbbbbbb";
const usEast = "d-cccccccccccccccccccc";
const artifact = { uri: "local://checkout@sha256:ab", digest: `sha256:${"ab".repeat(32)}`, version: "1.4.1" };

/** `09:mm:ss` on the day of the fixtures. */
const at = (time: string) => `2026-03-02T09:${time}.000Z`;

interface Arm {
  readonly requests: number;
  readonly errors: number;
  readonly p95Ms?: number;
}

/** An evaluation as the evaluate step logs it: every value it used, the phase it judged and the new colour. */
function evaluation(
  deploymentId: string,
  input: {
    readonly at: string;
    readonly action?: Decision["action"];
    readonly phase: { readonly index: number; readonly weight: number; readonly bakeSeconds: number };
    readonly elapsedSeconds: number;
    readonly old: Arm;
    readonly new: Arm;
    readonly failEValue?: number;
    readonly limitEValue?: number;
    readonly alarm?: "OK" | "ALARM";
  },
): Decision {
  const arm = (counts: Arm) => ({
    ...counts,
    errorRate: counts.requests === 0 ? null : counts.errors / counts.requests,
  });
  const applicable = input.old.requests > 0;
  const values = {
    alarms: [{ name: "checkout-5xx", state: input.alarm ?? "OK", reason: "Threshold Crossed" }],
    missingAlarms: [],
    old: arm(input.old),
    new: arm(input.new),
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
      verdict: input.action === "rollback" ? "fail" : "continue",
      failedBy: input.action === "rollback" ? "error-rate-limit" : null,
      enoughRequests: input.new.requests >= 100,
      leansToDegradation: false,
      errorRateComparison: {
        verdict: "continue",
        applicable,
        requestShare: applicable ? 0.25 : null,
        errorShare: applicable ? 0.9 : null,
        errors: input.old.errors + input.new.errors,
        failEValue: input.failEValue ?? 1,
        failBound: 200,
        failRatios: [2, 4, 8, 16],
        likeliestRatio: 2,
        passEValue: 0.5,
        passBound: 20,
        passRatio: 2,
      },
      errorRateLimit: {
        verdict: "continue",
        limit: 0.01,
        requests: input.new.requests,
        errors: input.new.errors,
        eValue: input.limitEValue ?? 1,
        bound: 200,
      },
      latency: {
        verdict: "skipped",
        skippedBecause: "no baseline",
        ratio: null,
        limit: 1.5,
        oldP95Ms: input.old.p95Ms ?? null,
        newP95Ms: input.new.p95Ms ?? null,
        oldP99Ms: null,
        newP99Ms: null,
      },
    },
    bake: { elapsedSeconds: input.elapsedSeconds, bakeSeconds: input.phase.bakeSeconds },
    checks: [{ check: "errors", onFail: "rollback", failing: false, since: null, failed: false }],
    businessMetrics: [],
    targetHealth: null,
    pause: null,
  } satisfies EvaluationValues;
  return {
    deploymentId,
    id: `phase-${input.phase.index + 1}-at-${input.elapsedSeconds}s`,
    at: input.at,
    action: input.action ?? "continue",
    actor: input.alarm === "ALARM" ? "alarm:checkout-5xx" : "analysis",
    reason: "healthy so far",
    values: { ...values, phase: { ...input.phase, gates: [] }, newColour: "green" },
  };
}

/** The exposure entry as the record step writes it. */
function exposure(deploymentId: string, values: ExposureValues): Decision {
  return {
    deploymentId,
    id: "exposure",
    at: values.to,
    action: "exposure",
    actor: "record",
    reason: `the new version served ${values.requests} requests and ${values.errors} errors from its first shift until the deployment ended`,
    values: { ...values },
  };
}

function stateMachineRollback(deploymentId: string, time: string): Decision {
  return {
    deploymentId,
    id: "rollback",
    at: time,
    action: "rollback",
    actor: "state-machine",
    reason: "AnalysisFailedError: new version's 5xx rate 6.1% is above the 1% limit",
    values: { error: "AnalysisFailedError" },
  };
}

function deployment(
  id: string,
  status: DeploymentStatus,
  extra: Partial<Deployment> & Pick<Deployment, "createdAt" | "updatedAt">,
): Deployment {
  return {
    id,
    service: "checkout",
    environment: "production",
    artifact,
    strategy: "canary",
    status,
    weights: status === "SUCCEEDED" ? { old: 0, new: 100 } : { old: 100, new: 0 },
    approvals: [],
    attempt: 1,
    ...extra,
  };
}

/**
 * A deployment rolled back at 25%: shifted at 09:00:00, evaluated at 0 s, 30 s and 60 s (the analysis failed
 * it), traffic back on the old version at 09:01:05.
 */
const rolledBack = deployment(euWest, "ROLLED_BACK", {
  region: "eu-west-1",
  createdAt: "2026-03-02T08:59:00.000Z",
  updatedAt: at("01:05"),
  statusReason: "AnalysisFailedError: new version's 5xx rate 6.1% is above the 1% limit",
});
const phase1 = { index: 0, weight: 25, bakeSeconds: 60 };
const rolledBackLog: Decision[] = [
  evaluation(euWest, {
    at: at("00:00"),
    action: "extend",
    phase: phase1,
    elapsedSeconds: 0,
    old: { requests: 0, errors: 0 },
    new: { requests: 0, errors: 0 },
  }),
  evaluation(euWest, {
    at: at("00:30"),
    phase: phase1,
    elapsedSeconds: 30,
    old: { requests: 900, errors: 1, p95Ms: 80 },
    new: { requests: 300, errors: 12, p95Ms: 95.25 },
    failEValue: 31.6,
    limitEValue: 40.2,
  }),
  evaluation(euWest, {
    at: at("01:00"),
    action: "rollback",
    phase: phase1,
    elapsedSeconds: 60,
    old: { requests: 1800, errors: 2, p95Ms: 81 },
    new: { requests: 610, errors: 37, p95Ms: 99 },
    failEValue: 8730,
    limitEValue: 1328,
  }),
  stateMachineRollback(euWest, "2026-03-02T09:01:00.400Z"),
  exposure(euWest, { colour: "green", from: at("00:00"), to: at("01:05"), requests: 640, errors: 39 }),
];

function snapshotOf(deployments: readonly Deployment[], decisions: Record<string, readonly Decision[]>) {
  return {
    readAt: at("30:00"),
    deploymentId: deployments[0]?.id ?? "",
    deployments: Object.fromEntries(deployments.map((entry) => [entry.id, entry])),
    decisions,
  };
}

describe("reportModel of one deployment", () => {
  it("exposure: the recorded requests and errors, the first shift, and seconds from it to the first rollback and to traffic back", () => {
    // Act
    const model = reportModel(snapshotOf([rolledBack], { [euWest]: rolledBackLog }));

    // Assess
    expect(model.kind).toBe("deployment");
    expect(model.environments[0]?.waves[0]?.exposure).toEqual({
      served: { requests: 640, errors: 39, errorRate: 39 / 640, from: at("00:00"), to: at("01:05") },
      firstShiftAt: at("00:00"),
      detection: { at: at("01:00"), actor: "analysis", reason: "healthy so far" },
      secondsToDetection: 60,
      secondsToTrafficBack: 65,
    });
    expect(model.exposure).toEqual({
      requests: 640,
      errors: 39,
      errorRate: 39 / 640,
      recordedWaves: 1,
      unrecordedWaves: 0,
    });
  });

  it("exposure without an exposure decision: no served numbers and no time to traffic back, detection still from the log", () => {
    // Act
    const model = reportModel(
      snapshotOf([rolledBack], { [euWest]: rolledBackLog.filter((entry) => entry.action !== "exposure") }),
    );

    // Assess
    expect(model.environments[0]?.waves[0]?.exposure).toEqual({
      firstShiftAt: at("00:00"),
      detection: { at: at("01:00"), actor: "analysis", reason: "healthy so far" },
      secondsToDetection: 60,
    });
    expect(model.exposure).toMatchObject({ requests: 0, errors: 0, recordedWaves: 0, unrecordedWaves: 1 });
  });

  it("phases: weight, start (first evaluation's time less its elapsed seconds), seconds baked, evaluations and the last action", () => {
    // Prepare: the first evaluation of phase 2 is 10 s into its bake
    const phase2 = { index: 1, weight: 100, bakeSeconds: 120 };
    const log = [
      ...rolledBackLog.slice(0, 2),
      evaluation(euWest, {
        at: at("02:10"),
        phase: phase2,
        elapsedSeconds: 10,
        old: { requests: 0, errors: 0 },
        new: { requests: 500, errors: 0, p95Ms: 70 },
      }),
      evaluation(euWest, {
        at: at("04:00"),
        phase: phase2,
        elapsedSeconds: 120,
        old: { requests: 0, errors: 0 },
        new: { requests: 5000, errors: 2, p95Ms: 72 },
      }),
    ];

    // Act
    const model = reportModel(snapshotOf([rolledBack], { [euWest]: log }));

    // Assess
    expect(model.environments[0]?.waves[0]?.phases).toEqual([
      {
        number: 1,
        weight: 25,
        watch: false,
        startedAt: at("00:00"),
        bakedSeconds: 30,
        bakeSeconds: 60,
        evaluations: 2,
        lastAction: "continue",
        lastAt: at("00:30"),
      },
      {
        number: 2,
        weight: 100,
        watch: false,
        startedAt: at("02:00"),
        bakedSeconds: 120,
        bakeSeconds: 120,
        evaluations: 2,
        lastAction: "continue",
        lastAt: at("04:00"),
      },
    ]);
  });

  it("decisions: an evaluation with each arm's counts, rate and p95, the e-values against their bounds and the alarms; others with their values", () => {
    // Act
    const model = reportModel(snapshotOf([rolledBack], { [euWest]: rolledBackLog }));

    // Assess
    const decisions = model.environments[0]?.waves[0]?.decisions ?? [];
    expect(decisions.map((decision) => decision.action)).toEqual([
      "extend",
      "continue",
      "rollback",
      "rollback",
      "exposure",
    ]);
    expect(decisions[0]?.evaluation?.comparison).toBeUndefined();
    expect(decisions[2]).toEqual({
      at: at("01:00"),
      action: "rollback",
      actor: "analysis",
      reason: "healthy so far",
      evaluation: {
        phase: 1,
        weight: 25,
        watch: false,
        elapsedSeconds: 60,
        bakeSeconds: 60,
        old: { requests: 1800, errors: 2, errorRate: 2 / 1800, p95Ms: 81 },
        new: { requests: 610, errors: 37, errorRate: 37 / 610, p95Ms: 99 },
        comparison: { failEValue: 8730, failBound: 200, passEValue: 0.5, passBound: 20 },
        errorRateLimit: { eValue: 1328, bound: 200, limit: 0.01 },
        alarms: [{ name: "checkout-5xx", state: "OK" }],
        missingAlarms: [],
      },
    });
    expect(decisions[3]?.values).toEqual({ error: "AnalysisFailedError" });
  });

  it("series: one point per evaluation with its time, weight, and each arm's 5xx rate and p95 (null without requests)", () => {
    // Act
    const model = reportModel(snapshotOf([rolledBack], { [euWest]: rolledBackLog }));

    // Assess
    expect(model.environments[0]?.waves[0]?.series).toEqual([
      {
        at: at("00:00"),
        weight: 25,
        old: { errorRate: null, p95Ms: null },
        new: { errorRate: null, p95Ms: null },
      },
      {
        at: at("00:30"),
        weight: 25,
        old: { errorRate: 1 / 900, p95Ms: 80 },
        new: { errorRate: 12 / 300, p95Ms: 95.25 },
      },
      {
        at: at("01:00"),
        weight: 25,
        old: { errorRate: 2 / 1800, p95Ms: 81 },
        new: { errorRate: 37 / 610, p95Ms: 99 },
      },
    ]);
  });

  it("users affected: an experiment verdict's denominators per arm, and none without a verdict", () => {
    // Prepare
    const verdict: ExperimentVerdict = {
      winner: "control",
      metric: "checkout-conversion",
      confidence: 0.95,
      enoughSamples: true,
      minSamples: 200,
      control: { numerator: 120, denominator: 1180, rate: 120 / 1180, interval: [0.08, 0.12] },
      treatment: { numerator: 80, denominator: 1210, rate: 80 / 1210, interval: [0.05, 0.08] },
      lift: -0.35,
      liftInterval: [-0.5, -0.1],
    };
    const judged: Decision = {
      deploymentId: euWest,
      id: "experiment-verdict",
      at: at("01:00"),
      action: "verdict",
      actor: "experiment",
      reason: "control won",
      values: { verdict },
    };

    // Act
    const withVerdict = reportModel(snapshotOf([rolledBack], { [euWest]: [...rolledBackLog, judged] }));
    const without = reportModel(snapshotOf([rolledBack], { [euWest]: rolledBackLog }));

    // Assess
    expect(withVerdict.environments[0]?.waves[0]?.exposure?.usersAffected).toEqual({
      metric: "checkout-conversion",
      treatment: 1210,
      control: 1180,
    });
    expect(withVerdict.exposure.usersAffected).toEqual({ treatment: 1210, control: 1180 });
    expect(without.environments[0]?.waves[0]?.exposure).not.toHaveProperty("usersAffected");
    expect(without.exposure).not.toHaveProperty("usersAffected");
  });
});

/** staging SUCCEEDED (exposure recorded); production's eu-west-1 wave ROLLED_BACK without one, us-east-1 never started. */
const promotion: Promotion = {
  id: promotionId,
  service: "checkout",
  artifact,
  publishedAt: "2026-03-02T08:00:00.000Z",
  requestedBy: "cli:alice",
  status: "STOPPED",
  environments: [
    {
      name: "staging",
      status: "SUCCEEDED",
      waves: [{ deploymentId: staging, outcome: "SUCCEEDED" }],
      enteredAt: "2026-03-02T08:30:00.000Z",
      endedAt: "2026-03-02T08:40:00.000Z",
    },
    {
      name: "production",
      status: "ROLLED_BACK",
      waves: [
        { deploymentId: euWest, region: "eu-west-1", outcome: "ROLLED_BACK" },
        { deploymentId: usEast, region: "us-east-1" },
      ],
      enteredAt: "2026-03-02T08:50:00.000Z",
      endedAt: at("01:10"),
      reason: "AnalysisFailedError: new version's 5xx rate 6.1% is above the 1% limit",
      approval: { by: "slack:U0123", at: "2026-03-02T08:58:00.000Z" },
    },
  ],
  hooks: [],
  lock: "none",
  reason: "AnalysisFailedError: new version's 5xx rate 6.1% is above the 1% limit",
  createdAt: "2026-03-02T08:29:00.000Z",
  updatedAt: at("01:11"),
  revision: 9,
};
const stagingDeployment = deployment(staging, "SUCCEEDED", {
  environment: "staging",
  createdAt: "2026-03-02T08:30:01.000Z",
  updatedAt: "2026-03-02T08:39:00.000Z",
  statusReason: "every phase passed",
});
const stagingLog: Decision[] = [
  evaluation(staging, {
    at: "2026-03-02T08:32:00.000Z",
    phase: { index: 0, weight: 100, bakeSeconds: 60 },
    elapsedSeconds: 60,
    old: { requests: 0, errors: 0 },
    new: { requests: 1000, errors: 3, p95Ms: 60 },
  }),
  exposure(staging, {
    colour: "blue",
    from: "2026-03-02T08:31:00.000Z",
    to: "2026-03-02T08:39:00.000Z",
    requests: 1000,
    errors: 3,
  }),
];
const promotionLog: Decision[] = [
  {
    deploymentId: promotionId,
    id: "enter-production",
    at: "2026-03-02T08:50:00.000Z",
    action: "promotion",
    actor: "pipeline",
    reason: "entered production (2 waves)",
    values: { environment: "production", deployments: [euWest, usEast] },
  },
];

function promotionSnapshot() {
  return {
    readAt: at("30:00"),
    promotion,
    deployments: { [staging]: stagingDeployment, [euWest]: rolledBack },
    decisions: {
      [promotionId]: promotionLog,
      [staging]: stagingLog,
      [euWest]: rolledBackLog.filter((entry) => entry.action !== "exposure"),
    },
  };
}

describe("reportModel of a promotion", () => {
  it("waves in promotion order with their region, status, outcome and reason; a wave without a deployment is NOT_STARTED", () => {
    // Act
    const model = reportModel(promotionSnapshot());

    // Assess
    expect(model).toMatchObject({
      kind: "promotion",
      id: promotionId,
      status: "STOPPED",
      requestedBy: "cli:alice",
    });
    const waves = model.environments.flatMap((environment) =>
      environment.waves.map(({ deploymentId, name, status, outcome }) => ({
        deploymentId,
        name,
        status,
        outcome,
      })),
    );
    expect(waves).toEqual([
      { deploymentId: staging, name: "staging", status: "SUCCEEDED", outcome: "SUCCEEDED" },
      { deploymentId: euWest, name: "production eu-west-1", status: "ROLLED_BACK", outcome: "ROLLED_BACK" },
      { deploymentId: usEast, name: "production us-east-1", status: "NOT_STARTED", outcome: undefined },
    ]);
    expect(model.environments[1]?.waves[1]).not.toHaveProperty("exposure");
    expect(model.decisions.map((decision) => decision.reason)).toEqual(["entered production (2 waves)"]);
  });

  it("exposure total: the sums of the recorded waves, and how many started waves have none recorded", () => {
    // Act
    const model = reportModel(promotionSnapshot());

    // Assess
    expect(model.exposure).toEqual({
      requests: 1000,
      errors: 3,
      errorRate: 0.003,
      recordedWaves: 1,
      unrecordedWaves: 1,
    });
  });

  it("timeline: the promotion's, environments', deployments', phases' and decisions' events in time order", () => {
    // Act
    const model = reportModel(promotionSnapshot());

    // Assess
    const events = model.timeline.map((entry) => `${entry.at} ${entry.where}: ${entry.event}`);
    expect(events).toEqual([
      "2026-03-02T08:29:00.000Z promotion: promotion created",
      "2026-03-02T08:30:00.000Z staging: environment entered",
      "2026-03-02T08:30:01.000Z staging: deployment created",
      "2026-03-02T08:31:00.000Z staging: traffic at 100%",
      "2026-03-02T08:32:00.000Z staging: continue by analysis",
      "2026-03-02T08:39:00.000Z staging: exposure by record",
      "2026-03-02T08:39:00.000Z staging: deployment SUCCEEDED",
      "2026-03-02T08:40:00.000Z staging: environment SUCCEEDED",
      "2026-03-02T08:50:00.000Z promotion: promotion by pipeline",
      "2026-03-02T08:50:00.000Z production: environment entered",
      "2026-03-02T08:58:00.000Z production: approved by slack:U0123",
      "2026-03-02T08:59:00.000Z production eu-west-1: deployment created",
      "2026-03-02T09:00:00.000Z production eu-west-1: traffic at 25%",
      "2026-03-02T09:00:00.000Z production eu-west-1: extend by analysis",
      "2026-03-02T09:00:30.000Z production eu-west-1: continue by analysis",
      "2026-03-02T09:01:00.000Z production eu-west-1: rollback by analysis",
      "2026-03-02T09:01:00.400Z production eu-west-1: rollback by state-machine",
      "2026-03-02T09:01:05.000Z production eu-west-1: deployment ROLLED_BACK",
      "2026-03-02T09:01:10.000Z production: environment ROLLED_BACK",
      "2026-03-02T09:01:11.000Z promotion: promotion STOPPED",
    ]);
    expect(model.timeline.find((entry) => entry.event === "traffic at 25%")?.detail).toBe(
      "phase 1: baked 1m of 1m",
    );
  });
});

/** Stores holding the promotion fixture, counting the decision logs listed. */
function fakeStores(): ReportStores & { listed: string[] } {
  const snapshot = promotionSnapshot();
  const deployments: Record<string, Deployment> = snapshot.deployments;
  const decisions: Record<string, readonly Decision[]> = snapshot.decisions;
  const listed: string[] = [];
  return {
    listed,
    promotions: { get: async (id) => (id === promotionId ? promotion : undefined) },
    deployments: { get: async (id) => deployments[id] },
    decisions: {
      list: async (id) => {
        listed.push(id);
        return decisions[id] ?? [];
      },
    },
  };
}

describe("readReport", () => {
  it("a promotion: every wave deployment that exists, and the decision logs of the promotion and of every one of them", async () => {
    // Prepare
    const stores = fakeStores();

    // Act
    const snapshot = await readReport(promotionId, stores, () => new Date(at("30:00")));

    // Assess
    expect(Object.keys(snapshot.deployments)).toEqual([staging, euWest]);
    expect(stores.listed.sort()).toEqual([promotionId, staging, euWest].sort());
    expect(snapshot.decisions[staging]).toEqual(stagingLog);
    expect(snapshot.readAt).toBe(at("30:00"));
    expect(snapshot).not.toHaveProperty("deploymentId");
  });

  it("a deployment of a promotion: that deployment alone, with its decision log", async () => {
    // Prepare
    const stores = fakeStores();

    // Act
    const snapshot = await readReport(euWest, stores);

    // Assess
    expect(snapshot.deploymentId).toBe(euWest);
    expect(Object.keys(snapshot.deployments)).toEqual([euWest]);
    expect(stores.listed).toEqual([euWest]);
    expect(snapshot).not.toHaveProperty("promotion");
  });

  it.each([
    ["a malformed id", "p-123", /'p-123' is neither a promotion id .* nor a deployment id/],
    [
      "an unknown promotion",
      "p-ffffffffffffffffffff",
      /no promotion p-ffffffffffffffffffff in the state table; check the id/,
    ],
    [
      "an unknown deployment",
      "d-ffffffffffffffffffff",
      /no deployment d-ffffffffffffffffffff in the state table; check the id/,
    ],
  ])("%s is a UsageError saying what to check", async (_, id, message) => {
    // Act
    const read = readReport(id, fakeStores());

    // Assess
    await expect(read).rejects.toThrow(UsageError);
    await expect(read).rejects.toThrow(message);
  });
});
