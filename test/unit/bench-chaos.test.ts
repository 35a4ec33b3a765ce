import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultRates, Faults, injectDynamoFaults } from "../../bench/chaos/faults.ts";
import { MemoryFleet } from "../../bench/chaos/fleet.ts";
import { defaultOptions, formatReport, runChaos } from "../../bench/chaos/index.ts";
import { dynamoDbStores } from "../../functions/adapters/aws/dynamodb-stores.ts";
import { logger } from "../../functions/shared/logger.ts";
import { type LocalTable, startDynalite } from "../helpers/dynalite.ts";

describe("chaos benchmark", () => {
  it("a small fixed-seed run through trigger, pipeline and canary under every fault strands no traffic and drops no event", {
    timeout: 180_000,
  }, async () => {
    // Prepare
    logger.setLogLevel("SILENT");

    // Act
    const report = await runChaos({
      ...defaultOptions,
      seed: 1,
      deployments: 16,
      services: 4,
      roundMs: 1000,
      deadlineSeconds: 90,
    });

    // Assess: a deployment left IN_PROGRESS (and its promotion's lock) is the open fault the README names;
    // traffic off a single healthy version, or an event with no record, is never acceptable.
    expect(report.lost.filter((entry) => entry.kind === "traffic" || entry.kind === "event")).toEqual([]);
    for (const entry of report.lost)
      expect(entry.what).toMatch(/is (IN_PROGRESS|RUNNING|QUEUED)$|lock still held/);
    expect(report.deploymentsStarted).toBeGreaterThan(0);
    expect(report.injected.dynamodb).toBeGreaterThan(0);
    expect(report.injected["step-crash"]).toBeGreaterThan(0);
    const ended = Object.values(report.promotions).reduce((sum, count) => sum + count, 0);
    expect(ended).toBe(16);
    const summary = JSON.parse(formatReport(report).split("\n").at(-1) ?? "");
    expect(summary).toMatchObject({ seed: 1, pushes: 16, services: 4, lost: 0 });
    expect(Object.keys(summary.injected).sort()).toEqual(Object.keys(defaultRates).sort());
  });
});

describe("chaos faults", () => {
  let table: LocalTable;
  beforeAll(async () => {
    table = await startDynalite();
  });
  afterAll(async () => {
    await table.close();
  });

  it("fails DynamoDB attempts below the SDK's retry, which absorbs them", async () => {
    // Prepare
    const faults = new Faults(5, { ...defaultRates, dynamodb: 0.3 });
    injectDynamoFaults(table.client, faults);
    const stores = dynamoDbStores({ client: table.client, tableName: table.tableName });

    // Act
    for (let index = 0; index < 20; index++) await stores.promotions.getLock(`svc-${index}`);

    // Assess
    expect(faults.injected.dynamodb).toBeGreaterThan(0);
  });

  it("draws the same faults for the same seed", () => {
    // Prepare
    const draws = (seed: number) => {
      const faults = new Faults(seed);
      return Array.from({ length: 200 }, () => faults.strike("step-crash"));
    };

    // Act
    const first = draws(3);

    // Assess
    expect(draws(3)).toEqual(first);
    expect(draws(4)).not.toEqual(first);
  });
});

describe("chaos fleet", () => {
  it("serves one healthy version only when a single colour takes all traffic and runs", async () => {
    // Prepare
    const fleet = new MemoryFleet();
    await fleet.deployTarget.prepare({
      colour: "green",
      artifactUri: "local://svc@sha256:1",
      version: "2.0.1",
      baseRevision: "local:live",
      desiredCount: 2,
    });

    // Act
    const live = fleet.serving();
    await fleet.trafficRouter.setWeights({ blue: 75, green: 25 });
    const split = fleet.serving();
    await fleet.trafficRouter.setWeights({ blue: 0, green: 100 });
    fleet.killNewVersion();
    const dead = fleet.serving();

    // Assess
    expect(live).toEqual({ colour: "blue", healthy: true, version: "live" });
    expect(split).toEqual({ healthy: false });
    expect(dead).toEqual({ colour: "green", healthy: false, version: "2.0.1" });
    expect((await fleet.healthSignals.alarms(["svc-5xx"])).found[0]?.state).toBe("ALARM");
  });
});
