import {
  ExecutionAlreadyExists,
  SFNClient,
  SFNServiceException,
  StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { SfnExecutionStarter } from "../../functions/adapters/aws/execution-starter.ts";
import { awsClientConfig } from "../../functions/adapters/aws/retry.ts";
import type { PromotionRequest } from "../../functions/domain/promotion/request.ts";
import type { ReleaseRequest } from "../../functions/domain/release/request.ts";
import { serviceError } from "../helpers/sdk-mock.ts";

const client = new SFNClient({ region: "eu-west-1", ...awsClientConfig });
const sfn = mockClient(client);
const prefix = "arn:aws:states:eu-west-1:123456789012:stateMachine:Glidepath-";

const starter = () => new SfnExecutionStarter({ client, stateMachineArnPrefix: prefix });

const request = {
  promotionId: "p-2cc7a59bb3dada364d00",
  service: "checkout",
  artifact: {
    uri: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop@sha256:ab",
    digest: "sha256:ab",
    version: "1.4.0",
  },
  environments: [],
} as unknown as PromotionRequest;

const name = "checkout-promote-1-4-0-2cc7a59b";
const executionArn = `arn:aws:states:eu-west-1:123456789012:execution:Glidepath-pipeline:${name}`;

const release = {
  releaseId: "r-0a1b2c3d4e5f60718293",
  name: "spring-sale",
  environments: [{ groups: [[{ service: "payments" }], [{ service: "orders" }]] }],
} as unknown as ReleaseRequest;
const releaseName = "spring-sale-release-payments-orders-0a1b2c3d";
const releaseArn = `arn:aws:states:eu-west-1:123456789012:execution:Glidepath-release:${releaseName}`;

describe("SfnExecutionStarter", () => {
  beforeEach(() => {
    sfn.reset();
  });

  it("starts the pipeline state machine with the promotion's execution name and the request as input", async () => {
    // Prepare
    sfn.on(StartExecutionCommand).resolves({ executionArn, startDate: new Date() });

    // Act
    const result = await starter().start(request);

    // Assess
    expect(result).toEqual({ executionArn });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: "arn:aws:states:eu-west-1:123456789012:stateMachine:Glidepath-pipeline",
      name,
      input: JSON.stringify(request),
    });
  });

  it.each([
    [
      "started",
      () => sfn.on(StartExecutionCommand).resolves({ executionArn: releaseArn, startDate: new Date() }),
    ],
    [
      "started before (ExecutionAlreadyExists)",
      () =>
        sfn
          .on(StartExecutionCommand)
          .rejects(new ExecutionAlreadyExists({ message: "exists", $metadata: {} })),
    ],
  ])(
    "starts a release on the release state machine, named after the release and its services: %s",
    async (_, answer) => {
      // Prepare
      answer();

      // Act
      const result = await starter().startRelease(release);

      // Assess
      expect(result).toEqual({ executionArn: releaseArn });
      expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toEqual({
        stateMachineArn: "arn:aws:states:eu-west-1:123456789012:stateMachine:Glidepath-release",
        name: releaseName,
        input: JSON.stringify(release),
      });
    },
  );

  it("answers ExecutionAlreadyExists with the deterministic ARN of the execution started before", async () => {
    // Prepare
    sfn
      .on(StartExecutionCommand)
      .rejects(
        new ExecutionAlreadyExists({ message: `Execution Already Exists: '${executionArn}'`, $metadata: {} }),
      );

    // Act
    const result = await starter().start(request);

    // Assess
    expect(result).toEqual({ executionArn });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
  });

  it("rethrows any other error", async () => {
    // Prepare
    sfn.on(StartExecutionCommand).rejects(serviceError(SFNServiceException, "StateMachineDoesNotExist", 400));

    // Act
    const start = starter().start(request);

    // Assess
    await expect(start).rejects.toMatchObject({ name: "StateMachineDoesNotExist" });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
  });

  it("refuses a prefix that is not a state machine ARN", () => {
    expect(() => new SfnExecutionStarter({ client, stateMachineArnPrefix: "Glidepath-" })).toThrow(
      /stateMachineArnPrefix must look like/,
    );
  });
});
