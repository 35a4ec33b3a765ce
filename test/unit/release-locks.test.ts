import { describe, expect, it } from "vitest";
import { type GlidepathConfig, parseConfig } from "../../functions/domain/config/index.ts";
import type { PromotionRequest } from "../../functions/domain/promotion/request.ts";
import { planRelease } from "../../functions/domain/release/manifest.ts";
import { newRelease, type Release } from "../../functions/domain/release/record.ts";
import {
  type ReleaseLockPorts,
  returnReleaseLocks,
  takeReleaseLocks,
} from "../../functions/handlers/release-locks.ts";
import { createTriggerHandler, type TriggerPorts } from "../../functions/handlers/trigger.ts";
import { useStoreTable } from "../helpers/dynalite.ts";

const db = useStoreTable(() => new Date("2026-12-03T09:00:00Z"));

let runs = 0;
/** Services of their own for each test (tests share the table, so they must not share locks). */
function configWith(
  names: readonly string[],
  concurrency: "queue" | "supersede" = "queue",
): { config: GlidepathConfig; services: string[] } {
  runs += 1;
  const services = names.map((name) => `${name}-${runs}`);
  const config = parseConfig({
    services: services.map((name) => ({
      name,
      artifact: { type: "custom", source: "ci.shop" },
      target: { type: "local" },
      concurrency,
      environments: ["dev", "production"].map((environment) => ({
        name: environment,
        account: "000000000000",
        region: "eu-west-1",
        strategy: "ECSAllAtOnce",
      })),
    })),
  });
  return { config, services };
}

let digests = 0;
async function createRelease(config: GlidepathConfig, services: readonly string[]): Promise<Release> {
  digests += 1;
  const artifacts = Object.fromEntries(
    services.map((service) => [
      service,
      {
        uri: `local://${service}`,
        digest: `sha256:${String(digests).padStart(8, "0")}${"ab".repeat(8)}`,
        version: `2.${digests}.0`,
      },
    ]),
  );
  const plan = planRelease({ services: artifacts }, config);
  const { release } = await db
    .stores()
    .releases.create(newRelease(plan, "2026-12-03T08:59:00Z", "2026-12-03T09:00:00.000Z"));
  return release;
}

function ports(config: GlidepathConfig, starts: PromotionRequest[] = []): ReleaseLockPorts & TriggerPorts {
  return {
    ...db.stores(),
    config,
    clock: () => new Date("2026-12-03T09:00:00Z"),
    start: async (request) => {
      starts.push(request);
      return {
        executionArn: `arn:aws:states:eu-west-1:000000000000:execution:pipeline:${request.promotionId}`,
      };
    },
    abort: async () => {
      throw new Error("a release's lock is never superseded");
    },
  };
}

async function holders(services: readonly string[]): Promise<(string | undefined)[]> {
  return Promise.all(services.map(async (service) => (await db.stores().promotions.getLock(service)).holder));
}

describe("a release's locks, against dynalite", () => {
  it("takes every one of its services' locks and records them in name order", async () => {
    // Prepare
    const { config, services } = configWith(["orders", "audit", "payments"]);
    const release = await createRelease(config, services);

    // Act
    const outcome = await takeReleaseLocks(ports(config), release.id);

    // Assess
    expect(outcome).toEqual({ held: true, locks: [...services].sort() });
    expect(await holders(services)).toEqual([release.id, release.id, release.id]);
    expect((await db.stores().releases.get(release.id))?.locks).toEqual([...services].sort());
  });

  it("taking its locks again changes nothing: the locks are re-entrant and the record is not rewritten", async () => {
    // Prepare
    const { config, services } = configWith(["orders", "payments"]);
    const release = await createRelease(config, services);
    await takeReleaseLocks(ports(config), release.id);
    const before = await db.stores().releases.get(release.id);

    // Act
    const outcome = await takeReleaseLocks(ports(config), release.id);

    // Assess
    expect(outcome).toEqual({ held: true, locks: [...services].sort() });
    expect(await db.stores().releases.get(release.id)).toEqual(before);
  });

  it("stops at the first lock another holds, keeping the ones before it and taking none after it", async () => {
    // Prepare: a, b, c by name; another release holds b.
    const { config, services } = configWith(["a", "b", "c"]);
    const [a, b, c] = services as [string, string, string];
    const other = await createRelease(config, [b]);
    await takeReleaseLocks(ports(config), other.id);
    const release = await createRelease(config, services);

    // Act
    const outcome = await takeReleaseLocks(ports(config), release.id);

    // Assess
    expect(outcome).toEqual({ held: false, service: b, holder: other.id, locks: [a] });
    expect(await holders([a, b, c])).toEqual([release.id, other.id, undefined]);
  });

  it("two releases sharing services, each listing them in another order, never deadlock: the second holds nothing the first needs", async () => {
    // Prepare: the first release takes y's lock first by name, so the second, needing x and y, waits at x.
    const { config, services } = configWith(["y", "x"]);
    const [y, x] = services as [string, string];
    const first = await createRelease(config, [y, x]);
    await takeReleaseLocks(ports(config), first.id);
    const second = await createRelease(config, [x, y]);

    // Act
    const waiting = await takeReleaseLocks(ports(config), second.id);
    await returnReleaseLocks(ports(config), first.id, { succeeded: true });
    const after = await takeReleaseLocks(ports(config), second.id);

    // Assess
    expect(waiting).toEqual({ held: false, service: x, holder: first.id, locks: [] });
    expect(after).toEqual({ held: true, locks: [x, y] });
    expect(await holders([x, y])).toEqual([second.id, second.id]);
  });

  it("of two releases taking shared locks concurrently, one holds them all and the other none of the shared ones", async () => {
    // Prepare
    const { config, services } = configWith(["m", "n", "o", "p"]);
    const [m, n, o, p] = services as [string, string, string, string];
    const one = await createRelease(config, [m, n, o]);
    const two = await createRelease(config, [n, o, p]);

    // Act
    const outcomes = await Promise.all([
      takeReleaseLocks(ports(config), one.id),
      takeReleaseLocks(ports(config), two.id),
    ]);

    // Assess
    const sharedHolders = await holders([n, o]);
    expect(sharedHolders[0]).toBe(sharedHolders[1]);
    const winner = sharedHolders[0] === one.id ? 0 : 1;
    expect(outcomes[winner]?.held).toBe(true);
    expect(outcomes[1 - winner]).toMatchObject({ held: false, service: n });
  });

  it("gives back every lock with the release's versions as live, and the record holds none", async () => {
    // Prepare
    const { config, services } = configWith(["orders", "payments"]);
    const release = await createRelease(config, services);
    await takeReleaseLocks(ports(config), release.id);

    // Act
    await returnReleaseLocks(ports(config), release.id, { succeeded: true });
    await returnReleaseLocks(ports(config), release.id, { succeeded: true });

    // Assess
    const locks = await Promise.all(services.map((service) => db.stores().promotions.getLock(service)));
    expect(locks.map((lock) => [lock.holder, lock.liveVersion])).toEqual(
      services.map((service) => [undefined, release.artifacts[service]?.version]),
    );
    expect((await db.stores().releases.get(release.id))?.locks).toEqual([]);
  });

  it("refuses to give back a lock another holds, naming the release and the holder", async () => {
    // Prepare
    const { config, services } = configWith(["orders"]);
    const [orders] = services as [string];
    const holder = await createRelease(config, [orders]);
    await takeReleaseLocks(ports(config), holder.id);
    const other = await createRelease(config, [orders]);

    // Act
    const release = db.stores().promotions.releaseLock({ service: orders, promotionId: other.id });

    // Assess
    await expect(release).rejects.toThrow(
      `Release ${other.id} cannot release the lock of ${orders}: it is held by ${holder.id}.`,
    );
  });

  it.each(["queue", "supersede"] as const)(
    "a push of one of its services (%s) waits for the release and starts when the release gives its locks back",
    async (concurrency) => {
      // Prepare
      const { config, services } = configWith(["orders", "payments"], concurrency);
      const [orders] = services as [string, string];
      const release = await createRelease(config, services);
      await takeReleaseLocks(ports(config), release.id);
      const starts: PromotionRequest[] = [];
      const push = {
        "detail-type": "ArtifactPublished",
        source: "ci.shop",
        account: "000000000000",
        region: "eu-west-1",
        time: "2026-12-03T09:00:00Z",
        detail: {
          service: orders,
          uri: `local://${orders}`,
          digest: `sha256:${"cd".repeat(16)}`,
          version: "3.0.0",
        },
      };

      // Act
      const outcomes = await createTriggerHandler(ports(config, starts))(push);
      const startedWhileHeld = starts.length;
      await returnReleaseLocks(ports(config, starts), release.id, { succeeded: false });

      // Assess
      expect(outcomes).toMatchObject([{ outcome: "queued", behind: release.id }]);
      expect(startedWhileHeld).toBe(0);
      expect(starts.map((request) => request.service)).toEqual([orders]);
      expect((await db.stores().promotions.getLock(orders)).holder).toBe(starts[0]?.promotionId);
    },
  );
});
