import { Duration } from "aws-cdk-lib";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { JsonPath, TaskInput } from "aws-cdk-lib/aws-stepfunctions";
import { LambdaInvoke } from "aws-cdk-lib/aws-stepfunctions-tasks";
import type { Construct } from "constructs";

/**
 * Lambda's own service errors, from invoking a step rather than from the step's code: worth a few more tries
 * with longer pauses. The errors of a step's AWS calls are not here: the SDK's standard retry strategy
 * (`awsClientConfig`) has already retried them, and retrying the step would retry them again.
 */
export const lambdaServiceErrors = [
  "Lambda.ServiceException",
  "Lambda.AWSLambdaException",
  "Lambda.SdkClientException",
  "Lambda.ClientExecutionTimeoutException",
  "Lambda.TooManyRequestsException",
] as const;

export interface StepProps {
  readonly fn: IFunction;
  /** The step's input; `.$` keys are JSONPath. */
  readonly payload: Record<string, unknown>;
  /** Where the step's output goes in the state; `"$"` replaces the state. @default JsonPath.DISCARD */
  readonly resultPath?: string;
}

/** A Task state that invokes a step function with its response as the result, retrying Lambda's service errors. */
export function step(scope: Construct, name: string, props: StepProps): LambdaInvoke {
  const task = new LambdaInvoke(scope, name, {
    lambdaFunction: props.fn,
    payload: TaskInput.fromObject(props.payload),
    payloadResponseOnly: true,
    // CDK's own retry leaves out Lambda.TooManyRequestsException: one list, below, instead.
    retryOnServiceExceptions: false,
    // "$" is left out, which means the same in ASL: aws-local-stepfunctions would set a key named "$".
    ...(props.resultPath === "$" ? {} : { resultPath: props.resultPath ?? JsonPath.DISCARD }),
  });
  task.addRetry({
    errors: [...lambdaServiceErrors],
    interval: Duration.seconds(2),
    maxAttempts: 6,
    backoffRate: 2,
  });
  return task;
}
