import { readFileSync } from "node:fs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { awsPorts } from "../../functions/adapters/aws/ports.ts";
import { type GlidepathConfig, parseConfig } from "../../functions/domain/config/index.ts";
import type { DeploymentRequest } from "../../functions/domain/deployment-request.ts";
import { executionName } from "../../functions/domain/execution-name.ts";
import type { Ports } from "../../functions/domain/ports/index.ts";
import { createRecordHandler, type DeploymentLifecycle } from "../../functions/handlers/record.ts";
import { createTriggerHandler } from "../../functions/handlers/trigger.ts";
import { type LocalTable, startDynalite } from "../helpers/dynalite.ts";

const ecrPush = JSON.parse(
  readFileSync(new URL("../fixtures/events/ecr-image-push.json", import.meta.url), "utf8"),
) as Record<string, unknown> & { detail: Record<string, unknown> };

let table: LocalTable;
let ports: Ports;
let serviceCounter = 0;
let starts: DeploymentRequest[];

beforeAll(async () => {
  table = await startDynalite();
  ports = awsPorts({ tableName: table.tableName, documentClient: table.client, account: "123456789012" });
});

afterAll(async () => {
  await table.close();
});

beforeEach(() => {
  starts = [];
});

/** A service of its own per test, so that tests sharing the table never share a lock. */
function configFor(): { config: GlidepathConfig; service: string } {
  serviceCounter += 1;
  const service = `api-${serviceCounter}`;
  const config = parseConfig({
    services: [
      {
        name: service,
        artifact: { type: "ecr", repository: "my-repository-name", tagPattern: "^v\\d+$" },
        target: { type: "local" },
        environments: [
          { name: "dev", account: "123456789012", region: "us-west-2", strategy: "ECSAllAtOnce" },
        ],
      },
    ],
  });
  return { config, service };
}

/** Step Functions as the record step sees it: the execution's first state records the deployment IN_PROGRESS. */
function lifecycle(config: GlidepathConfig): DeploymentLifecycle {
  return {
    config,
    start: async (request) => {
      starts.push(request);
      const name = executionName({ ...request, version: request.artifact.version });
      const executionArn = `arn:aws:states:us-west-2:123456789012:execution:Glidepath-${request.strategy}:${name}`;
      await ports.store.transition(request.deploymentId, "IN_PROGRESS", {
        executionArn,
        currentStep: "Started",
      });
      return { executionArn };
    },
  };
}

function push(n: number): Record<string, unknown> {
  return {
    ...ecrPush,
    time: new Date(Date.parse("2026-11-26T14:00:00Z") + n * 1000).toISOString(),
    detail: {
      ...ecrPush.detail,
      "image-tag": `v${n}`,
      "image-digest": `sha256:${String(n).padStart(64, "0")}`,
    },
  };
}

/** Two pushes through the trigger: the first holds the lock and runs, the second waits for it. */
async function runningAndWaiting(config: GlidepathConfig): Promise<{ running: string; waiting: string }> {
  const trigger = createTriggerHandler({ ...lifecycle(config), store: ports.store, clock: () => new Date() });
  const [first] = await trigger(push(1));
  const [second] = await trigger(push(2));
  if (first?.outcome !== "started" || second?.outcome !== "queued")
    throw new Error("unexpected trigger outcome");
  starts = [];
  return { running: first.deploymentId, waiting: second.deploymentId };
}

describe("record handler with a lifecycle", () => {
  it("keeps the lock at success and releases it once the old version is retired, starting the one waiting", async () => {
    // Prepare
    const { config, service } = configFor();
    const { running, waiting } = await runningAndWaiting(config);
    const record = createRecordHandler(ports, lifecycle(config));

    // Act
    const result = await record({ action: "succeeded", deploymentId: running, alarms: [] });
    const heldAfterSuccess = (await ports.store.getLock(service, "dev")).holder;
    const released = await record({ action: "released", deploymentId: running });

    // Assess
    expect(result).toEqual({ status: "SUCCEEDED" });
    expect(heldAfterSuccess).toBe(running);
    expect(released).toEqual({ status: "SUCCEEDED" });
    expect(starts.map((request) => request.deploymentId)).toEqual([waiting]);
    expect(await ports.store.getDeployment(waiting)).toMatchObject({ status: "IN_PROGRESS" });
    const lock = await ports.store.getLock(service, "dev");
    expect(lock).toMatchObject({ holder: waiting, liveVersion: "v1" });
    expect(lock.queued).toBeUndefined();
  });

  it.each([
    { action: "rolled-back", status: "ROLLED_BACK", extra: {} },
    { action: "failed", status: "FAILED", extra: { stage: "Deploy" } },
  ])("hands the lock over when the deployment ended $status, keeping the live version", async (ending) => {
    // Prepare
    const { config, service } = configFor();
    const { running, waiting } = await runningAndWaiting(config);
    const record = createRecordHandler(ports, lifecycle(config));
    if (ending.action === "rolled-back") {
      await record({ action: "rolling-back", deploymentId: running, error: { Error: "AlarmFiredError" } });
    }

    // Act
    const result = await record({
      action: ending.action,
      deploymentId: running,
      error: { Error: "AlarmFiredError", Cause: "5xx" },
      alarms: [],
      ...ending.extra,
    });

    // Assess
    expect(result).toEqual({ status: ending.status });
    expect(starts.map((request) => request.deploymentId)).toEqual([waiting]);
    const lock = await ports.store.getLock(service, "dev");
    expect(lock.holder).toBe(waiting);
    expect(lock.liveVersion).toBeUndefined();
  });

  it("changes no lock and starts nothing when the deployment never held the lock (started by hand)", async () => {
    // Prepare
    const { config, service } = configFor();
    const { running, waiting } = await runningAndWaiting(config);
    const { deployment: byHand } = await ports.store.createDeployment({
      service,
      environment: "dev",
      artifact: { uri: "local/api@sha256:9", digest: `sha256:${"9".repeat(64)}`, version: "v9" },
      strategy: "all-at-once",
    });
    await ports.store.transition(byHand.id, "IN_PROGRESS", { currentStep: "Started" });
    const before = await ports.store.getLock(service, "dev");
    const record = createRecordHandler(ports, lifecycle(config));

    // Act
    const result = await record({ action: "succeeded", deploymentId: byHand.id, alarms: [] });
    await record({ action: "released", deploymentId: byHand.id });

    // Assess
    expect(result).toEqual({ status: "SUCCEEDED" });
    expect(starts).toEqual([]);
    expect(await ports.store.getLock(service, "dev")).toEqual(before);
    expect(before).toMatchObject({ holder: running, queued: waiting });
  });

  it("changes nothing when no lock of the service+environment ever existed", async () => {
    // Prepare
    const { config, service } = configFor();
    const { deployment } = await ports.store.createDeployment({
      service,
      environment: "dev",
      artifact: { uri: "local/api@sha256:8", digest: `sha256:${"8".repeat(64)}`, version: "v8" },
      strategy: "all-at-once",
    });
    await ports.store.transition(deployment.id, "IN_PROGRESS", { currentStep: "Started" });
    const record = createRecordHandler(ports, lifecycle(config));

    // Act
    const result = await record({ action: "succeeded", deploymentId: deployment.id, alarms: [] });
    await record({ action: "released", deploymentId: deployment.id });

    // Assess
    expect(result).toEqual({ status: "SUCCEEDED" });
    expect(starts).toEqual([]);
    expect(await ports.store.getLock(service, "dev")).toEqual({});
  });

  it("only records without a lifecycle, as before", async () => {
    // Prepare
    const { config, service } = configFor();
    const { running, waiting } = await runningAndWaiting(config);

    // Act
    await createRecordHandler(ports)({ action: "succeeded", deploymentId: running, alarms: [] });
    await createRecordHandler(ports)({ action: "released", deploymentId: running });

    // Assess
    expect(starts).toEqual([]);
    expect(await ports.store.getLock(service, "dev")).toMatchObject({ holder: running, queued: waiting });
  });
});
