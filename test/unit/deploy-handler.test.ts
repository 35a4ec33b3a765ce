import { describe, expect, it } from "vitest";
import { LocalHealthSignals } from "../../functions/adapters/local/local-health-signals.ts";
import { LocalMetricStore } from "../../functions/adapters/local/local-metric-store.ts";
import { LocalTrafficRouter } from "../../functions/adapters/local/local-traffic-router.ts";
import type { AlarmDefinition } from "../../functions/domain/alarm-evaluation.ts";
import { ErrorNames } from "../../functions/domain/errors.ts";
import type { DeployTarget } from "../../functions/domain/ports/deploy-target.ts";
import type { Ports, WaveAccess } from "../../functions/domain/ports/index.ts";
import type { ColourWeights } from "../../functions/domain/ports/traffic-router.ts";
import { createDeployHandler } from "../../functions/handlers/deploy.ts";
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

/** The deploy step over a real local router and local alarms, with a target that records what it was asked. */
async function world() {
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
      revision: colour === "blue" ? "td:1" : undefined,
      desiredCount: 2,
      runningCount: 2,
      healthyTargets: 2,
      unhealthyTargets: 0,
      stable: true,
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
      target: { type: "local" },
      account: "444455556666",
      region: "eu-central-1",
      alarms,
      alarmDefinitions,
      artifact: { uri: "local://web@sha256:1", version: "2.0.0" },
      startEmpty: false,
    });
  return { prepare, signals, measured, calls, accessed, deploymentId: deployment.id, weights: () => weights };
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
