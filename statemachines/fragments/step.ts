import { Duration } from "aws-cdk-lib";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { JsonPath, TaskInput } from "aws-cdk-lib/aws-stepfunctions";
import { LambdaInvoke } from "aws-cdk-lib/aws-stepfunctions-tasks";
import type { Construct } from "constructs";

/**
 * Throttling and transient AWS errors that outlived the adapters' own retries: worth a few more tries with
 * longer pauses before a step counts as failed.
 */
export const transientErrors = [
  "ThrottlingException",
  "Throttling",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "ServiceUnavailable",
  "InternalFailure",
] as const;

export interface StepProps {
  readonly fn: IFunction;
  /** The step's input; `.$` keys are JSONPath. */
  readonly payload: Record<string, unknown>;
  /** Where the step's output goes in the state. @default JsonPath.DISCARD */
  readonly resultPath?: string;
}

/** A Task state that invokes a step function with its response as the result, retrying transient errors. */
export function step(scope: Construct, name: string, props: StepProps): LambdaInvoke {
  const task = new LambdaInvoke(scope, name, {
    lambdaFunction: props.fn,
    payload: TaskInput.fromObject(props.payload),
    payloadResponseOnly: true,
    retryOnServiceExceptions: true,
    resultPath: props.resultPath ?? JsonPath.DISCARD,
  });
  task.addRetry({
    errors: [...transientErrors],
    interval: Duration.seconds(2),
    maxAttempts: 4,
    backoffRate: 2,
  });
  return task;
}
