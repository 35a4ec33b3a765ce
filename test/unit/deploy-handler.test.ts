import { describe, expect, it } from "vitest";
import { LocalHealthSignals } from "../../functions/adapters/local/local-health-signals.ts";
import { LocalMetricStore } from "../../functions/adapters/local/local-metric-store.ts";
import { LocalTrafficRouter } from "../../functions/adapters/local/local-traffic-router.ts";
import type { AlarmDefinition } from "../../functions/domain/alarm-evaluation.ts";
import { ErrorNames } from "../../functions/domain/errors.ts";
import type { DeployTarget } from "../../functions/domain/ports/deploy-target.ts";
import type { Ports, WaveAccess } from "../../functions/domain/ports/index.ts";
import type { ColourWeights } from "../../functions/domain/ports/traffic-router.ts";
import { type CheckOutput, createDeployHandler } from "../../functions/handlers/deploy.ts";
import { useStoreTable } from "../helpers/dynalite.ts";

const db = useStoreTable(() => new Date("2026-12-01T10:00:00Z"));

const definition: AlarmDefinition = {
  kind: "definition",
  name: "web-prod-5xx",
  metric: "ErrorRate",
  statistic: "Average",
  periodSeconds: 60,
  evaluationPeriods: 3,
  datapointsToAlarm: 2,
  threshold: 0.02,
  comparison: "GreaterThanThreshold",
  treatMissingData: "notBreaching",
  onFail: "rollback",
};

/**
 * The deploy step over a real local router and local alarms, with a target that records what it was asked;
 * green is stable once `greenStable` says so.
 */
async function world(waveTarget: Record<string, unknown> = { type: "local" }) {
  let greenStable = false;
  let weights: ColourWeights = { blue: 100, green: 0 };
  const router = new LocalTrafficRouter({
    weights: () => weights,
    setWeights: (next) => {
      weights = next;
    },
  });
  const measured = new Set<string>();
  const signals = new LocalHealthSignals({
    metricStore: new LocalMetricStore(),
    router: {
      metrics: (colour) => {
        measured.add(colour);
        return { requests: 0, errors: 0, latenciesMs: [] };
      },
    },
  });
  const calls: string[] = [];
  const accessed: WaveAccess[] = [];
  const target: DeployTarget = {
    prepare: async (input) => {
      calls.push(`prepare ${input.colour}`);
      return { revision: "td:2", desiredCount: input.desiredCount };
    },
    scale: async () => undefined,
    status: async (colour) => ({
      colour,
      revision: colour === "blue" ? "td:1" : greenStable ? "td:2" : undefined,
      desiredCount: 2,
      runningCount: 2,
      healthyTargets: 2,
      unhealthyTargets: 0,
      stable: colour === "blue" || greenStable,
      failed: false,
    }),
  };
  const { deployment } = await db.stores().deployments.create({
    service: "web",
    environment: "production",
    artifact: { uri: "local://web@sha256:1", digest: `sha256:${Math.random()}`, version: "2.0.0" },
    strategy: "canary",
  });
  const ports = {
    ...db.stores(),
    trafficRouter: (_target: unknown, access: WaveAccess) => {
      accessed.push(access);
      return router;
    },
    deployTarget: () => target,
    healthSignals: () => signals,
  } as unknown as Ports;
  const prepare = (alarms: string[], alarmDefinitions: AlarmDefinition[]) =>
    createDeployHandler(ports)({
      action: "prepare",
      deploymentId: deployment.id,
      target: waveTarget,
      account: "444455556666",
      region: "eu-central-1",
      alarms,
      alarmDefinitions,
      artifact: { uri: "local://web@sha256:1", version: "2.0.0" },
      startEmpty: false,
    });
  const checkGreen = (alarmDefinitions: AlarmDefinition[]) =>
    createDeployHandler(ports)({
      action: "check",
      deploymentId: deployment.id,
      target: waveTarget,
      account: "444455556666",
      region: "eu-central-1",
      colour: "green",
      checks: 0,
      maxChecks: 5,
      alarmDefinitions,
    });
  return {
    prepare,
    checkGreen,
    greenBecomesStable: () => {
      greenStable = true;
    },
    signals,
    measured,
    calls,
    accessed,
    deploymentId: deployment.id,
    weights: () => weights,
  };
}

describe("deploy: prepare", () => {
  it("acts where the wave is: the router is asked for the wave's account, region and deployment", async () => {
    // Prepare
    const { prepare, accessed, deploymentId } = await world();

    // Act
    await prepare([], []);

    // Assess
    expect(accessed).toEqual([{ account: "444455556666", region: "eu-central-1", deploymentId }]);
  });

  it("fails naming an alarm that exists only by name and is missing, before the new version starts", async () => {
    // Prepare
    const { prepare, calls, weights } = await world();

    // Act
    const failure = prepare(["web-prod-p99", "web-prod-5xx"], [definition]);

    // Assess
    await expect(failure).rejects.toMatchObject({
      name: ErrorNames.DeployFailed,
      message: expect.stringMatching(
        /the alarm web-prod-p99 does not exist in the wave's account and region/,
      ),
    });
    expect(calls).toEqual([]);
    expect(weights()).toEqual({ blue: 100, green: 0 });
  });

  it("puts each defined alarm over the new colour before the new version starts", async () => {
    // Prepare
    const { prepare, signals, measured, calls } = await world();

    // Act
    const output = await prepare(["web-prod-5xx"], [definition]);

    // Assess
    expect(output).toMatchObject({ liveColour: "blue", newColour: "green" });
    expect(calls).toEqual(["prepare green"]);
    const { found, missing } = await signals.alarms(["web-prod-5xx"]);
    expect(missing).toEqual([]);
    expect(found.map((alarm) => alarm.name)).toEqual(["web-prod-5xx"]);
    expect([...measured]).toEqual(["green"]);
  });
});

describe("deploy: alarm definitions over a Lambda version", () => {
  const lambdaTarget = { type: "lambda", functionName: "web-api", alias: "live" };

  it("prepare puts none (the version is not published yet); the first stable check of green puts each over it", async () => {
    // Prepare
    const { prepare, checkGreen, greenBecomesStable, signals, measured } = await world(lambdaTarget);

    // Act
    await prepare([definition.name], [definition]);
    const afterPrepare = await signals.alarms([definition.name]);
    const unstable = await checkGreen([definition]);
    const beforeStable = await signals.alarms([definition.name]);
    greenBecomesStable();
    const stable = await checkGreen([definition]);

    // Assess
    expect([afterPrepare.missing, beforeStable.missing]).toEqual([[definition.name], [definition.name]]);
    expect([(unstable as CheckOutput).stable, (stable as CheckOutput).stable]).toEqual([false, true]);
    const { found, missing } = await signals.alarms([definition.name]);
    expect([found.map((alarm) => alarm.name), missing]).toEqual([[definition.name], []]);
    expect([...measured]).toEqual(["green"]);
  });

  it("a stable check without definitions (the old version's, in a rollback) puts nothing", async () => {
    // Prepare
    const { checkGreen, greenBecomesStable, signals } = await world(lambdaTarget);
    greenBecomesStable();

    // Act
    await checkGreen([]);

    // Assess
    expect((await signals.alarms([definition.name])).missing).toEqual([definition.name]);
  });
});
