import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dynamoDbStores } from "../../functions/adapters/aws/dynamodb-stores.ts";
import { LineNotifier } from "../../functions/adapters/log-notifier.ts";
import { ErrorNames } from "../../functions/domain/errors.ts";
import type { TargetStatus } from "../../functions/domain/ports/deploy-target.ts";
import type { HealthSignals } from "../../functions/domain/ports/health-signals.ts";
import type { Ports } from "../../functions/domain/ports/index.ts";
import type { Stores } from "../../functions/domain/ports/stores.ts";
import { createEvaluateHandler } from "../../functions/handlers/evaluate.ts";
import { conversionMetric } from "../helpers/analysis-settings.ts";
import { type LocalTable, startDynalite } from "../helpers/dynalite.ts";

let table: LocalTable;
let stores: Stores;
let counter = 0;

beforeAll(async () => {
  table = await startDynalite();
  stores = dynamoDbStores({ client: table.client, tableName: table.tableName });
});

afterAll(async () => {
  await table.close();
});

/** Health signals of a 10% canary whose new version converts 30% less; what the handler asked is kept. */
function world(statusOf: (colour: string) => Partial<TargetStatus> = () => ({})) {
  const asked: string[] = [];
  const signals: HealthSignals = {
    alarms: async () => ({ found: [], missing: [] }),
    armMetrics: async () => ({
      blue: { requests: 9000, errors: 9, p95Ms: 80 },
      green: { requests: 1000, errors: 1, p95Ms: 82 },
    }),
    businessMetrics: async (metrics) => {
      asked.push(...metrics.map((metric) => `metric:${metric.name}`));
      return metrics.map(() => ({
        blue: { numerator: 9000, denominator: 45_000 },
        green: { numerator: 700, denominator: 5000 },
      }));
    },
    putAlarms: async () => undefined,
  };
  const unused = () => {
    throw new Error("not used by evaluate");
  };
  const ports: Ports = {
    ...stores,
    callbacks: { succeed: unused, fail: unused },
    notifier: new LineNotifier(() => undefined),
    account: "111122223333",
    executionUrl: (arn) => arn,
    clock: () => new Date("2026-12-02T10:05:00Z"),
    trafficRouter: unused,
    healthSignals: () => signals,
    deployTarget: () => ({
      prepare: unused,
      scale: unused,
      status: async (colour) => {
        asked.push(`status:${colour}`);
        return {
          colour,
          desiredCount: 4,
          runningCount: 4,
          healthyTargets: 4,
          unhealthyTargets: 0,
          stable: true,
          failed: false,
          ...statusOf(colour),
        };
      },
    }),
  };
  return { ports, asked };
}

async function deployment(status: "IN_PROGRESS" | "PAUSED" = "IN_PROGRESS") {
  counter += 1;
  const { deployment } = await stores.deployments.create({
    service: "checkout",
    environment: "production",
    artifact: { uri: "repo@sha256:1", digest: `sha256:evaluate${counter}`, version: "1.4.0" },
    strategy: "canary",
  });
  await stores.deployments.transition(deployment.id, "IN_PROGRESS");
  if (status === "PAUSED") await stores.deployments.transition(deployment.id, "PAUSED");
  return deployment.id;
}

const base = (deploymentId: string) => ({
  deploymentId,
  target: { type: "local" },
  account: "111122223333",
  region: "eu-west-1",
  newColour: "green",
  alarms: [],
  analysis: {},
  phase: { index: 0, weight: 10, bakeSeconds: 300 },
  elapsedSeconds: 60,
  shiftedAt: "2026-12-02T10:00:00Z",
});

describe("the evaluate step", () => {
  it("evaluates the input of an execution started before checks existed with their defaults", async () => {
    // Prepare
    const { ports, asked } = world();

    // Act
    const output = await createEvaluateHandler(ports)(base(await deployment()));

    // Assess
    expect(output).toMatchObject({ state: { failing: {}, pause: null, acknowledged: false } });
    expect(asked).toEqual([]);
  });

  it("pauses on a business metric, records the pause with the metric's test, and asks target health of the new colour", async () => {
    // Prepare
    const { ports, asked } = world();
    const id = await deployment();

    // Act
    const output = await createEvaluateHandler(ports)({
      ...base(id),
      metrics: [conversionMetric],
      targetHealth: { maxUnhealthyShare: 0.3, forSeconds: 0, onFail: "rollback" },
      state: { failing: {}, acknowledged: false },
    });

    // Assess
    expect(output).toMatchObject({
      verdict: "pause",
      state: { pause: { sinceSeconds: 60, by: "check" } },
    });
    expect(asked).toEqual(["metric:conversion", "status:green"]);
    const [decision] = await stores.decisions.list(id);
    expect(decision).toMatchObject({
      id: "phase-1-at-60s",
      action: "pause",
      actor: "analysis",
      values: { businessMetrics: [{ name: "conversion", verdict: "fail" }] },
    });
  });

  it("fails with PauseTimedOutError when the pause times out into a rollback", async () => {
    // Prepare
    const { ports } = world();

    // Act
    const evaluating = createEvaluateHandler(ports)({
      ...base(await deployment("PAUSED")),
      metrics: [conversionMetric],
      pause: { timeoutSeconds: 30, onTimeout: "rollback" },
      state: { failing: {}, pause: { sinceSeconds: 30, by: "check" }, acknowledged: false },
    });

    // Assess
    await expect(evaluating).rejects.toMatchObject({
      name: ErrorNames.PauseTimedOut,
      message: expect.stringMatching(/^no decision in the 30s pause since 30s at this weight/),
    });
  });

  it("puts the deployment back IN_PROGRESS when the pause times out into resume, once however often it runs", async () => {
    // Prepare
    const { ports } = world();
    const id = await deployment("PAUSED");
    const input = {
      ...base(id),
      metrics: [conversionMetric],
      pause: { timeoutSeconds: 30, onTimeout: "resume" },
      state: { failing: {}, pause: { sinceSeconds: 30, by: "check" }, acknowledged: false },
    };

    // Act
    const output = await createEvaluateHandler(ports)(input);
    await createEvaluateHandler(ports)(input);

    // Assess
    expect(output).toMatchObject({ verdict: "continue", state: { pause: null, acknowledged: true } });
    expect(await stores.deployments.get(id)).toMatchObject({
      status: "IN_PROGRESS",
      currentStep: "Resumed: the pause timed out (pause.onTimeout is resume)",
    });
  });
});
