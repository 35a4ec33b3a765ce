import { SFNClient } from "@aws-sdk/client-sfn";
import { z } from "zod";
import { SfnExecutionStarter } from "../../adapters/aws/execution-starter.ts";
import { awsClientConfig } from "../../adapters/aws/retry.ts";
import { bundledConfig } from "../../shared/bundled-config.ts";
import { readEnv } from "../../shared/env.ts";
import { createPromoteHandler } from "../promote.ts";
import { lambdaEntry } from "./entry.ts";

/** The promote step ends promotions: it releases their lock and starts the promotion waiting for it. */
const env = readEnv(z.object({ STATE_MACHINE_ARN_PREFIX: z.string().startsWith("arn:") }));
const lifecycle = {
  config: bundledConfig(),
  start: new SfnExecutionStarter({
    client: new SFNClient(awsClientConfig),
    stateMachineArnPrefix: env.STATE_MACHINE_ARN_PREFIX,
  }).start,
};

export const handler = lambdaEntry((ports) => createPromoteHandler(ports, lifecycle));
