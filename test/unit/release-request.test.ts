import { describe, expect, it } from "vitest";
import { type GlidepathConfigInput, parseConfig } from "../../functions/domain/config/index.ts";
import { promotionRequest } from "../../functions/domain/promotion/request.ts";
import { planRelease } from "../../functions/domain/release/manifest.ts";
import {
  ReleaseRequestSchema,
  releaseExecutionName,
  releaseRequest,
} from "../../functions/domain/release/request.ts";

interface ProductionSettings {
  readonly approval?: { required: boolean; approvers?: string[]; timeoutSeconds?: number };
  readonly freezeWindows?: { name: string; start: string; end: string }[];
  readonly onFreeze?: "wait" | "fail";
}

const yearEnd = { name: "year-end", start: "2026-12-23T00:00:00Z", end: "2027-01-02T00:00:00Z" };
const launch = { name: "launch", start: "2027-02-01T00:00:00Z", end: "2027-02-02T00:00:00Z" };

/** orders depends on payments; each service's production settings as given. */
function configWith(production: Record<"orders" | "payments", ProductionSettings>) {
  return parseConfig({
    services: (["orders", "payments"] as const).map((name) => ({
      name,
      artifact: { type: "custom", source: "ci.shop" },
      target: { type: "local" },
      dependsOn: name === "orders" ? ["payments"] : [],
      environments: [
        { name: "dev", account: "000000000000", region: "eu-west-1", strategy: "ECSAllAtOnce" },
        {
          name: "production",
          account: "111111111111",
          region: "eu-west-1",
          strategy: name === "orders" ? "ECSCanary10Percent5Minutes" : "ECSAllAtOnce",
          ...production[name],
        },
      ],
    })),
  } as GlidepathConfigInput);
}

const artifact = (service: string, version: string) => ({
  uri: `local://${service}`,
  digest: `sha256:${service.padEnd(16, "0")}${version.replaceAll(".", "")}`,
  version,
});
const manifest = {
  name: "spring-sale",
  services: { orders: artifact("orders", "2.0.0"), payments: artifact("payments", "1.7.0") },
};

function production(settings: Record<"orders" | "payments", ProductionSettings>) {
  const config = configWith(settings);
  const request = releaseRequest({ plan: planRelease(manifest, config), config });
  const environment = request.environments[1];
  if (environment === undefined) throw new Error("no production in the release");
  return environment;
}

describe("releaseRequest", () => {
  it.each([
    {
      name: "no service requires approval: none is asked, with the shortest timeout",
      orders: { approval: { required: false, timeoutSeconds: 600 } },
      payments: {},
      approval: { required: false, approvers: [], timeoutSeconds: 600 },
    },
    {
      name: "one service requires it: its approvers, its timeout",
      orders: {},
      payments: { approval: { required: true, approvers: ["U2"], timeoutSeconds: 7200 } },
      approval: { required: true, approvers: ["U2"], timeoutSeconds: 7200 },
    },
    {
      name: "both require it: any of their approvers, within the shorter timeout",
      orders: { approval: { required: true, approvers: ["U2", "U1"], timeoutSeconds: 900 } },
      payments: { approval: { required: true, approvers: ["U3", "U2"], timeoutSeconds: 7200 } },
      approval: { required: true, approvers: ["U1", "U2", "U3"], timeoutSeconds: 900 },
    },
  ])("one approval for the environment: $name", ({ orders, payments, approval }) => {
    // Act
    const environment = production({ orders, payments });

    // Assess
    expect(environment.approval).toEqual(approval);
  });

  it.each([
    {
      name: "every service's windows hold it, a window both list once; wait when all wait",
      orders: { freezeWindows: [yearEnd, launch] },
      payments: { freezeWindows: [yearEnd] },
      windows: [yearEnd, launch],
      onFreeze: "wait",
    },
    {
      name: "fail when any service fails at a freeze",
      orders: { freezeWindows: [yearEnd] },
      payments: { onFreeze: "fail" as const },
      windows: [yearEnd],
      onFreeze: "fail",
    },
  ])("one freeze check for the environment: $name", ({ orders, payments, windows, onFreeze }) => {
    // Act
    const environment = production({ orders, payments });

    // Assess
    expect(environment.freezeWindows).toEqual(windows);
    expect(environment.onFreeze).toBe(onFreeze);
  });

  it("deploys the services in dependency groups, each with its own strategy and its artifact", () => {
    // Act
    const environment = production({ orders: {}, payments: {} });

    // Assess
    expect(
      environment.groups.map((group) =>
        group.map((service) => [
          service.service,
          service.artifact.version,
          service.waves[0]?.request.strategy,
        ]),
      ),
    ).toEqual([[["payments", "1.7.0", "all-at-once"]], [["orders", "2.0.0", "canary"]]]);
  });

  it("gives the release deployment ids of its own: stable for the release, apart from a promotion of the same digest", () => {
    // Prepare
    const config = configWith({ orders: {}, payments: {} });
    const plan = planRelease(manifest, config);
    const orders = config.services.find((service) => service.name === "orders");
    if (orders === undefined) throw new Error("no orders");

    // Act
    const first = releaseRequest({ plan, config });
    const again = releaseRequest({ plan, config });
    const alone = promotionRequest({ service: orders, artifact: manifest.services.orders });

    // Assess
    const releaseIds = first.environments.map(
      (environment) => environment.groups[1]?.[0]?.waves[0]?.deploymentId,
    );
    const promotionIds = alone.environments.map((environment) => environment.waves[0]?.deploymentId);
    expect(again).toEqual(first);
    expect(new Set([...releaseIds, ...promotionIds]).size).toBe(4);
    expect(first.environments[0]?.groups[1]?.[0]?.waves[0]?.request.deploymentId).toBe(releaseIds[0]);
  });

  it("is a valid release pipeline input, named readably in the console", () => {
    // Prepare
    const config = configWith({ orders: {}, payments: {} });
    const plan = planRelease(manifest, config);

    // Act
    const request = releaseRequest({ plan, config });
    const name = releaseExecutionName(request);

    // Assess
    expect(ReleaseRequestSchema.parse(request)).toEqual(request);
    expect(name).toBe(`spring-sale-release-payments-orders-${plan.releaseId.slice(2, 10)}`);
  });
});
