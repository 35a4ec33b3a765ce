import type { StrategyInput } from "./strategy.ts";

const canary = (percent: number, minutes: number): StrategyInput => ({
  type: "canary",
  steps: [{ setWeight: percent }, { bake: { seconds: minutes * 60 } }],
});

const linear = (percent: number, minutes: number): StrategyInput => ({
  type: "linear",
  stepPercent: percent,
  intervalSeconds: minutes * 60,
});

const allAtOnce: StrategyInput = { type: "all-at-once", bakeSeconds: 0 };

/**
 * Named schedules that reproduce AWS's exactly: CodeDeploy's predefined ECS and Lambda deployment
 * configurations (`CodeDeployDefault.<Name>`), and Amazon ECS built-in blue/green defaults.
 */
export const Presets = {
  ECSAllAtOnce: allAtOnce,
  ECSCanary10Percent5Minutes: canary(10, 5),
  ECSCanary10Percent15Minutes: canary(10, 15),
  ECSLinear10PercentEvery1Minutes: linear(10, 1),
  ECSLinear10PercentEvery3Minutes: linear(10, 3),
  LambdaAllAtOnce: allAtOnce,
  LambdaCanary10Percent5Minutes: canary(10, 5),
  LambdaCanary10Percent10Minutes: canary(10, 10),
  LambdaCanary10Percent15Minutes: canary(10, 15),
  LambdaCanary10Percent30Minutes: canary(10, 30),
  LambdaLinear10PercentEvery1Minute: linear(10, 1),
  LambdaLinear10PercentEvery2Minutes: linear(10, 2),
  LambdaLinear10PercentEvery3Minutes: linear(10, 3),
  LambdaLinear10PercentEvery10Minutes: linear(10, 10),
  /** Amazon ECS built-in canary default: 5% of traffic, 10-minute canary bake. */
  ECSBuiltInCanary: canary(5, 10),
  /** Amazon ECS built-in linear default: 10% steps, 6-minute bake per step. */
  ECSBuiltInLinear: linear(10, 6),
} as const satisfies Record<string, StrategyInput>;

export type PresetName = keyof typeof Presets;

export const presetNames = Object.keys(Presets) as PresetName[];

export function isPresetName(name: string): name is PresetName {
  return Object.hasOwn(Presets, name);
}
