import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { z } from "zod";
import { awsPorts } from "../../adapters/aws/ports.ts";
import { awsClientConfig } from "../../adapters/aws/retry.ts";
import { cachedSecret } from "../../adapters/aws/secrets.ts";
import { SlackNotifier } from "../../adapters/slack/slack-notifier.ts";
import type { Ports } from "../../domain/ports/index.ts";
import { readEnv } from "../../shared/env.ts";
import { logger } from "../../shared/logger.ts";

/** Read at cold start: a function deployed without its table fails at once, naming the variable. */
const env = readEnv(
  z.object({
    TABLE_NAME: z.string().min(1),
    GLIDEPATH_STEP: z.string().min(1),
    ACCOUNT_ID: z.string().regex(/^\d{12}$/),
    /** Set by Lambda: the control plane's region, where waves of its own account need no role. */
    AWS_REGION: z.string().min(1),
    /** What the target stacks' deploy roles require as sts:ExternalId (the config's controlPlane.externalId). */
    DEPLOY_ROLE_EXTERNAL_ID: z.string().min(2).optional(),
    SLACK_CHANNEL: z.string().min(1).optional(),
    SLACK_BOT_TOKEN_SECRET_ARN: z.string().startsWith("arn:").optional(),
  }),
);
const slack =
  env.SLACK_CHANNEL === undefined || env.SLACK_BOT_TOKEN_SECRET_ARN === undefined
    ? undefined
    : new SlackNotifier({
        channel: env.SLACK_CHANNEL,
        botToken: cachedSecret(new SecretsManagerClient(awsClientConfig), env.SLACK_BOT_TOKEN_SECRET_ARN),
      });
const ports = awsPorts({
  tableName: env.TABLE_NAME,
  account: env.ACCOUNT_ID,
  region: env.AWS_REGION,
  ...(env.DEPLOY_ROLE_EXTERNAL_ID === undefined ? {} : { externalId: env.DEPLOY_ROLE_EXTERNAL_ID }),
  ...(slack === undefined ? {} : { notifier: slack }),
});
logger.appendKeys({ step: env.GLIDEPATH_STEP });

/**
 * Wraps a step handler for Lambda: AWS ports, a log line per failure with the deployment it concerned. The
 * error is rethrown unchanged because its `name` is what the state machine's Catch and Retry match.
 */
export function lambdaEntry<T>(create: (ports: Ports) => (event: unknown) => Promise<T>) {
  const run = create(ports);
  return async (event: unknown): Promise<T> => {
    const deploymentId =
      typeof event === "object" && event !== null && "deploymentId" in event ? event.deploymentId : undefined;
    try {
      const output = await run(event);
      logger.info("step done", { deploymentId });
      return output;
    } catch (error) {
      logger.error("step failed", { deploymentId, error });
      throw error;
    }
  };
}
