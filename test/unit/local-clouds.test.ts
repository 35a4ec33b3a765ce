import { describe, expect, it } from "vitest";
import type { TrafficRouter } from "../../functions/domain/ports/traffic-router.ts";
import { LocalClouds } from "../../local/clouds.ts";
import type { Fleet } from "../../local/fleet.ts";

const local = { type: "local", entry: "examples/sample-service/server.ts" } as const;
const wave = { account: "000000000001", region: "us-east-1", deploymentId: "d-0123456789abcdef0123" };

/** A fleet whose only part is its router, enough to see which fleet a step reached. */
function fleetWith(router: TrafficRouter): Fleet {
  const fail = () => {
    throw new Error("not used");
  };
  return {
    ports: { trafficRouter: () => router, deployTarget: fail, healthSignals: fail },
  } as unknown as Fleet;
}

const routerNamed = (name: string): TrafficRouter => ({
  readWeights: async () => ({ blue: name.length, green: 100 - name.length }),
  setWeights: fail,
});

function fail(): never {
  throw new Error("not used");
}

describe("LocalClouds", () => {
  it("reaches the fleet of the wave's account, region and deployment", async () => {
    // Prepare
    const clouds = new LocalClouds();
    clouds.add({ ...wave, account: "000000000000" }, fleetWith(routerNamed("other account")));
    clouds.add(wave, fleetWith(routerNamed("this")));

    // Act
    const weights = await clouds.ports.trafficRouter(local, wave).readWeights();

    // Assess
    expect(weights).toEqual({ blue: 4, green: 96 });
  });

  it("refuses a step for an account and region where the wave runs no fleet, naming them", () => {
    // Prepare
    const clouds = new LocalClouds();
    clouds.add(wave, fleetWith(routerNamed("this")));

    // Act
    const reach = () => clouds.ports.trafficRouter(local, { ...wave, region: "eu-west-1" });

    // Assess
    expect(reach).toThrow(
      "no local cloud runs d-0123456789abcdef0123 in account 000000000001, region eu-west-1",
    );
  });

  it("refuses an AWS target: it has no local cloud", () => {
    // Prepare
    const clouds = new LocalClouds();

    // Act
    const reach = () =>
      clouds.ports.healthSignals({ type: "ecs" } as Parameters<typeof clouds.ports.healthSignals>[0], wave);

    // Assess
    expect(reach).toThrow("a target of type 'ecs' runs on AWS, not in a local cloud");
  });
});
