import { LambdaFunctionUrlSchema } from "@aws-lambda-powertools/parser/schemas/lambda";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { z } from "zod";
import { dynamoDbStores } from "../../adapters/aws/dynamodb-stores.ts";
import { createDocumentClient } from "../../adapters/aws/dynamodb-table.ts";
import { EventBridgeDecisionBus } from "../../adapters/aws/eventbridge-decision-bus.ts";
import { awsClientConfig } from "../../adapters/aws/retry.ts";
import { cachedSecret } from "../../adapters/aws/secrets.ts";
import { readEnv } from "../../shared/env.ts";
import { createSlackCallbackHandler } from "../slack-callback.ts";

/** Read at cold start: a callback deployed without its secret or bus fails at once, naming the variable. */
const env = readEnv(
  z.object({
    TABLE_NAME: z.string().min(1),
    BUS_NAME: z.string().min(1),
    SLACK_SIGNING_SECRET_ARN: z.string().startsWith("arn:"),
  }),
);

const { gates, deployments } = dynamoDbStores({ client: createDocumentClient(), tableName: env.TABLE_NAME });

const callback = createSlackCallbackHandler({
  signingSecret: cachedSecret(new SecretsManagerClient(awsClientConfig), env.SLACK_SIGNING_SECRET_ARN),
  gates,
  deployments,
  // Slack wants an answer within 3 seconds: one retry, which waits at most 1 s even when throttled.
  bus: new EventBridgeDecisionBus({
    client: new EventBridgeClient({ ...awsClientConfig, maxAttempts: 2 }),
    busName: env.BUS_NAME,
  }),
  clock: () => new Date(),
});

/**
 * Lambda entry of the Slack interactivity endpoint (a function URL): verify, check, put on the bus, answer. An
 * invocation that is not a function URL event fails here, before anything reads it.
 */
export const handler = async (event: unknown) => callback(LambdaFunctionUrlSchema.parse(event));
