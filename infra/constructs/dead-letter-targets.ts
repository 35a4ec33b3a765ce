import { Duration, Validations } from "aws-cdk-lib";
import { LambdaFunction } from "aws-cdk-lib/aws-events-targets";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";

/**
 * Rule targets for one function that never lose an event: EventBridge retries delivery (4 times, for up to an
 * hour) and then keeps the event, with the reason, in an encrypted dead-letter queue for 14 days.
 */
export class DeadLetterTargets extends Construct {
  readonly queue: Queue;
  readonly #fn: IFunction;

  constructor(scope: Construct, id: string, props: { readonly fn: IFunction; readonly purpose: string }) {
    super(scope, id);
    this.#fn = props.fn;
    this.queue = new Queue(this, "Queue", {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.queue).acknowledge({
      id: "AwsSolutions-SQS3",
      reason: `This queue is the dead-letter queue of the ${props.purpose} rules' targets (EventBridge DLQs are not SQS redrive policies, which cdk-nag looks for).`,
    });
  }

  /** A new target for a rule (a target belongs to one rule). */
  target(): LambdaFunction {
    return new LambdaFunction(this.#fn, {
      deadLetterQueue: this.queue,
      retryAttempts: 4,
      maxEventAge: Duration.hours(1),
    });
  }
}
