export { defineConfig, Strategy } from "./authoring.ts";
export { ConfigInvalidError, type ConfigProblem, parseConfig } from "./parse.ts";
export { isPresetName, type PresetName, Presets, presetNames } from "./presets.ts";
export type {
  AlarmConfig,
  EnvironmentConfig,
  GlidepathConfig,
  GlidepathConfigInput,
  ServiceConfig,
} from "./schema.ts";
export {
  type CanaryStep,
  isFlagStrategy,
  type Strategy as StrategyConfig,
  type StrategyInput,
  StrategyObjectSchema,
  type StrategyType,
} from "./strategy.ts";
