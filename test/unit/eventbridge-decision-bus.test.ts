import {
  EventBridgeClient,
  PutEventsCommand,
  type PutEventsCommandOutput,
} from "@aws-sdk/client-eventbridge";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import {
  DecisionNotPublishedError,
  EventBridgeDecisionBus,
} from "../../functions/adapters/aws/eventbridge-decision-bus.ts";
import { awsClientConfig } from "../../functions/adapters/aws/retry.ts";
import type { GateDecisionEvent } from "../../functions/domain/gates.ts";
import { useAwsServers } from "../helpers/aws-http-server.ts";
import "../helpers/sdk-mock.ts";

const client = new EventBridgeClient({ region: "eu-west-1", ...awsClientConfig });
const eventBridge = mockClient(client);
const busName = "glidepath";

const bus = () => new EventBridgeDecisionBus({ client, busName });

const fromSlack: GateDecisionEvent = {
  deploymentId: "d-2cc7a59bb3dada364d00",
  gateId: "approval-p2-r0-0s",
  action: "approve",
  actor: "slack:U024BE7LH",
  responseUrl: "https://hooks.slack.com/actions/T0CAG8H7R/10686548917556/Xq2v3w4e5r6t7y8u9i0oPaSd",
};

const accepted: Partial<PutEventsCommandOutput> = {
  FailedEntryCount: 0,
  Entries: [{ EventId: "11710aed-b79e-4468-a20b-bb3c0c3b4860" }],
};

const failedEntry = (ErrorCode: string, ErrorMessage: string): Partial<PutEventsCommandOutput> => ({
  FailedEntryCount: 1,
  Entries: [{ ErrorCode, ErrorMessage }],
});

beforeEach(() => {
  eventBridge.reset();
});

describe("EventBridgeDecisionBus", () => {
  it.each<[string, GateDecisionEvent, string]>([
    [
      "a Slack click",
      fromSlack,
      '{"deploymentId":"d-2cc7a59bb3dada364d00","gateId":"approval-p2-r0-0s","action":"approve","actor":"slack:U024BE7LH","responseUrl":"https://hooks.slack.com/actions/T0CAG8H7R/10686548917556/Xq2v3w4e5r6t7y8u9i0oPaSd"}',
    ],
    [
      "a CLI abort with a reason and no gate",
      {
        deploymentId: "d-2cc7a59bb3dada364d00",
        action: "abort",
        actor: "cli:arn:aws:iam::111122223333:user/alice",
        reason: "p99 too high",
      },
      '{"deploymentId":"d-2cc7a59bb3dada364d00","action":"abort","actor":"cli:arn:aws:iam::111122223333:user/alice","reason":"p99 too high"}',
    ],
  ])("puts %s as one Glidepath Gate Decision event", async (_case, decision, detail) => {
    // Prepare
    eventBridge.on(PutEventsCommand).resolves(accepted);

    // Act
    await bus().putDecision(decision);

    // Assess
    expect(eventBridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input)).toStrictEqual([
      {
        Entries: [
          {
            Source: "glidepath.gates",
            DetailType: "Glidepath Gate Decision",
            EventBusName: "glidepath",
            Detail: detail,
          },
        ],
      },
    ]);
  });

  it.each<[string, GateDecisionEvent, RegExp]>([
    ["a malformed deployment id", { ...fromSlack, deploymentId: "checkout" }, /must be a deployment id/],
    ["the alarm action, which no human takes", { ...fromSlack, action: "alarm" as "abort" }, /action/],
    [
      "a field the event does not have",
      { ...fromSlack, taskToken: "AQCEAAAA" } as GateDecisionEvent,
      /taskToken/,
    ],
  ])("puts nothing for %s", async (_case, decision, message) => {
    // Prepare
    eventBridge.on(PutEventsCommand).resolves(accepted);

    // Act
    const failure = bus().putDecision(decision);

    // Assess
    await expect(failure).rejects.toThrow(message);
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });
});

// aws-sdk-client-mock replaces the SDK's middleware, where a failed entry becomes a retryable error.
describe("EventBridgeDecisionBus against an HTTP endpoint", () => {
  const server = useAwsServers();
  const serverBus = async (...answers: Partial<PutEventsCommandOutput>[]) => {
    const aws = await server(answers.map((body) => ({ status: 200, body })));
    return {
      aws,
      bus: new EventBridgeDecisionBus({ client: new EventBridgeClient(aws.clientConfig), busName }),
    };
  };

  it.each([
    ["a throttled entry", failedEntry("ThrottlingException", "Rate exceeded")],
    ["an internal failure of the entry", failedEntry("InternalFailure", "Internal error")],
  ])("lets the SDK retry %s", async (_case, failed) => {
    // Prepare
    const { aws, bus } = await serverBus(failed, accepted);

    // Act
    await bus.putDecision(fromSlack);

    // Assess
    expect(aws.requests.map((request) => request.attempt)).toEqual(["attempt=1; max=5", "attempt=2; max=5"]);
  });

  it("fails at once with the entry's error when EventBridge refuses it", async () => {
    // Prepare
    const { aws, bus } = await serverBus(
      failedEntry("AccessDeniedException", "Not authorized to put to glidepath"),
    );

    // Act
    const failure = bus.putDecision(fromSlack);

    // Assess
    await expect(failure).rejects.toThrow(DecisionNotPublishedError);
    await expect(failure).rejects.toThrow(
      "EventBridge did not accept the approve of d-2cc7a59bb3dada364d00 (gate approval-p2-r0-0s): AccessDeniedException: Not authorized to put to glidepath",
    );
    expect(aws.requests).toEqual([{ target: "AWSEvents.PutEvents", attempt: "attempt=1; max=5" }]);
  });
});
