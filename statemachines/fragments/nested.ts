import { CustomState } from "aws-cdk-lib/aws-stepfunctions";
import type { Construct } from "constructs";
import { gateTimeoutDays } from "./gate.ts";

/**
 * A strategy execution nested in a pipeline (`startExecution.sync:2`, which links parent and child in the
 * console): the wave at `wavePath` (a Wave of functions/domain/promotion/request.ts) on its strategy's
 * machine, named after the wave, its input the wave's request with the marker at `startedByPath`.
 */
export function nestedStrategy(
  scope: Construct,
  name: string,
  props: { readonly strategyArnPrefix: string; readonly wavePath: string; readonly startedByPath: string },
): CustomState {
  const { wavePath } = props;
  return new CustomState(scope, name, {
    stateJson: {
      Type: "Task",
      Resource: "arn:aws:states:::states:startExecution.sync:2",
      Parameters: {
        "StateMachineArn.$": `States.Format('${props.strategyArnPrefix}{}', ${wavePath}.request.strategy)`,
        "Name.$": `${wavePath}.executionName`,
        // The marker that makes the console link the child execution to this one.
        "Input.$": `States.JsonMerge(${wavePath}.request, ${props.startedByPath}, false)`,
      },
      ResultPath: null,
      // As long as the child may run (its own timeout). The ASL default, which aws-local-stepfunctions
      // applies, is 60 seconds.
      TimeoutSeconds: gateTimeoutDays * 86_400,
    },
  });
}
