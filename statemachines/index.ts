import type { IChainable } from "aws-cdk-lib/aws-stepfunctions";
import type { StrategyType } from "../functions/domain/config/index.ts";
import { allAtOnce } from "./all-at-once.ts";
import { blueGreen } from "./blue-green.ts";
import { canary } from "./canary.ts";
import { experiment } from "./experiment.ts";
import { featureFlag } from "./feature-flag.ts";
import type { FragmentContext } from "./fragments/context.ts";
import { linear } from "./linear.ts";
import { rolling } from "./rolling.ts";

/** One state machine definition per strategy type. */
export const strategyDefinitions: Readonly<Record<StrategyType, (ctx: FragmentContext) => IChainable>> = {
  "all-at-once": allAtOnce,
  rolling,
  "blue-green": blueGreen,
  canary,
  linear,
  "feature-flag": featureFlag,
  experiment,
};

export const strategyTypes = Object.keys(strategyDefinitions) as StrategyType[];
