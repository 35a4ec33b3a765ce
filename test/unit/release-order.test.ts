import { describe, expect, it } from "vitest";
import {
  dependencyCycle,
  deploymentGroups,
  rollbackOrder,
  type ServiceDependencies,
} from "../../functions/domain/release/order.ts";

/** `"api>worker,db"` is api depending on worker and db. */
const graph = (...edges: string[]): ServiceDependencies[] =>
  edges.map((edge) => {
    const [name = "", needs = ""] = edge.split(">");
    return { name, dependsOn: needs === "" ? [] : needs.split(",") };
  });

describe("deploymentGroups", () => {
  it.each<[string, ServiceDependencies[], string[], string[][]]>([
    [
      "independent services, all in one group",
      graph("web", "api", "worker"),
      ["web", "api", "worker"],
      [["api", "web", "worker"]],
    ],
    [
      "a chain, one group per link",
      graph("web>api", "api>db", "db"),
      ["web", "api", "db"],
      [["db"], ["api"], ["web"]],
    ],
    [
      "a diamond: both middles together, after the base and before the top",
      graph("top>left,right", "left>base", "right>base", "base"),
      ["top", "left", "right", "base"],
      [["base"], ["left", "right"], ["top"]],
    ],
    [
      "a service deploys in the earliest group it can, not after unrelated ones",
      graph("web>api", "api>db", "db", "mailer"),
      ["web", "api", "db", "mailer"],
      [["db", "mailer"], ["api"], ["web"]],
    ],
    [
      "a dependency outside the release does not order it: its live version is there",
      graph("web>api", "api>db", "db"),
      ["web", "db"],
      [["db", "web"]],
    ],
  ])("%s", (_, services, releasing, groups) => {
    // Act
    const order = deploymentGroups(services, releasing);

    // Assess
    expect(order).toEqual(groups);
  });

  it("throws naming the services of a cycle", () => {
    // Act
    const ordering = () => deploymentGroups(graph("a>b", "b>a", "c"), ["a", "b", "c"]);

    // Assess
    expect(ordering).toThrow("the services a, b depend on each other in a cycle");
  });

  it("throws naming a service the config does not have", () => {
    // Act
    const ordering = () => deploymentGroups(graph("a"), ["a", "ghost"]);

    // Assess
    expect(ordering).toThrow("no service named ghost in the config");
  });
});

describe("dependencyCycle", () => {
  it.each<[string, ServiceDependencies[], string[] | undefined]>([
    ["none in a diamond", graph("top>left,right", "left>base", "right>base", "base"), undefined],
    ["two services needing each other", graph("api>worker", "worker>api"), ["api", "worker", "api"]],
    ["a longer loop, from the first service on it", graph("web", "a>b", "b>c", "c>a"), ["a", "b", "c", "a"]],
    [
      "a loop reached through a service not on it, without that service",
      graph("web>a", "a>b", "b>a"),
      ["a", "b", "a"],
    ],
    ["none through a dependency on an unknown service", graph("web>ghost"), undefined],
  ])("%s", (_, services, cycle) => {
    // Act
    const found = dependencyCycle(services);

    // Assess
    expect(found).toEqual(cycle);
  });
});

describe("rollbackOrder", () => {
  it("rolls the deployed services back newest group first, leaving out those never deployed", () => {
    // Act
    const order = rollbackOrder([["base"], ["left", "right"], ["top"]], new Set(["base", "left", "right"]));

    // Assess
    expect(order).toEqual(["right", "left", "base"]);
  });
});
