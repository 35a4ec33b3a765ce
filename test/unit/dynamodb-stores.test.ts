import { type AttributeValue, ScanCommand } from "@aws-sdk/client-dynamodb";
import { beforeEach, describe, expect, it } from "vitest";
import { deploymentKey } from "../../functions/adapters/aws/dynamodb-keys.ts";
import { dynamoDbStores } from "../../functions/adapters/aws/dynamodb-stores.ts";
import { TableSchema } from "../../functions/adapters/aws/table-schema.ts";
import type { Decision } from "../../functions/domain/deployment.ts";
import {
  DeploymentNotFoundError,
  ErrorNames,
  IllegalTransitionError,
  InvalidCursorError,
} from "../../functions/domain/errors.ts";
import type { CreateDeploymentInput } from "../../functions/domain/ports/deployment-store.ts";
import type { Stores } from "../../functions/domain/ports/stores.ts";
import { rawItem, useStoreTable } from "../helpers/dynalite.ts";

const start = new Date("2030-01-01T00:00:00.000Z");
const day = 86_400;

let now: Date;
let stores: Stores;
const db = useStoreTable(() => now);
let serviceCounter = 0;

beforeEach(() => {
  now = start;
  stores = db.stores();
});

/** Every test works on its own service so that the shared table needs no cleaning. */
function freshService(): string {
  serviceCounter += 1;
  return `svc-${serviceCounter}`;
}

function input(service: string, overrides: Partial<CreateDeploymentInput> = {}): CreateDeploymentInput {
  return {
    service,
    environment: "production",
    artifact: {
      uri: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/${service}:1.4.0`,
      digest: "sha256:4f1c0a",
      version: "1.4.0",
    },
    strategy: "ECSCanary10Percent5Minutes",
    ...overrides,
  };
}

function advance(seconds: number): void {
  now = new Date(now.getTime() + seconds * 1000);
}

async function itemsUnder(pk: string): Promise<Record<string, AttributeValue>[]> {
  const output = await db.table().rawClient.send(
    new ScanCommand({
      TableName: db.table().tableName,
      FilterExpression: "#pk = :pk",
      ExpressionAttributeNames: { "#pk": TableSchema.partitionKey },
      ExpressionAttributeValues: { ":pk": { S: pk } },
    }),
  );
  return output.Items ?? [];
}

describe("DynamoDbDeploymentStore.create", () => {
  it("creates a QUEUED deployment with a deterministic id", async () => {
    // Prepare
    const service = freshService();

    // Act
    const result = await stores.deployments.create(input(service));

    // Assess
    expect(result.created).toBe(true);
    expect(result.deployment).toEqual({
      id: expect.stringMatching(/^d-[0-9a-f]{20}$/),
      service,
      environment: "production",
      artifact: input(service).artifact,
      strategy: "ECSCanary10Percent5Minutes",
      status: "QUEUED",
      weights: { old: 100, new: 0 },
      createdAt: start.toISOString(),
      updatedAt: start.toISOString(),
      approvals: [],
      attempt: 1,
    });
    expect(await stores.deployments.get(result.deployment.id)).toStrictEqual(result.deployment);
  });

  it("returns the existing record with created=false when retried, and stores one item", async () => {
    // Prepare
    const service = freshService();
    const first = await stores.deployments.create(input(service));
    advance(30);

    // Act
    const retry = await stores.deployments.create(input(service));

    // Assess
    expect(retry.created).toBe(false);
    expect(retry.deployment).toStrictEqual(first.deployment);
    const items = await itemsUnder(deploymentKey(first.deployment.id)[TableSchema.partitionKey]);
    expect(items).toHaveLength(1);
    expect(items[0]?.itemType).toEqual({ S: "deployment" });
  });

  it("creates a new deployment for a new attempt of the same artifact", async () => {
    // Prepare
    const service = freshService();
    const first = await stores.deployments.create(input(service));

    // Act
    const second = await stores.deployments.create(input(service, { attempt: 2 }));

    // Assess
    expect(second.created).toBe(true);
    expect(second.deployment.id).not.toBe(first.deployment.id);
    expect(second.deployment.attempt).toBe(2);
  });

  it("returns undefined for an unknown id", async () => {
    // Act
    const deployment = await stores.deployments.get("d-00000000000000000000");

    // Assess
    expect(deployment).toBeUndefined();
  });
});

describe("DynamoDbDeploymentStore.transition", () => {
  it("moves the status and applies the patch", async () => {
    // Prepare
    const { deployment } = await stores.deployments.create(input(freshService()));
    advance(5);

    // Act
    const updated = await stores.deployments.transition(deployment.id, "IN_PROGRESS", {
      currentStep: "setWeight-10",
      weights: { old: 90, new: 10 },
      executionArn: "arn:aws:states:eu-west-1:123456789012:execution:canary:run-1",
    });

    // Assess
    expect(updated).toStrictEqual({
      ...deployment,
      status: "IN_PROGRESS",
      currentStep: "setWeight-10",
      weights: { old: 90, new: 10 },
      executionArn: "arn:aws:states:eu-west-1:123456789012:execution:canary:run-1",
      updatedAt: now.toISOString(),
    });
    expect(await stores.deployments.get(deployment.id)).toStrictEqual(updated);
  });

  it("keeps a status reason only for the status it was given with", async () => {
    // Prepare
    const { deployment } = await stores.deployments.create(input(freshService()));
    await stores.deployments.transition(deployment.id, "IN_PROGRESS");

    // Act
    const paused = await stores.deployments.transition(deployment.id, "PAUSED", {
      statusReason: "paused by alice",
    });
    const resumed = await stores.deployments.transition(deployment.id, "IN_PROGRESS");

    // Assess
    expect(paused.statusReason).toBe("paused by alice");
    expect(resumed).not.toHaveProperty("statusReason");
  });

  it("treats a repeat of the same transition as a no-op", async () => {
    // Prepare
    const { deployment } = await stores.deployments.create(input(freshService()));
    const first = await stores.deployments.transition(deployment.id, "IN_PROGRESS", {
      currentStep: "deploy",
    });
    const before = await rawItem(db.table(), deploymentKey(deployment.id));
    advance(60);

    // Act
    const repeat = await stores.deployments.transition(deployment.id, "IN_PROGRESS", {
      currentStep: "deploy",
    });

    // Assess
    expect(repeat).toStrictEqual(first);
    expect(await rawItem(db.table(), deploymentKey(deployment.id))).toStrictEqual(before);
  });

  it("throws IllegalTransitionError and writes nothing for a forbidden transition", async () => {
    // Prepare
    const { deployment } = await stores.deployments.create(input(freshService()));
    const before = await rawItem(db.table(), deploymentKey(deployment.id));
    advance(60);

    // Act
    const attempt = stores.deployments.transition(deployment.id, "SUCCEEDED", { statusReason: "skip ahead" });

    // Assess
    const error = await attempt.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(IllegalTransitionError);
    expect(error).toMatchObject({
      name: ErrorNames.IllegalTransition,
      deploymentId: deployment.id,
      from: "QUEUED",
      to: "SUCCEEDED",
    });
    expect((error as Error).message).toContain("allowed from QUEUED: IN_PROGRESS, SUPERSEDED, FAILED");
    expect(await rawItem(db.table(), deploymentKey(deployment.id))).toStrictEqual(before);
  });

  it("says a terminal status allows nothing", async () => {
    // Prepare
    const { deployment } = await stores.deployments.create(input(freshService()));
    await stores.deployments.transition(deployment.id, "SUPERSEDED");
    const before = await rawItem(db.table(), deploymentKey(deployment.id));

    // Act
    const attempt = stores.deployments.transition(deployment.id, "IN_PROGRESS");

    // Assess
    await expect(attempt).rejects.toThrow(/from SUPERSEDED to IN_PROGRESS \(SUPERSEDED is terminal/);
    expect(await rawItem(db.table(), deploymentKey(deployment.id))).toStrictEqual(before);
  });

  it("refuses a transition into QUEUED, which nothing leads to", async () => {
    // Prepare
    const { deployment } = await stores.deployments.create(input(freshService()));

    // Act
    const attempt = stores.deployments.transition(deployment.id, "QUEUED");

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(IllegalTransitionError);
  });

  it("throws DeploymentNotFoundError for an unknown id and creates no item", async () => {
    // Prepare
    const id = "d-ffffffffffffffffffff";

    // Act
    const attempt = stores.deployments.transition(id, "IN_PROGRESS");

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(DeploymentNotFoundError);
    await expect(attempt).rejects.toMatchObject({ name: ErrorNames.DeploymentNotFound, deploymentId: id });
    expect(await rawItem(db.table(), deploymentKey(id))).toBeUndefined();
  });

  it("sets expiresAt when a terminal status is reached, and not before", async () => {
    // Prepare
    const { deployment } = await stores.deployments.create(input(freshService()));
    await stores.deployments.transition(deployment.id, "IN_PROGRESS");
    const live = await rawItem(db.table(), deploymentKey(deployment.id));
    advance(3600);

    // Act
    await stores.deployments.transition(deployment.id, "SUCCEEDED");

    // Assess
    expect(live?.[TableSchema.timeToLiveAttribute]).toBeUndefined();
    const finished = await rawItem(db.table(), deploymentKey(deployment.id));
    const expected = now.getTime() / 1000 + 400 * day;
    expect(finished?.[TableSchema.timeToLiveAttribute]).toEqual({ N: String(expected) });
  });

  it("uses the configured retention", async () => {
    // Prepare
    const shortLived = dynamoDbStores({
      client: db.table().client,
      tableName: db.table().tableName,
      retentionDays: 30,
      clock: () => now,
    });
    const { deployment } = await shortLived.deployments.create(input(freshService()));

    // Act
    await shortLived.deployments.transition(deployment.id, "FAILED", { statusReason: "image pull failed" });

    // Assess
    const item = await rawItem(db.table(), deploymentKey(deployment.id));
    expect(item?.[TableSchema.timeToLiveAttribute]).toEqual({ N: String(now.getTime() / 1000 + 30 * day) });
  });

  it("lets exactly one of two concurrent conflicting transitions win", async () => {
    // Prepare
    const { deployment } = await stores.deployments.create(input(freshService()));
    await stores.deployments.transition(deployment.id, "IN_PROGRESS");

    // Act
    const results = await Promise.allSettled([
      stores.deployments.transition(deployment.id, "SUCCEEDED"),
      stores.deployments.transition(deployment.id, "PAUSED"),
    ]);

    // Assess
    const fulfilled = results.filter((result) => result.status === "fulfilled");
    const rejected = results.filter((result) => result.status === "rejected");
    expect(fulfilled).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.reason).toBeInstanceOf(IllegalTransitionError);
  });
});

describe("DynamoDbDeploymentStore.history", () => {
  async function createHistory(service: string, environment: string, count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let index = 0; index < count; index++) {
      const { deployment } = await stores.deployments.create(
        input(service, {
          environment,
          artifact: {
            uri: `repo/${service}:1.${index}.0`,
            digest: `sha256:${index}`,
            version: `1.${index}.0`,
          },
        }),
      );
      ids.push(deployment.id);
      advance(60);
    }
    return ids.reverse();
  }

  it("pages through 7 deployments 3 at a time, newest first, without duplicates", async () => {
    // Prepare
    const service = freshService();
    const newestFirst = await createHistory(service, "production", 7);
    await createHistory(service, "staging", 2);

    // Act
    const pages = [];
    let cursor: string | undefined;
    do {
      const page = await stores.deployments.history({ service, environment: "production", limit: 3, cursor });
      pages.push(page);
      cursor = page.nextCursor;
    } while (cursor !== undefined && pages.length < 10);

    // Assess
    expect(pages.map((page) => page.items.length)).toEqual([3, 3, 1]);
    const ids = pages.flatMap((page) => page.items.map((deployment) => deployment.id));
    expect(ids).toEqual(newestFirst);
    expect(new Set(ids).size).toBe(7);
    expect(pages.at(-1)).not.toHaveProperty("nextCursor");
    expect(pages.flatMap((page) => page.items).every((d) => d.environment === "production")).toBe(true);
  });

  it("ends without an empty page when the count is a multiple of the limit", async () => {
    // Prepare
    const service = freshService();
    await createHistory(service, "production", 6);

    // Act
    const first = await stores.deployments.history({ service, environment: "production", limit: 3 });
    const second = await stores.deployments.history({
      service,
      environment: "production",
      limit: 3,
      cursor: first.nextCursor,
    });

    // Assess
    expect(second.items).toHaveLength(3);
    expect(second.nextCursor).toBeUndefined();
  });

  it("returns an empty page for a service without deployments", async () => {
    // Act
    const page = await stores.deployments.history({
      service: freshService(),
      environment: "production",
      limit: 3,
    });

    // Assess
    expect(page).toEqual({ items: [] });
  });

  it.each([
    ["garbage", "not-a-cursor!", /not a cursor returned by a history query/],
    ["JSON of the wrong shape", Buffer.from('{"pk":"x"}').toString("base64url"), /not a cursor returned/],
    ["a JSON array", Buffer.from("[1,2]").toString("base64url"), /not a cursor returned/],
  ])("rejects a cursor that is %s", async (_kind, cursor, message) => {
    // Act
    const attempt = stores.deployments.history({
      service: freshService(),
      environment: "production",
      limit: 3,
      cursor,
    });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(InvalidCursorError);
    await expect(attempt).rejects.toThrow(message);
  });

  it("rejects a cursor from another service's history", async () => {
    // Prepare
    const other = freshService();
    await createHistory(other, "production", 2);
    const { nextCursor } = await stores.deployments.history({
      service: other,
      environment: "production",
      limit: 1,
    });

    // Act
    const attempt = stores.deployments.history({
      service: freshService(),
      environment: "production",
      limit: 1,
      cursor: nextCursor,
    });

    // Assess
    await expect(attempt).rejects.toThrow(/belongs to the history of another service or environment/);
  });

  it.each([0, -1, 2.5])("rejects limit %s", async (limit) => {
    // Act
    const attempt = stores.deployments.history({ service: freshService(), environment: "production", limit });

    // Assess
    await expect(attempt).rejects.toThrow(RangeError);
  });
});

describe("DynamoDbDecisionLog", () => {
  function decision(
    deploymentId: string,
    id: string,
    at: string,
    overrides: Partial<Decision> = {},
  ): Decision {
    return {
      deploymentId,
      id,
      at,
      action: "continue",
      actor: "analysis",
      reason: "error rate within threshold",
      values: { errorRate: { old: 0.002, new: 0.001 }, threshold: 0.01, samples: 1200 },
      ...overrides,
    };
  }

  it("lists decisions oldest first, whatever order they were appended in", async () => {
    // Prepare
    const { deployment } = await stores.deployments.create(input(freshService()));
    const { deployment: other } = await stores.deployments.create(input(freshService()));
    const second = decision(deployment.id, "evt-2", "2030-01-01T00:10:00.000Z");
    const third = decision(deployment.id, "evt-3", "2030-01-01T00:20:00.000Z", {
      action: "rollback",
      actor: "alarm:api-5xx",
      reason: "alarm api-5xx went to ALARM",
      values: { alarm: "api-5xx", state: "ALARM", threshold: 5, value: 17 },
    });
    const first = decision(deployment.id, "evt-1", "2030-01-01T00:05:00.000Z");

    // Act
    for (const entry of [second, third, first]) await stores.decisions.append(entry);
    await stores.decisions.append(decision(other.id, "evt-9", "2030-01-01T00:00:00.000Z"));

    // Assess
    expect(await stores.decisions.list(deployment.id)).toStrictEqual([first, second, third]);
  });

  it("records a redelivered decision once", async () => {
    // Prepare
    const { deployment } = await stores.deployments.create(input(freshService()));
    const entry = decision(deployment.id, "evt-1", "2030-01-01T00:05:00.000Z");

    // Act
    const results = [await stores.decisions.append(entry), await stores.decisions.append(entry)];

    // Assess
    expect(results).toEqual([{ appended: true }, { appended: false }]);
    expect(await stores.decisions.list(deployment.id)).toStrictEqual([entry]);
  });

  it("expires a decision with the retention counted from when it was made", async () => {
    // Prepare
    const { deployment } = await stores.deployments.create(input(freshService()));
    const entry = decision(deployment.id, "evt-1", "2030-01-02T00:00:00.000Z");

    // Act
    await stores.decisions.append(entry);

    // Assess
    const items = await itemsUnder(deploymentKey(deployment.id)[TableSchema.partitionKey]);
    const stored = items.find((item) => item.itemType?.S === "decision");
    expect(stored?.[TableSchema.timeToLiveAttribute]).toEqual({
      N: String(Date.parse("2030-01-02T00:00:00.000Z") / 1000 + 400 * day),
    });
  });

  it("rejects a decision time that is not a timestamp", async () => {
    // Act
    const attempt = stores.decisions.append(decision("d-x", "evt-1", "yesterday"));

    // Assess
    await expect(attempt).rejects.toThrow(/ISO-8601/);
  });
});

describe("DynamoDbDeploymentStore.recordProgress", () => {
  it("records step, weights and execution without changing the status", async () => {
    // Prepare
    const { deployment } = await stores.deployments.create(input(freshService()));
    await stores.deployments.transition(deployment.id, "IN_PROGRESS");
    advance(30);

    // Act
    const updated = await stores.deployments.recordProgress(deployment.id, {
      currentStep: "Shift traffic",
      weights: { old: 90, new: 10 },
      executionArn: "arn:aws:states:eu-west-1:123456789012:execution:Glidepath-canary:web-prod-1-abc",
    });

    // Assess
    expect(updated).toMatchObject({
      status: "IN_PROGRESS",
      currentStep: "Shift traffic",
      weights: { old: 90, new: 10 },
      executionArn: "arn:aws:states:eu-west-1:123456789012:execution:Glidepath-canary:web-prod-1-abc",
      updatedAt: "2030-01-01T00:00:30.000Z",
    });
    expect(await stores.deployments.get(deployment.id)).toEqual(updated);
  });

  it("refuses to touch a finished deployment and writes nothing", async () => {
    // Prepare
    const { deployment } = await stores.deployments.create(input(freshService()));
    await stores.deployments.transition(deployment.id, "IN_PROGRESS");
    await stores.deployments.transition(deployment.id, "SUCCEEDED");
    const before = await rawItem(db.table(), deploymentKey(deployment.id));

    // Act
    const attempt = stores.deployments.recordProgress(deployment.id, { weights: { old: 100, new: 0 } });

    // Assess
    await expect(attempt).rejects.toThrow(IllegalTransitionError);
    expect(await rawItem(db.table(), deploymentKey(deployment.id))).toEqual(before);
  });

  it("reports an unknown deployment", async () => {
    await expect(stores.deployments.recordProgress("d-unknown", { currentStep: "x" })).rejects.toThrow(
      DeploymentNotFoundError,
    );
  });
});
