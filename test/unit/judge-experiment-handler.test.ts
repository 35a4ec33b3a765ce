import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dynamoDbStores } from "../../functions/adapters/aws/dynamodb-stores.ts";
import type { MetricCounts } from "../../functions/domain/analysis/business-metric.ts";
import { ErrorNames } from "../../functions/domain/errors.ts";
import type { HealthSignals, MetricsWindow } from "../../functions/domain/ports/health-signals.ts";
import type { Ports } from "../../functions/domain/ports/index.ts";
import type { ExperimentNotice } from "../../functions/domain/ports/notifier.ts";
import type { Stores } from "../../functions/domain/ports/stores.ts";
import type { Colour } from "../../functions/domain/ports/traffic-router.ts";
import { createEvaluateStepHandler } from "../../functions/handlers/evaluate-step.ts";
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

/** The evaluate step's function over dynalite, with each arm's conversions as given; what it asked and told is kept. */
function world(counts: Record<Colour, MetricCounts>, notifierFails = false) {
  const windows: MetricsWindow[] = [];
  const notices: ExperimentNotice[] = [];
  let calls = 0;
  const signals: HealthSignals = {
    alarms: async () => ({ found: [], missing: [] }),
    armMetrics: async () => ({ blue: { requests: 0, errors: 0 }, green: { requests: 0, errors: 0 } }),
    businessMetrics: async (metrics, window) => {
      windows.push(window);
      calls += 1;
      // A second look would see more: a redelivered judge must not take it.
      return metrics.map(() => (calls === 1 ? counts : { blue: counts.green, green: counts.blue }));
    },
    putAlarms: async () => undefined,
  };
  const unused = () => {
    throw new Error("not used by judge");
  };
  const ports: Ports = {
    ...stores,
    callbacks: { succeed: unused, fail: unused },
    notifier: {
      gateOpened: unused,
      gateDecided: unused,
      promotionEnded: unused,
      experimentJudged: async (notice) => {
        if (notifierFails) throw new Error("Slack is down");
        notices.push(notice);
      },
    },
    account: "111122223333",
    executionUrl: (arn) => `https://console/${arn}`,
    clock: () => new Date("2026-12-03T10:00:00Z"),
    trafficRouter: unused,
    healthSignals: () => signals,
    deployTarget: unused,
  };
  return { handler: createEvaluateStepHandler(ports), windows, notices };
}

async function deploymentId() {
  counter += 1;
  const { deployment } = await stores.deployments.create({
    service: "checkout-new-flow",
    environment: "production",
    artifact: { uri: "flag://new-checkout", digest: `sha256:judge${counter}`, version: "7" },
    strategy: "experiment",
  });
  return deployment.id;
}

const input = (id: string, approval = true) => ({
  action: "judge",
  deploymentId: id,
  target: { type: "local" },
  account: "111122223333",
  region: "eu-west-1",
  service: "checkout-new-flow",
  environment: "production",
  version: "7",
  executionArn: "arn:aws:states:eu-west-1:111122223333:execution:Glidepath-experiment:x",
  newColour: "green",
  metrics: [conversionMetric],
  experiment: { decideOn: "conversion", alpha: 0.05 },
  shiftedAt: "2026-12-02T10:00:00Z",
  phase: approval ? { weight: 50, approvalTimeoutSeconds: 86_400 } : { weight: 50 },
});

const treatmentBetter = {
  blue: { numerator: 2500, denominator: 5000 },
  green: { numerator: 3250, denominator: 5000 },
};

describe("the judge experiment step", () => {
  it("judges the treatment (the new colour) against the control since the split began, and tells humans once", async () => {
    // Prepare
    const { handler, windows, notices } = world(treatmentBetter);
    const id = await deploymentId();

    // Act
    const verdict = await handler(input(id));

    // Assess
    expect(verdict).toMatchObject({ winner: "treatment", treatment: { rate: 0.65 }, control: { rate: 0.5 } });
    expect(windows).toEqual([
      { start: new Date("2026-12-02T10:00:00Z"), end: new Date("2026-12-03T10:00:00Z") },
    ]);
    expect(notices).toEqual([
      {
        deploymentId: id,
        service: "checkout-new-flow",
        environment: "production",
        version: "7",
        verdict,
        next: "waiting for an approval to promote the treatment to 100%",
        executionUrl:
          "https://console/arn:aws:states:eu-west-1:111122223333:execution:Glidepath-experiment:x",
      },
    ]);
    const logged = await stores.decisions.list(id);
    expect(logged).toEqual([
      expect.objectContaining({
        id: "experiment-verdict",
        action: "verdict",
        actor: "experiment",
        at: "2026-12-03T10:00:00.000Z",
        values: { verdict },
      }),
    ]);
  });

  it("answers a redelivered judge with the verdict recorded, without reading or telling again", async () => {
    // Prepare
    const { handler, windows, notices } = world(treatmentBetter);
    const id = await deploymentId();
    const first = await handler(input(id));

    // Act
    const second = await handler(input(id));

    // Assess
    expect(second).toEqual(first);
    expect(windows).toHaveLength(1);
    expect(notices).toHaveLength(1);
  });

  it("fails with ExperimentNotWonError when the control wins, after recording why", async () => {
    // Prepare
    const { handler } = world({ blue: treatmentBetter.green, green: treatmentBetter.blue });
    const id = await deploymentId();

    // Act
    const failure = await handler(input(id, false)).catch((error: unknown) => error);

    // Assess
    expect(failure).toMatchObject({
      name: ErrorNames.ExperimentNotWon,
      message: expect.stringMatching(
        /^control wins: conversion 50\.0% \(treatment, 5000\) vs 65\.0% \(control, 5000\)/,
      ),
    });
    const [logged] = await stores.decisions.list(id);
    expect(logged?.reason).toMatch(/; the split goes back and the promotion stops$/);
  });

  it("records the verdict and goes on when the notifier fails", async () => {
    // Prepare
    const { handler } = world(treatmentBetter, true);
    const id = await deploymentId();

    // Act
    const verdict = await handler({ ...input(id, false) });

    // Assess
    expect(verdict).toMatchObject({ winner: "treatment" });
    expect(await stores.decisions.list(id)).toHaveLength(1);
  });

  it("refuses a decideOn that names none of the request's metrics, naming them", async () => {
    // Prepare
    const { handler } = world(treatmentBetter);
    const id = await deploymentId();

    // Act
    const failure = await handler({ ...input(id), experiment: { decideOn: "revenue", alpha: 0.05 } }).catch(
      (error: unknown) => error,
    );

    // Assess
    expect(failure).toMatchObject({
      name: ErrorNames.StepInputInvalid,
      message: "judge experiment: decideOn 'revenue' names none of the request's metrics (conversion)",
    });
  });
});
