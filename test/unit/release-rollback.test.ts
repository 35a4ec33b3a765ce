import { describe, expect, it } from "vitest";
import type { DeploymentStatus } from "../../functions/domain/deployment.ts";
import { findPreviousArtifact } from "../../functions/handlers/release-rollback.ts";
import { useStoreTable } from "../helpers/dynalite.ts";

let tick = 0;
/** Every write a second later than the one before, so the history's order is the order of creation. */
const db = useStoreTable(() => new Date(Date.parse("2026-12-03T09:00:00Z") + 1000 * tick++));

const releaseId = "r-0123456789abcdef0123";
let services = 0;

/** Deploys `version` of `service` in production and takes it to `status`; with `release`, as that release's. */
async function deployed(
  service: string,
  version: string,
  status: DeploymentStatus,
  options: { readonly release?: string; readonly region?: string } = {},
) {
  const { deployments } = db.stores();
  const { deployment } = await deployments.create({
    service,
    environment: "production",
    artifact: { uri: `local://${service}:${version}`, digest: digestOf(version), version },
    strategy: "all-at-once",
    ...(options.release === undefined ? {} : { releaseId: options.release }),
    ...(options.region === undefined ? {} : { region: options.region }),
  });
  await deployments.transition(deployment.id, "IN_PROGRESS");
  if (status === "ROLLED_BACK") await deployments.transition(deployment.id, "ROLLING_BACK");
  await deployments.transition(deployment.id, status);
  return deployment;
}

/** A digest of its own per version. */
const digestOf = (version: string) => `sha256:${Buffer.from(version).toString("hex").padEnd(16, "0")}`;

function service(): string {
  services += 1;
  return `orders-${services}`;
}

describe("findPreviousArtifact, against dynalite", () => {
  it("goes back to the newest success before the release, past failures and the release's own success", async () => {
    // Prepare
    const name = service();
    await deployed(name, "1.0.0", "SUCCEEDED");
    await deployed(name, "1.1.0", "SUCCEEDED");
    await deployed(name, "1.2.0", "ROLLED_BACK");
    await deployed(name, "2.0.0", "SUCCEEDED", { release: releaseId });

    // Act
    const artifact = await findPreviousArtifact(db.stores().deployments, {
      service: name,
      environment: "production",
      releaseId,
    });

    // Assess
    expect(artifact).toEqual({
      uri: `local://${name}:1.1.0`,
      digest: digestOf("1.1.0"),
      version: "1.1.0",
    });
  });

  it("pages through the history until it finds a success", async () => {
    // Prepare: one success, then more failures than fit on a page.
    const name = service();
    await deployed(name, "1.0.0", "SUCCEEDED");
    for (let n = 1; n <= 30; n++) await deployed(name, `1.0.${n}`, "FAILED");

    // Act
    const artifact = await findPreviousArtifact(db.stores().deployments, {
      service: name,
      environment: "production",
      releaseId,
    });

    // Assess
    expect(artifact?.version).toBe("1.0.0");
  });

  it("goes back within the wave's own region only", async () => {
    // Prepare
    const name = service();
    await deployed(name, "1.0.0", "SUCCEEDED", { region: "eu-west-1" });
    await deployed(name, "1.1.0", "SUCCEEDED", { region: "us-east-1" });

    // Act
    const artifact = await findPreviousArtifact(db.stores().deployments, {
      service: name,
      environment: "production",
      region: "eu-west-1",
      releaseId,
    });

    // Assess
    expect(artifact?.version).toBe("1.0.0");
  });

  it("finds nothing for a service the release brought to the environment first", async () => {
    // Prepare
    const name = service();
    await deployed(name, "2.0.0", "SUCCEEDED", { release: releaseId });

    // Act
    const artifact = await findPreviousArtifact(db.stores().deployments, {
      service: name,
      environment: "production",
      releaseId,
    });

    // Assess
    expect(artifact).toBeUndefined();
  });
});
