import { describe, expect, it } from "vitest";
import { type GlidepathConfigInput, parseConfig } from "../../functions/domain/config/index.ts";
import { ErrorNames } from "../../functions/domain/errors.ts";
import { planRelease, releaseId } from "../../functions/domain/release/manifest.ts";

const environment = (name: string) => ({
  name,
  account: "000000000000",
  region: "eu-west-1",
  strategy: "ECSAllAtOnce",
});

/** orders depends on payments; mailer depends on nothing and has no staging. */
const config = parseConfig({
  services: [
    { name: "orders", dependsOn: ["payments"], environments: ["dev", "staging"].map(environment) },
    { name: "payments", environments: ["dev", "staging"].map(environment) },
    { name: "mailer", environments: ["dev"].map(environment) },
    {
      name: "ledger",
      environments: ["dev", "staging"].map((name) => ({
        ...environment(name),
        ...(name === "staging"
          ? {
              hooks: {
                preDeploy: [
                  { name: "migrate", function: "arn:aws:lambda:eu-west-1:000000000000:function:migrate" },
                ],
              },
            }
          : {}),
      })),
    },
  ].map((service) => ({
    ...service,
    artifact: { type: "custom", source: "ci.shop" },
    target: { type: "local" },
  })),
} as GlidepathConfigInput);

const artifact = (service: string, version: string) => ({
  uri: `local://${service}@sha256:${service.padEnd(16, "0")}${version.replaceAll(".", "")}`,
  digest: `sha256:${service.padEnd(16, "0")}${version.replaceAll(".", "")}`,
  version,
});

describe("planRelease", () => {
  it("orders the services by dependency and walks their shared environments", () => {
    // Act
    const plan = planRelease(
      {
        name: "spring-sale",
        services: { orders: artifact("orders", "2.0.0"), payments: artifact("payments", "1.7.0") },
      },
      config,
    );

    // Assess
    expect(plan).toEqual({
      releaseId: expect.stringMatching(/^r-[0-9a-f]{20}$/),
      name: "spring-sale",
      artifacts: { orders: artifact("orders", "2.0.0"), payments: artifact("payments", "1.7.0") },
      groups: [["payments"], ["orders"]],
      environments: ["dev", "staging"],
    });
  });

  it("plans a release of a service with deploy hooks: each service runs its own", () => {
    // Act
    const plan = planRelease(
      { services: { orders: artifact("orders", "2.0.0"), ledger: artifact("ledger", "4.0.0") } },
      config,
    );

    // Assess
    expect(plan.groups).toEqual([["ledger", "orders"]]);
  });

  it("is one release for the same digests, whatever the name and the order they are listed in", () => {
    // Act
    const first = planRelease(
      { services: { orders: artifact("orders", "2.0.0"), payments: artifact("payments", "1.7.0") } },
      config,
    );
    const again = planRelease(
      {
        name: "retry",
        services: { payments: artifact("payments", "1.7.0"), orders: artifact("orders", "2.0.0") },
      },
      config,
    );
    const other = planRelease(
      { services: { orders: artifact("orders", "2.0.1"), payments: artifact("payments", "1.7.0") } },
      config,
    );

    // Assess
    expect(again.releaseId).toBe(first.releaseId);
    expect(other.releaseId).not.toBe(first.releaseId);
    expect(releaseId(first.artifacts, 2)).not.toBe(first.releaseId);
  });

  it.each<[string, unknown, { path: string; message: string | RegExp }]>([
    [
      "a service the config does not have",
      { services: { orders: artifact("orders", "2.0.0"), ghost: artifact("ghost", "1.0.0") } },
      {
        path: "services.ghost",
        message: "names no service of the config (has: orders, payments, mailer, ledger)",
      },
    ],
    [
      "services promoted through different environments",
      { services: { orders: artifact("orders", "2.0.0"), mailer: artifact("mailer", "1.0.0") } },
      {
        path: "services.mailer",
        message:
          "is promoted through dev, and orders through dev, staging: a release's services share their environments, in one order",
      },
    ],
    ["no service", { services: {} }, { path: "services", message: "list at least one service's artifact" }],
    [
      "an artifact without a digest",
      { services: { orders: { uri: "local://orders", version: "2.0.0" } } },
      { path: "services.orders.digest", message: /^required/ },
    ],
  ])("refuses %s, saying where", (_, manifest, problem) => {
    // Act
    const planning = () => planRelease(manifest, config);

    // Assess
    expect(planning).toThrow(
      expect.objectContaining({
        name: ErrorNames.ReleaseInvalid,
        problems: expect.arrayContaining([
          {
            path: problem.path,
            message:
              typeof problem.message === "string" ? problem.message : expect.stringMatching(problem.message),
          },
        ]),
      }),
    );
  });
});
