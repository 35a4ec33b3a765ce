import {
  Choice,
  Condition,
  CustomState,
  type IChainable,
  Pass,
  TaskInput,
} from "aws-cdk-lib/aws-stepfunctions";
import { ErrorNames } from "../functions/domain/errors.ts";
import { type FragmentContext, Paths } from "./fragments/context.ts";
import { deployment } from "./fragments/phased.ts";
import { shiftAndBake } from "./fragments/shift-and-bake.ts";

/**
 * Blue-green: the new version at full size on the idle colour, an optional smoke test against it before any
 * user sees it, the switch, a bake, and the old colour kept for `retireAfterSeconds` for an instant rollback.
 */
export function blueGreen(ctx: FragmentContext): IChainable {
  return deployment(ctx, {
    startEmpty: false,
    unit: { one: "switch", many: "switches" },
    phase: shiftAndBake,
    retireAfterPath: "$.plan.retireAfterSeconds",
    beforePhases: smokeTest,
  });
}

/**
 * The smoke-test hook is the user's Lambda function, named in the request, so it is invoked through the
 * lambda:invoke integration with a FunctionName path. It answers `{ passed, reason }`.
 */
function smokeTest(ctx: FragmentContext, phases: IChainable, failed: IChainable): IChainable {
  const { scope } = ctx;
  const run = new CustomState(scope, "Run smoke test", {
    stateJson: {
      Type: "Task",
      Resource: "arn:aws:states:::lambda:invoke",
      Parameters: {
        "FunctionName.$": "$.smokeTest.function",
        Payload: TaskInput.fromObject({
          "deploymentId.$": Paths.deploymentId,
          "service.$": "$.service",
          "environment.$": "$.environment",
          "version.$": "$.artifact.version",
          "colour.$": Paths.newColour,
          "revision.$": "$.rollout.revision",
        }).value,
      },
      // Lambda's own limit. A TimeoutSecondsPath would read the hook's timeout, but aws-local-stepfunctions
      // resolves it against the Parameters instead of the state input, so the hook's timeout is its function's.
      TimeoutSeconds: 900,
      ResultSelector: { "passed.$": "$.Payload.passed", "reason.$": "$.Payload.reason" },
      ResultPath: "$.smoke",
    },
  });
  run.addCatch(failed, { resultPath: Paths.error });
  const verdict = new Choice(scope, "Smoke test passed?")
    .when(Condition.booleanEquals("$.smoke.passed", true), phases)
    .otherwise(
      new Pass(scope, "Smoke test failed", {
        parameters: { Error: ErrorNames.SmokeTestFailed, "Cause.$": "$.smoke.reason" },
        resultPath: Paths.error,
      }).next(failed),
    );
  run.next(verdict);
  // The positive form: aws-local-stepfunctions evaluates every `IsNull: false` (and IsPresent/IsNumeric: false) as false.
  return new Choice(scope, "Smoke test configured?")
    .when(Condition.isNull("$.smokeTest"), phases)
    .otherwise(run);
}
