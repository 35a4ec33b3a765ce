import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dynamoDbStores } from "../../functions/adapters/aws/dynamodb-stores.ts";
import { LineNotifier } from "../../functions/adapters/log-notifier.ts";
import type { Ports } from "../../functions/domain/ports/index.ts";
import type { Stores } from "../../functions/domain/ports/stores.ts";
import type { SetWeightsResult } from "../../functions/domain/ports/traffic-router.ts";
import { createShiftTrafficHandler } from "../../functions/handlers/shift-traffic.ts";
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

/** Ports whose router answers `results` in turn, remembering the weights it was asked for. */
function portsWith(results: readonly Omit<SetWeightsResult, "weights">[]) {
  const asked: number[] = [];
  const unused = () => {
    throw new Error("not used by shift-traffic");
  };
  const ports: Ports = {
    ...stores,
    callbacks: { succeed: unused, fail: unused },
    notifier: new LineNotifier(() => undefined),
    account: "111122223333",
    executionUrl: (arn) => arn,
    clock: () => new Date("2026-12-02T10:00:00Z"),
    trafficRouter: () => ({
      readWeights: unused,
      setWeights: async (weights) => {
        asked.push(weights.green);
        const result = results[asked.length - 1];
        if (result === undefined) throw new Error("asked once too often");
        return { ...result, weights };
      },
    }),
    deployTarget: unused,
    healthSignals: unused,
  };
  return { ports, asked };
}

async function deployment() {
  counter += 1;
  const { deployment } = await stores.deployments.create({
    service: "checkout-new-flow",
    environment: "production",
    artifact: { uri: "flag://new-checkout", digest: `sha256:shift${counter}`, version: "7" },
    strategy: "feature-flag",
  });
  await stores.deployments.transition(deployment.id, "IN_PROGRESS");
  return deployment.id;
}

describe("createShiftTrafficHandler", () => {
  it("records the weights only once the router says the change took effect", async () => {
    // Prepare
    const id = await deployment();
    const { ports, asked } = portsWith([
      { changed: true, settled: false },
      { changed: true, settled: true },
    ]);
    const shift = createShiftTrafficHandler(ports);
    const input = {
      deploymentId: id,
      target: { type: "local" },
      account: "111122223333",
      region: "eu-west-1",
      newColour: "green",
      weight: 10,
    };

    // Act
    const started = await shift(input);
    const during = await stores.deployments.get(id);
    const settled = await shift(input);
    const after = await stores.deployments.get(id);

    // Assess
    expect(asked).toEqual([10, 10]);
    expect([started.settled, settled.settled]).toEqual([false, true]);
    expect(during).toMatchObject({ currentStep: "Moving traffic to 10% on the new version" });
    expect(during?.weights).toEqual({ old: 100, new: 0 });
    expect(after).toMatchObject({
      currentStep: "Traffic at 10% on the new version",
      weights: { old: 90, new: 10 },
    });
  });
});
