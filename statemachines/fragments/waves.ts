import {
  Choice,
  Condition,
  type IChainable,
  JsonPath,
  Map as MapState,
  Wait,
  WaitTime,
} from "aws-cdk-lib/aws-stepfunctions";
import type { Construct } from "constructs";
import { nestedStrategy } from "./nested.ts";

export interface RegionWaveNames {
  readonly map: string;
  readonly first: string;
  readonly bake: string;
  readonly run: string;
}

/**
 * Region waves one after another, the first at once and every other after the wave bake, each a nested
 * strategy execution (see nestedStrategy). The item is `{ wave, index, bakeSeconds, startedBy }` and what
 * `carry` adds; `afterRun` (if any) follows each wave's execution.
 */
export function regionWaveMap(
  scope: Construct,
  names: RegionWaveNames,
  props: {
    readonly strategyArnPrefix: string;
    readonly itemsPath: string;
    readonly bakeSecondsPath: string;
    /** More of the item, `.$` keys JSONPath into the Map's input. @default nothing */
    readonly carry?: Record<string, string>;
    readonly afterRun?: IChainable;
  },
): MapState {
  const waves = new MapState(scope, names.map, {
    itemsPath: props.itemsPath,
    maxConcurrency: 1,
    itemSelector: {
      "wave.$": "$$.Map.Item.Value",
      "index.$": "$$.Map.Item.Index",
      "bakeSeconds.$": props.bakeSecondsPath,
      "startedBy.$": "$.startedBy",
      ...props.carry,
    },
    resultPath: JsonPath.DISCARD,
  });
  const run = nestedStrategy(scope, names.run, {
    strategyArnPrefix: props.strategyArnPrefix,
    wavePath: "$.wave",
    startedByPath: "$.startedBy",
  });
  if (props.afterRun !== undefined) run.next(props.afterRun);
  const bake = new Wait(scope, names.bake, { time: WaitTime.secondsPath("$.bakeSeconds") }).next(run);
  waves.itemProcessor(
    new Choice(scope, names.first).when(Condition.numberEquals("$.index", 0), run).otherwise(bake),
  );
  return waves;
}
