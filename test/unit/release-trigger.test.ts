import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../functions/domain/config/index.ts";
import { ErrorNames } from "../../functions/domain/errors.ts";
import { planRelease } from "../../functions/domain/release/manifest.ts";
import {
  type ReleaseRequest,
  releaseExecutionName,
  releaseRequest,
} from "../../functions/domain/release/request.ts";
import { createReleaseTriggerHandler } from "../../functions/handlers/release-trigger.ts";
import { useStoreTable } from "../helpers/dynalite.ts";

const fixture = (path: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/${path}`, import.meta.url), "utf8"));
const config = parseConfig(fixture("release/config.json"));
const published = fixture("events/release-published.json") as {
  detail: { name: string; services: Record<string, { uri: string; digest: string; version: string }> };
};

const db = useStoreTable(() => new Date("2026-12-03T10:00:01Z"));

let runs = 0;
/** The fixture's ReleasePublished event with digests of its own for one test, and `change` applied. */
function eventOf(change: (detail: typeof published.detail) => unknown = (detail) => detail) {
  runs += 1;
  const services = Object.fromEntries(
    Object.entries(published.detail.services).map(([service, artifact]) => {
      const digest = `${artifact.digest.slice(0, -4)}${runs.toString(16).padStart(4, "0")}`;
      return [service, { ...artifact, digest, uri: `${artifact.uri.split("@")[0]}@${digest}` }];
    }),
  );
  return { ...published, detail: change({ ...published.detail, services }) };
}

/** StartExecution as Step Functions answers it: one execution per name, a second start of it starts nothing. */
function fakeStarter() {
  const executions = new Map<string, ReleaseRequest>();
  const calls: string[] = [];
  const startRelease = async (request: ReleaseRequest) => {
    const name = releaseExecutionName(request);
    calls.push(name);
    if (!executions.has(name)) executions.set(name, request);
    return { executionArn: `arn:aws:states:eu-west-1:111111111111:execution:Glidepath-release:${name}` };
  };
  return { executions, calls, startRelease };
}

const handler = (starter: ReturnType<typeof fakeStarter>) =>
  createReleaseTriggerHandler({
    releases: db.stores().releases,
    config,
    startRelease: starter.startRelease,
    clock: () => new Date("2026-12-03T10:00:01Z"),
  });

describe("the release trigger, against dynalite", () => {
  it("creates the release record, QUEUED for its locks, and starts its pipeline with the resolved request", async () => {
    // Prepare
    const starter = fakeStarter();
    const event = eventOf();

    // Act
    const outcome = await handler(starter)(event);

    // Assess
    const plan = planRelease(event.detail, config);
    expect(outcome).toEqual({
      outcome: "started",
      releaseId: plan.releaseId,
      services: ["payments", "orders"],
      executionArn: `arn:aws:states:eu-west-1:111111111111:execution:Glidepath-release:spring-sale-release-payments-orders-${plan.releaseId.slice(2, 10)}`,
    });
    expect([...starter.executions.values()]).toEqual([releaseRequest({ plan, config })]);
    const record = await db.stores().releases.get(plan.releaseId);
    expect(record).toMatchObject({ status: "QUEUED", publishedAt: "2026-12-03T10:00:00.000Z", locks: [] });
  });

  it("a duplicate ReleasePublished, under another name, starts nothing and says so", async () => {
    // Prepare
    const starter = fakeStarter();
    const event = eventOf();
    const run = handler(starter);
    await run(event);

    // Act
    const again = await run({
      ...event,
      id: "another-delivery",
      detail: { ...(event.detail as object), name: "renamed" },
    });

    // Assess
    expect(again).toEqual({
      outcome: "duplicate",
      releaseId: planRelease(event.detail, config).releaseId,
      status: "QUEUED",
    });
    expect(starter.executions.size).toBe(1);
  });

  it("a duplicate of a release that has started does not ask Step Functions at all", async () => {
    // Prepare
    const starter = fakeStarter();
    const event = eventOf();
    const run = handler(starter);
    await run(event);
    const { releaseId } = planRelease(event.detail, config);
    const record = await db.stores().releases.get(releaseId);
    if (record === undefined) throw new Error("no record");
    await db.stores().releases.save({ ...record, status: "RUNNING", revision: record.revision + 1 });

    // Act
    const again = await run(event);

    // Assess
    expect(again).toEqual({ outcome: "duplicate", releaseId, status: "RUNNING" });
    expect(starter.calls).toHaveLength(1);
  });

  it.each([
    [
      "a manifest naming a service the config does not have",
      (detail: typeof published.detail) => ({
        ...detail,
        services: { ...detail.services, ghost: detail.services.orders },
      }),
      /services\.ghost: names no service of the config \(has: orders, payments\)/,
    ],
    [
      "a manifest without services",
      (detail: typeof published.detail) => ({ ...detail, services: {} }),
      /list at least one service's artifact/,
    ],
  ])(
    "refuses %s with TriggerEventInvalidError, so the dead-letter queue keeps it, and creates nothing",
    async (_, change, message) => {
      // Prepare
      const starter = fakeStarter();

      // Act
      const running = handler(starter)(eventOf(change));

      // Assess
      await expect(running).rejects.toThrow(
        expect.objectContaining({
          name: ErrorNames.TriggerEventInvalid,
          message: expect.stringMatching(message),
        }),
      );
      expect(starter.calls).toEqual([]);
    },
  );

  it("refuses an event of another detail-type", async () => {
    // Act
    const running = handler(fakeStarter())({ ...eventOf(), "detail-type": "ArtifactPublished" });

    // Assess
    await expect(running).rejects.toThrow(
      /unexpected detail-type ArtifactPublished: the release trigger reads ReleasePublished/,
    );
  });
});
