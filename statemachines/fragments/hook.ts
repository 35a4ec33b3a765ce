import { CustomState, TaskInput } from "aws-cdk-lib/aws-stepfunctions";
import type { Construct } from "constructs";
import { HookContract, type HookStage } from "../../functions/domain/hooks.ts";

/**
 * Invokes the hook at `$.hook` (a hook config: its function, name and timeout) with the hook contract
 * (functions/domain/hooks.ts) and `subject` (what the hook is about, `.$` keys JSONPath), its answer at
 * `$.output.answer` for the step that checks and logs it.
 */
export function invokeHook(
  scope: Construct,
  name: string,
  stage: HookStage,
  subject: Record<string, unknown>,
): CustomState {
  return new CustomState(scope, name, {
    stateJson: {
      Type: "Task",
      Resource: "arn:aws:states:::lambda:invoke",
      Parameters: {
        "FunctionName.$": "$.hook.function",
        Payload: TaskInput.fromObject({
          contract: HookContract,
          stage,
          "hook.$": "$.hook.name",
          "timeoutSeconds.$": "$.hook.timeoutSeconds",
          ...subject,
        }).value,
      },
      // The hook's `timeoutSeconds` (at most Lambda's 900) is its function's to keep: aws-local-stepfunctions
      // resolves a TimeoutSecondsPath against the Parameters instead of the state input.
      TimeoutSeconds: 900,
      ResultSelector: { "answer.$": "$.Payload" },
      ResultPath: "$.output",
      Retry: [
        {
          ErrorEquals: [
            "Lambda.ServiceException",
            "Lambda.SdkClientException",
            "Lambda.TooManyRequestsException",
          ],
          IntervalSeconds: 2,
          MaxAttempts: 4,
          BackoffRate: 2,
        },
      ],
    },
  });
}
