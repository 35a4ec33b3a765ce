import { describe, expect, it } from "vitest";
import { type GlidepathConfigInput, parseConfig } from "../../functions/domain/config/index.ts";
import { promotionRequest, waveDeploymentId } from "../../functions/domain/promotion/request.ts";
import { restoreWave } from "../../functions/domain/release/restore.ts";
import { appconfig } from "../helpers/config-fixtures.ts";

const releaseId = "r-0123456789abcdef0123";
const previous = { uri: "local://orders:1.6.0", digest: "sha256:0016000000000000aa", version: "1.6.0" };

/** orders goes to production by canary, in two regions, with an alarm; checkout-flow is a feature flag. */
const config = parseConfig({
  services: [
    {
      name: "orders",
      artifact: { type: "custom", source: "ci.shop" },
      target: { type: "local" },
      environments: [
        {
          name: "production",
          account: "444455556666",
          region: ["eu-west-1", "us-east-1"],
          strategy: "ECSCanary10Percent5Minutes",
          alarms: [{ name: "orders-5xx" }],
        },
      ],
    },
    {
      name: "checkout-flow",
      artifact: { type: "custom", source: "ci.flags" },
      environments: [
        {
          name: "production",
          account: "444455556666",
          region: "eu-west-1",
          target: appconfig,
          strategy: {
            type: "feature-flag",
            flag: "new-checkout",
            metrics: { namespace: "Shop/Checkout", dimensions: { Service: "checkout" } },
            steps: [{ setWeight: 10 }, { bake: { seconds: 60 } }, { setWeight: 100 }],
          },
        },
      ],
    },
  ],
} as GlidepathConfigInput);
function serviceNamed(name: string) {
  const service = config.services.find((candidate) => candidate.name === name);
  if (service === undefined) throw new Error(`no ${name}`);
  return service;
}
const orders = serviceNamed("orders");
const flagService = serviceNamed("checkout-flow");

describe("restoreWave", () => {
  it("redeploys the previous artifact all at once in the wave's region, keeping the environment's alarms", () => {
    // Act
    const wave = restoreWave({
      service: orders,
      environment: "production",
      wave: 1,
      previous,
      owner: { releaseId },
    });

    // Assess
    expect(wave).toMatchObject({
      region: "us-east-1",
      executionName: expect.stringMatching(/^orders-production-us-east-1-restore-1-6-0-[0-9a-f]{8}$/),
      request: {
        strategy: "all-at-once",
        artifact: previous,
        region: "us-east-1",
        alarms: ["orders-5xx"],
        plan: { phases: [{ weight: 100 }] },
      },
    });
    expect(wave?.request.deploymentId).toBe(wave?.deploymentId);
  });

  it("is a deployment of the release's own: apart from the original deployment of that digest and from the release's", () => {
    // Act
    const wave = restoreWave({
      service: orders,
      environment: "production",
      wave: 0,
      previous,
      owner: { releaseId },
    });

    // Assess
    const original = promotionRequest({ service: orders, artifact: previous }).environments[0]?.waves[0];
    const released = waveDeploymentId({
      service: "orders",
      environment: "production",
      digest: "sha256:0020000000000000bb",
      region: "eu-west-1",
      releaseId,
    });
    expect(new Set([wave?.deploymentId, original?.deploymentId, released]).size).toBe(3);
  });

  it("redeploys nothing for a feature flag, whose own rollback put the split back", () => {
    // Act
    const wave = restoreWave({
      service: flagService,
      environment: "production",
      wave: 0,
      previous,
      owner: { releaseId },
    });

    // Assess
    expect(wave).toBeUndefined();
  });

  it("names the environment it cannot find", () => {
    // Act
    const restore = () =>
      restoreWave({ service: orders, environment: "staging", wave: 0, previous, owner: { releaseId } });

    // Assess
    expect(restore).toThrow("orders has no environment staging to restore");
  });
});
