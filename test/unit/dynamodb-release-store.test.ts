import { describe, expect, it } from "vitest";
import { type GlidepathConfigInput, parseConfig } from "../../functions/domain/config/index.ts";
import { ErrorNames } from "../../functions/domain/errors.ts";
import { planRelease } from "../../functions/domain/release/manifest.ts";
import { lockOrder, newRelease, type Release } from "../../functions/domain/release/record.ts";
import { rawItem, useStoreTable } from "../helpers/dynalite.ts";

const db = useStoreTable(() => new Date("2026-12-02T10:00:00Z"));

const config = parseConfig({
  services: ["payments", "orders", "audit"].map((name) => ({
    name,
    artifact: { type: "custom", source: "ci.shop" },
    target: { type: "local" },
    dependsOn: name === "orders" ? ["payments"] : [],
    environments: ["dev", "production"].map((environment) => ({
      name: environment,
      account: "000000000000",
      region: "eu-west-1",
      strategy: "ECSAllAtOnce",
    })),
  })),
} as GlidepathConfigInput);

let digests = 0;
/** A release of orders and payments, with digests no other test uses. */
function release(publishedAt = "2026-12-02T09:59:00Z"): Release {
  digests += 1;
  const artifact = (service: string) => ({
    uri: `local://${service}`,
    digest: `sha256:${service}${String(digests).padStart(16, "0")}`,
    version: `1.${digests}.0`,
  });
  const plan = planRelease(
    { services: { orders: artifact("orders"), payments: artifact("payments") } },
    config,
  );
  return newRelease(plan, publishedAt, "2026-12-02T10:00:00.000Z");
}

describe("DynamoDbReleaseStore, against dynalite", () => {
  it("creates a release once: the same manifest again returns the stored record, unchanged", async () => {
    // Prepare
    const { releases } = db.stores();
    const first = release();
    await releases.create(first);
    await releases.save({ ...first, status: "RUNNING", locks: ["orders", "payments"], revision: 1 });

    // Act
    const again = await releases.create({ ...first, name: "retried" });

    // Assess
    expect(again.created).toBe(false);
    expect(again.release).toMatchObject({ id: first.id, status: "RUNNING", revision: 1 });
    expect(again.release.name).toBeUndefined();
  });

  it("keeps the order, the artifacts and every environment's services PENDING, as planned", async () => {
    // Prepare
    const { releases } = db.stores();
    const planned = release();

    // Act
    await releases.create(planned);
    const stored = await releases.get(planned.id);

    // Assess
    expect(stored).toEqual(planned);
    expect(stored?.groups).toEqual([["payments"], ["orders"]]);
    expect(stored?.environments).toEqual([
      { name: "dev", status: "PENDING", services: { payments: "PENDING", orders: "PENDING" } },
      { name: "production", status: "PENDING", services: { payments: "PENDING", orders: "PENDING" } },
    ]);
    const item = await rawItem(db.table(), { pk: `RELEASE#${planned.id}`, sk: "RELEASE" });
    expect(item?.itemType).toEqual({ S: "release" });
  });

  it("refuses a save decided from a revision another write has moved past", async () => {
    // Prepare
    const { releases } = db.stores();
    const planned = release();
    await releases.create(planned);
    const running = { ...planned, status: "RUNNING" as const, revision: 1 };

    // Act
    const firstSave = await releases.save(running);
    const staleSave = await releases.save({ ...planned, status: "STOPPED", revision: 1 });

    // Assess
    expect([firstSave, staleSave]).toEqual([true, false]);
    expect((await releases.get(planned.id))?.status).toBe("RUNNING");
  });

  it("lists releases newest first, and refuses a cursor of another history", async () => {
    // Prepare
    const { releases } = db.stores();
    const older = release();
    const newer = { ...release(), createdAt: "2026-12-02T10:05:00.000Z" };
    await releases.create(older);
    await releases.create(newer);

    // Act
    const page = await releases.history({ limit: 50 });
    const badCursor = releases.history({ limit: 1, cursor: "not-a-cursor" });

    // Assess
    const ids = page.items.map((item) => item.id);
    expect(ids.indexOf(newer.id)).toBeLessThan(ids.indexOf(older.id));
    await expect(badCursor).rejects.toMatchObject({ name: ErrorNames.InvalidCursor });
  });
});

describe("lockOrder", () => {
  it("takes the locks by service name, whatever the deployment order", () => {
    // Act
    const order = lockOrder({ groups: [["payments"], ["orders", "audit"]] });

    // Assess
    expect(order).toEqual(["audit", "orders", "payments"]);
  });
});
