import { describe, expect, it } from "vitest";
import { parseConfig, type StrategyInput } from "../../functions/domain/config/index.ts";
import { ecsTarget } from "../helpers/config-fixtures.ts";
import { problemsOf } from "../helpers/config-problems.ts";

/** A checkout service whose production deploys with `strategy`, its analysis given by `analysis`. */
function configOf(strategy: StrategyInput, analysis: Record<string, unknown> = {}) {
  return {
    services: [
      {
        name: "checkout",
        artifact: { type: "ecr", repository: "shop/checkout" },
        target: ecsTarget,
        environments: [
          { name: "production", account: "444455556666", region: "eu-west-1", strategy, analysis },
        ],
      },
    ],
  };
}

const week: StrategyInput = { type: "canary", steps: [{ setWeight: 10 }, { bake: { seconds: 7 * 86_400 } }] };
const path = "services[0].environments[0].analysis.maxIntervalSeconds";

describe("a deployment's plan fits Step Functions' history", () => {
  it("accepts 24 hours of bakes of each strategy at the default analysis", () => {
    const day = 86_400;
    for (const strategy of [
      { type: "all-at-once", bakeSeconds: day },
      { type: "blue-green", bakeSeconds: day },
      { type: "canary", steps: [{ setWeight: 10 }, { bake: { seconds: day } }] },
      { type: "linear", stepPercent: 10, intervalSeconds: day / 9 },
      { type: "rolling", batch: { percent: 25 }, bakeSeconds: day / 4 },
    ] as StrategyInput[]) {
      expect(() => parseConfig(configOf(strategy)), strategy.type).not.toThrow();
    }
  });

  it("refuses a week's canary bake at the default maxIntervalSeconds, naming the value that fits", () => {
    const problems = problemsOf(configOf(week));

    expect(problems).toEqual([
      {
        path,
        message:
          "2 phases baking 168 hours in all would take up to 49,480 Step Functions history events with every bake extended to 2x, over the 22,500 a deployment may plan (an execution stops at 25,000): set maxIntervalSeconds to at least 1380, or shorten the bakes",
      },
    ]);
  });

  it("accepts the week's bake at the maxIntervalSeconds it named, and not a minute below", () => {
    expect(() => parseConfig(configOf(week, { maxIntervalSeconds: 1380 }))).not.toThrow();
    expect(problemsOf(configOf(week, { maxIntervalSeconds: 1320 })).map((problem) => problem.path)).toEqual([
      path,
    ]);
  });

  it("says to use fewer phases when no wait fits: 100 linear steps of an hour", () => {
    const problems = problemsOf(configOf({ type: "linear", stepPercent: 1, intervalSeconds: 3600 }));

    expect(problems.map((problem) => problem.message.split(": ").at(-1))).toEqual([
      "use fewer phases or shorter bakes",
    ]);
  });
});
