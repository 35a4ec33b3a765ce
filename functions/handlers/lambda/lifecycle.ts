import { SFNClient } from "@aws-sdk/client-sfn";
import { z } from "zod";
import { SfnExecutionStarter } from "../../adapters/aws/execution-starter.ts";
import { awsClientConfig } from "../../adapters/aws/retry.ts";
import { bundledConfig } from "../../shared/bundled-config.ts";
import { readEnv } from "../../shared/env.ts";
import type { PromotionLifecycle } from "../promote.ts";

/**
 * What the pipelines' steps need besides the ports: the config bundled with the function, and StartExecution
 * of the promotion pipeline, to start the promotion waiting for a lock they give back.
 */
export function pipelineLifecycle(): PromotionLifecycle {
  const env = readEnv(z.object({ STATE_MACHINE_ARN_PREFIX: z.string().startsWith("arn:") }));
  return {
    config: bundledConfig(),
    start: new SfnExecutionStarter({
      client: new SFNClient(awsClientConfig),
      stateMachineArnPrefix: env.STATE_MACHINE_ARN_PREFIX,
    }).start,
  };
}
