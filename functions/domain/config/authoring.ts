import { type PresetName, Presets } from "./presets.ts";
import type { GlidepathConfigInput } from "./schema.ts";
import type { StrategyInput } from "./strategy.ts";

type Props<T extends StrategyInput["type"]> = Omit<Extract<StrategyInput, { type: T }>, "type">;

/**
 * Typed authoring API. Each function returns exactly the schema's input shape, so a config written in
 * TypeScript and one written in JSON are validated by the same `parseConfig`.
 */
export const Strategy = {
  allAtOnce: (props: Props<"all-at-once"> = {}): StrategyInput => ({ type: "all-at-once", ...props }),
  rolling: (props: Props<"rolling">): StrategyInput => ({ type: "rolling", ...props }),
  blueGreen: (props: Props<"blue-green"> = {}): StrategyInput => ({ type: "blue-green", ...props }),
  canary: (props: Props<"canary">): StrategyInput => ({ type: "canary", ...props }),
  linear: (props: Props<"linear">): StrategyInput => ({ type: "linear", ...props }),
  preset: (name: PresetName): StrategyInput => structuredClone(Presets[name]),
} as const;

/** Identity function that gives a config module type checking and editor completion. */
export function defineConfig(config: GlidepathConfigInput): GlidepathConfigInput {
  return config;
}
