import { SFNClient } from "@aws-sdk/client-sfn";
import { describe, expect, it } from "vitest";
import { SfnExecutionStarter } from "../../functions/adapters/aws/execution-starter.ts";
import { awsClientConfig } from "../../functions/adapters/aws/retry.ts";
import { SfnTaskCallbacks } from "../../functions/adapters/aws/sfn-task-callbacks.ts";
import { GateExpiredError } from "../../functions/domain/errors.ts";
import type { PromotionRequest } from "../../functions/domain/promotion/request.ts";
import { useAwsServers } from "../helpers/aws-http-server.ts";

const taskToken = "AQCEAAAAKgAAAAMAAAAAAAAAAel1KfkR9sLRs0uJ3TaskToken==";
const internalFailure = { status: 500, body: { __type: "InternalFailure", message: "Internal failure" } };
const accepted = { status: 200, body: {} };

describe("awsClientConfig", () => {
  const server = useAwsServers();

  it("gives every client the SDK's standard retry strategy with five attempts", async () => {
    // Act
    const client = new SFNClient({ region: "eu-west-1", ...awsClientConfig });

    // Assess
    expect(awsClientConfig).toEqual({ maxAttempts: 5, retryMode: "standard" });
    expect(await client.config.maxAttempts()).toBe(5);
    expect(await client.config.retryStrategy()).toMatchObject({ mode: "standard" });
  });

  it("lets the SDK retry a 500 until the call succeeds", async () => {
    // Prepare
    const aws = await server([internalFailure, accepted]);
    const callbacks = new SfnTaskCallbacks({ client: new SFNClient(aws.clientConfig) });

    // Act
    await callbacks.succeed(taskToken, { outcome: "timer" });

    // Assess
    expect(aws.requests).toEqual([
      { target: "AWSStepFunctions.SendTaskSuccess", attempt: "attempt=1; max=5" },
      { target: "AWSStepFunctions.SendTaskSuccess", attempt: "attempt=2; max=5" },
    ]);
  });

  it("lets the SDK retry throttling", async () => {
    // Prepare
    const executionArn = "arn:aws:states:eu-west-1:123456789012:execution:Glidepath-pipeline:checkout-1";
    const aws = await server([
      { status: 400, body: { __type: "ThrottlingException", message: "Rate exceeded" } },
      { status: 200, body: { executionArn, startDate: 1_900_000_000 } },
    ]);
    const starter = new SfnExecutionStarter({
      client: new SFNClient(aws.clientConfig),
      stateMachineArnPrefix: "arn:aws:states:eu-west-1:123456789012:stateMachine:Glidepath-",
    });

    // Act
    const started = await starter.start({
      promotionId: "p-2cc7a59bb3dada364d00",
      service: "checkout",
      artifact: { uri: "shop@sha256:ab", digest: "sha256:ab", version: "1.4.0" },
    } as unknown as PromotionRequest);

    // Assess
    expect(started).toEqual({ executionArn });
    expect(aws.requests.map((request) => request.attempt)).toEqual(["attempt=1; max=5", "attempt=2; max=5"]);
  });

  it("gives up after five attempts with the last error", async () => {
    // Prepare
    const aws = await server([internalFailure]);
    const callbacks = new SfnTaskCallbacks({ client: new SFNClient(aws.clientConfig) });

    // Act
    const call = callbacks.succeed(taskToken, { outcome: "timer" });

    // Assess
    await expect(call).rejects.toMatchObject({ name: "InternalFailure", $metadata: { attempts: 5 } });
    expect(aws.requests).toHaveLength(5);
  });

  it("does not retry a client error", async () => {
    // Prepare
    const aws = await server([{ status: 400, body: { __type: "TaskTimedOut", message: "Task Timed Out" } }]);
    const callbacks = new SfnTaskCallbacks({ client: new SFNClient(aws.clientConfig) });

    // Act
    const call = callbacks.fail(taskToken, "GateRejectedError", "rejected");

    // Assess
    await expect(call).rejects.toThrow(GateExpiredError);
    expect(aws.requests).toEqual([
      { target: "AWSStepFunctions.SendTaskFailure", attempt: "attempt=1; max=5" },
    ]);
  });
});
