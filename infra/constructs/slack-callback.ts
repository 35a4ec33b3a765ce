import { CfnOutput, Duration } from "aws-cdk-lib";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import type { IEventBus } from "aws-cdk-lib/aws-events";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import { type FunctionUrl, FunctionUrlAuthType } from "aws-cdk-lib/aws-lambda";
import { Construct } from "constructs";
import { GlidepathFunction } from "./glidepath-function.ts";

export interface SlackCallbackProps {
  readonly table: ITable;
  readonly bus: IEventBus;
  /** The Secrets Manager secret holding Slack's signing secret. */
  readonly signingSecretArn: string;
}

/**
 * Slack's interactivity endpoint: a Lambda function URL. It has no AWS auth because Slack cannot sign with AWS
 * credentials; every request is authenticated by Slack's own v0 signature instead, before anything else runs.
 * It may read gates, put decisions on the Glidepath bus and read the signing secret: nothing else.
 */
export class SlackCallback extends Construct {
  readonly function: GlidepathFunction;
  readonly url: FunctionUrl;

  constructor(scope: Construct, id: string, props: SlackCallbackProps) {
    super(scope, id);
    this.function = new GlidepathFunction(this, "Callback", {
      entry: new URL("../../functions/handlers/lambda/slack-callback.ts", import.meta.url).pathname,
      description: "Glidepath: Slack buttons to gate decisions on the bus",
      timeout: Duration.seconds(5),
      environment: {
        TABLE_NAME: props.table.tableName,
        BUS_NAME: props.bus.eventBusName,
        SLACK_SIGNING_SECRET_ARN: props.signingSecretArn,
      },
    });
    const fn = this.function.fn;
    fn.addToRolePolicy(
      new PolicyStatement({ actions: ["dynamodb:GetItem"], resources: [props.table.tableArn] }),
    );
    fn.addToRolePolicy(
      new PolicyStatement({ actions: ["events:PutEvents"], resources: [props.bus.eventBusArn] }),
    );
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ["secretsmanager:GetSecretValue"],
        resources: [props.signingSecretArn],
      }),
    );
    this.url = fn.addFunctionUrl({ authType: FunctionUrlAuthType.NONE });
    new CfnOutput(this, "Url", {
      value: this.url.url,
      description: "Slack app → Interactivity & Shortcuts → Request URL",
    });
  }
}
