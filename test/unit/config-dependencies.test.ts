import { describe, expect, it } from "vitest";
import { type GlidepathConfigInput, parseConfig } from "../../functions/domain/config/index.ts";
import { problemsOf } from "../helpers/config-problems.ts";

/** Services deployed to one local environment, each depending on the services `dependsOn` maps it to. */
function configOf(dependsOn: Record<string, string[]>): GlidepathConfigInput {
  return {
    services: Object.entries(dependsOn).map(([name, needs]) => ({
      name,
      artifact: { type: "custom", source: "ci.shop" },
      target: { type: "local" },
      dependsOn: needs,
      environments: [{ name: "dev", account: "000000000000", region: "eu-west-1", strategy: "ECSAllAtOnce" }],
    })),
  } as GlidepathConfigInput;
}

describe("dependsOn between services", () => {
  it("takes a diamond, and defaults to no dependency", () => {
    // Act
    const config = parseConfig(
      configOf({ top: ["left", "right"], left: ["base"], right: ["base"], base: [] }),
    );
    const alone = parseConfig({
      services: [{ ...configOf({ web: [] }).services[0], dependsOn: undefined }],
    } as GlidepathConfigInput);

    // Assess
    expect(config.services.map((service) => [service.name, service.dependsOn])).toEqual([
      ["top", ["left", "right"]],
      ["left", ["base"]],
      ["right", ["base"]],
      ["base", []],
    ]);
    expect(alone.services[0]?.dependsOn).toEqual([]);
  });

  it.each<[string, Record<string, string[]>, { path: string; message: string }]>([
    [
      "an unknown service, listing the known ones",
      { web: ["ghost"], api: [] },
      { path: "services[0].dependsOn[0]", message: "names no service of the config (has: api)" },
    ],
    [
      "a service depending on itself",
      { web: ["web"] },
      { path: "services[0].dependsOn[0]", message: "a service cannot depend on itself" },
    ],
    [
      "a dependency listed twice",
      { web: ["api", "api"], api: [] },
      { path: "services[0].dependsOn[1]", message: "'api' is listed twice" },
    ],
    [
      "a cycle, printed whole",
      { web: ["api"], api: ["worker"], worker: ["web"] },
      {
        path: "services[0].dependsOn",
        message:
          "the services depend on each other in a cycle: web → api → worker → web; remove one of these dependencies",
      },
    ],
    [
      "a cycle reached through a service not on it, on its first service",
      { web: ["api"], api: ["worker"], worker: ["api"] },
      {
        path: "services[1].dependsOn",
        message:
          "the services depend on each other in a cycle: api → worker → api; remove one of these dependencies",
      },
    ],
  ])("refuses %s", (_, dependsOn, problem) => {
    // Act
    const problems = problemsOf(configOf(dependsOn));

    // Assess
    expect(problems).toContainEqual(problem);
  });
});
