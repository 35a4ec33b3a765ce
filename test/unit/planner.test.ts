import { describe, expect, it } from "vitest";
import type { StrategyInput } from "../../functions/domain/config/index.ts";
import {
  type PresetName,
  Presets,
  presetNames,
  Strategy,
  StrategyObjectSchema,
} from "../../functions/domain/config/index.ts";
import { PlanInvalidError, plan } from "../../functions/domain/planner.ts";

const planOf = (input: StrategyInput, fleetSize?: number) =>
  plan(StrategyObjectSchema.parse(input), fleetSize === undefined ? {} : { fleetSize });
const weightsAndBakes = (input: StrategyInput, fleetSize?: number) =>
  planOf(input, fleetSize).phases.map((phase) => [phase.weight, phase.bakeSeconds]);

const linearSchedule = (minutes: number) => [
  ...[10, 20, 30, 40, 50, 60, 70, 80, 90].map((weight) => [weight, minutes * 60]),
  [100, 0],
];

describe("presets", () => {
  it.each<[PresetName, number[][], number]>([
    ["ECSAllAtOnce", [[100, 0]], 0],
    ["LambdaAllAtOnce", [[100, 0]], 0],
    [
      "ECSCanary10Percent5Minutes",
      [
        [10, 300],
        [100, 0],
      ],
      300,
    ],
    [
      "ECSCanary10Percent15Minutes",
      [
        [10, 900],
        [100, 0],
      ],
      900,
    ],
    [
      "LambdaCanary10Percent5Minutes",
      [
        [10, 300],
        [100, 0],
      ],
      300,
    ],
    [
      "LambdaCanary10Percent10Minutes",
      [
        [10, 600],
        [100, 0],
      ],
      600,
    ],
    [
      "LambdaCanary10Percent15Minutes",
      [
        [10, 900],
        [100, 0],
      ],
      900,
    ],
    [
      "LambdaCanary10Percent30Minutes",
      [
        [10, 1800],
        [100, 0],
      ],
      1800,
    ],
    ["ECSLinear10PercentEvery1Minutes", linearSchedule(1), 540],
    ["ECSLinear10PercentEvery3Minutes", linearSchedule(3), 1620],
    ["LambdaLinear10PercentEvery1Minute", linearSchedule(1), 540],
    ["LambdaLinear10PercentEvery2Minutes", linearSchedule(2), 1080],
    ["LambdaLinear10PercentEvery3Minutes", linearSchedule(3), 1620],
    ["LambdaLinear10PercentEvery10Minutes", linearSchedule(10), 5400],
    [
      "ECSBuiltInCanary",
      [
        [5, 600],
        [100, 0],
      ],
      600,
    ],
    ["ECSBuiltInLinear", linearSchedule(6), 3240],
  ])("%s reproduces AWS's schedule", (name, schedule, totalSeconds) => {
    // Act
    const result = planOf(Presets[name]);

    // Assess
    expect(result.phases.map((phase) => [phase.weight, phase.bakeSeconds])).toEqual(schedule);
    expect(result.totalSeconds).toBe(totalSeconds);
  });

  it("every preset has a schedule test", () => {
    expect(presetNames).toHaveLength(16);
  });

  it("Strategy.preset returns a copy that cannot change the preset", () => {
    // Prepare
    const copy = Strategy.preset("ECSCanary10Percent5Minutes");

    // Act
    if (copy.type === "canary") copy.steps.push({ setWeight: 50 });

    // Assess
    expect(planOf(Presets.ECSCanary10Percent5Minutes).phases).toHaveLength(2);
  });
});

describe("plan", () => {
  it("keeps the issue's canary JSON shape", () => {
    // Act
    const result = planOf(Presets.ECSCanary10Percent5Minutes);

    // Assess
    expect(result).toMatchObject({
      phases: [
        { weight: 10, bakeSeconds: 300 },
        { weight: 100, bakeSeconds: 0 },
      ],
      totalSeconds: 300,
    });
  });

  it.each<[string, StrategyInput, number[][]]>([
    ["all-at-once with a bake", Strategy.allAtOnce({ bakeSeconds: 600 }), [[100, 600]]],
    [
      "linear that does not divide 100",
      Strategy.linear({ stepPercent: 30, intervalSeconds: 60 }),
      [
        [30, 60],
        [60, 60],
        [90, 60],
        [100, 0],
      ],
    ],
    ["linear of 100%", Strategy.linear({ stepPercent: 100, intervalSeconds: 60 }), [[100, 0]]],
    [
      "rolling by percent",
      Strategy.rolling({ batch: { percent: 25 }, bakeSeconds: 30 }),
      [
        [25, 30],
        [50, 30],
        [75, 30],
        [100, 30],
      ],
    ],
    [
      "canary ending at 100 already",
      Strategy.canary({
        steps: [{ setWeight: 20 }, { bake: { seconds: 60 } }, { setWeight: 100 }, { bake: { seconds: 120 } }],
      }),
      [
        [20, 60],
        [100, 120],
      ],
    ],
    [
      "canary with repeated weight and consecutive bakes",
      Strategy.canary({
        steps: [{ setWeight: 10 }, { setWeight: 10 }, { bake: { seconds: 60 } }, { bake: { seconds: 30 } }],
      }),
      [
        [10, 90],
        [100, 0],
      ],
    ],
    [
      "canary baking before its first weight",
      Strategy.canary({ steps: [{ bake: { seconds: 60 } }, { setWeight: 50 }] }),
      [
        [0, 60],
        [50, 0],
        [100, 0],
      ],
    ],
  ])("%s", (_case, strategy, schedule) => {
    expect(weightsAndBakes(strategy)).toEqual(schedule);
  });

  it.each<[number, number, number[]]>([
    [2, 6, [33, 67, 100]],
    [4, 6, [67, 100]],
    [1, 1, [100]],
    [10, 3, [100]],
  ])("rolling batches of %i tasks over a fleet of %i", (count, fleetSize, weights) => {
    // Act
    const result = planOf(Strategy.rolling({ batch: { count }, bakeSeconds: 10 }), fleetSize);

    // Assess
    expect(result.phases.map((phase) => phase.weight)).toEqual(weights);
    expect(result.totalSeconds).toBe(10 * weights.length);
  });

  it("refuses a rolling count without a fleet size", () => {
    expect(() => planOf(Strategy.rolling({ batch: { count: 2 } }))).toThrow(PlanInvalidError);
  });

  it("puts analysis and approval gates on the phase they guard", () => {
    // Act
    const result = planOf(
      Strategy.canary({
        steps: [
          { setWeight: 10 },
          { analysis: { seconds: 120 } },
          { setWeight: 50 },
          { bake: { seconds: 60 } },
          { approval: {} },
        ],
      }),
    );

    // Assess
    expect(result.phases).toEqual([
      { weight: 10, bakeSeconds: 120, gates: ["analysis"] },
      { weight: 50, bakeSeconds: 60, gates: ["approval"], approvalTimeoutSeconds: 86_400 },
      { weight: 100, bakeSeconds: 0, gates: [] },
    ]);
    expect(result.totalSeconds).toBe(180);
  });

  it("blue-green smoke-tests the idle colour, switches, bakes and retires later", () => {
    // Act
    const result = planOf(
      Strategy.blueGreen({ smokeTest: "smoke", bakeSeconds: 120, retireDelaySeconds: 900 }),
    );

    // Assess
    expect(result.phases).toEqual([
      { weight: 0, bakeSeconds: 0, gates: ["smoke-test"] },
      { weight: 100, bakeSeconds: 120, gates: [] },
    ]);
    expect(result).toMatchObject({ totalSeconds: 120, retireAfterSeconds: 900 });
  });
  it("a watch window is the plan's last phase, at 100% after the strategy's own, and counts in the total", () => {
    // Act
    const result = plan(StrategyObjectSchema.parse(Presets.ECSCanary10Percent5Minutes), {
      watchSeconds: 600,
    });

    // Assess
    expect(result.phases).toEqual([
      { weight: 10, bakeSeconds: 300, gates: [] },
      { weight: 100, bakeSeconds: 0, gates: [] },
      { weight: 100, bakeSeconds: 600, gates: ["watch"] },
    ]);
    expect(result).toMatchObject({ totalSeconds: 900, watchSeconds: 600 });
  });

  it("refuses a watch window for rolling, whose old version is gone by 100%", () => {
    // Act
    const attempt = () =>
      plan(StrategyObjectSchema.parse(Strategy.rolling({ batch: { percent: 50 } })), { watchSeconds: 60 });

    // Assess
    expect(attempt).toThrow(PlanInvalidError);
    expect(attempt).toThrow(/no old version at full size to flip back to/);
  });
});
