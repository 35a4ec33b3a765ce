import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SFNClient } from "@aws-sdk/client-sfn";
import { z } from "zod";
import { dynamoDbStores } from "../../adapters/aws/dynamodb-stores.ts";
import { createDocumentClient } from "../../adapters/aws/dynamodb-table.ts";
import { EventBridgeDecisionBus } from "../../adapters/aws/eventbridge-decision-bus.ts";
import { SfnExecutionStarter } from "../../adapters/aws/execution-starter.ts";
import { awsClientConfig } from "../../adapters/aws/retry.ts";
import { bundledConfig } from "../../shared/bundled-config.ts";
import { readEnv } from "../../shared/env.ts";
import { logger } from "../../shared/logger.ts";
import {
  createReleaseTriggerHandler,
  isReleasePublished,
  type ReleaseTriggerOutcome,
} from "../release-trigger.ts";
import { createRollbackHandler, isRollbackRequested, type RollbackOutcome } from "../rollback.ts";
import { createTriggerHandler, type TriggerOutcome } from "../trigger.ts";

/** Read at cold start: a trigger deployed without its table, bus, machines or config fails at once. */
const env = readEnv(
  z.object({
    TABLE_NAME: z.string().min(1),
    BUS_NAME: z.string().min(1),
    STATE_MACHINE_ARN_PREFIX: z.string().startsWith("arn:"),
  }),
);
const bus = new EventBridgeDecisionBus({
  client: new EventBridgeClient(awsClientConfig),
  busName: env.BUS_NAME,
});
const config = bundledConfig();
const stores = dynamoDbStores({ client: createDocumentClient(), tableName: env.TABLE_NAME });
const starter = new SfnExecutionStarter({
  client: new SFNClient(awsClientConfig),
  stateMachineArnPrefix: env.STATE_MACHINE_ARN_PREFIX,
});
const clock = () => new Date();
const runRelease = createReleaseTriggerHandler({
  config,
  releases: stores.releases,
  startRelease: starter.startRelease,
  clock,
});
const run = createTriggerHandler({
  config,
  ...stores,
  start: starter.start,
  // `supersede`: the running deployment gets the same abort a human would send, through resolve-gate.
  abort: (deploymentId, { actor, reason }) =>
    bus.putDecision({ deploymentId, action: "abort", actor, reason }),
  clock,
});
const runRollback = createRollbackHandler({
  config,
  ...stores,
  startStrategy: starter.startStrategy,
});
logger.appendKeys({ step: "trigger" });

/**
 * Lambda entry of the artifact rules (ECR pushes, ArtifactPublished, DeployRequested), the release rule
 * (ReleasePublished) and the rollback rule (RollbackRequested).
 * A failure is rethrown so EventBridge retries the event and, in the end, keeps it in the rules' dead-letter
 * queue.
 */
export async function handler(
  event: unknown,
): Promise<readonly (TriggerOutcome | ReleaseTriggerOutcome | RollbackOutcome)[]> {
  const eventId = typeof event === "object" && event !== null && "id" in event ? event.id : undefined;
  try {
    const outcomes = isReleasePublished(event)
      ? [await runRelease(event)]
      : isRollbackRequested(event)
        ? [await runRollback(event)]
        : await run(event);
    logger.info("artifact event handled", { eventId, outcomes });
    return outcomes;
  } catch (error) {
    logger.error("artifact event failed", { eventId, error });
    throw error;
  }
}
