import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { awsDecisionDependencies, decideCommand } from "../../cli/commands/decide.ts";
import { UsageError } from "../../cli/usage-error.ts";
import "../helpers/sdk-mock.ts";

const eventBridge = mockClient(EventBridgeClient);
const sts = mockClient(STSClient);
const deploymentId = "d-0123456789abcdef0123";

afterEach(() => {
  eventBridge.reset();
  sts.reset();
});

describe("glidepath approve | reject | promote | pause | resume | abort", () => {
  it("puts the gate decision on the bus as the caller's AWS identity", async () => {
    // Prepare
    sts
      .on(GetCallerIdentityCommand)
      .resolves({ Arn: "arn:aws:sts::111122223333:assumed-role/Deployer/alice", Account: "111122223333" });
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "e-1" }] });
    const lines: string[] = [];

    // Act
    await decideCommand(
      "approve",
      deploymentId,
      { bus: "glidepath", reason: "looks good" },
      awsDecisionDependencies("glidepath"),
      (line) => lines.push(line),
    );

    // Assess
    expect(eventBridge).toHaveReceivedCommandWith(PutEventsCommand, {
      Entries: [
        {
          Source: "glidepath.gates",
          DetailType: "Glidepath Gate Decision",
          EventBusName: "glidepath",
          Detail: JSON.stringify({
            deploymentId,
            action: "approve",
            actor: "cli:arn:aws:sts::111122223333:assumed-role/Deployer/alice",
            reason: "looks good",
          }),
        },
      ],
    });
    expect(lines).toEqual([
      `approve for ${deploymentId} sent to the glidepath bus as cli:arn:aws:sts::111122223333:assumed-role/Deployer/alice; the deployment's decision log shows the outcome.`,
    ]);
  });

  it.each([
    [
      "an unknown action",
      "ship",
      deploymentId,
      /unknown action 'ship'; use one of approve, reject, promote, pause, resume, abort/,
    ],
    ["a malformed deployment id", "abort", "checkout-prod", /'checkout-prod' is not a deployment id/],
  ])("refuses %s before calling AWS", async (_case, action, id, message) => {
    // Act
    const attempt = decideCommand(
      action,
      id,
      { bus: "glidepath" },
      awsDecisionDependencies("glidepath"),
      () => undefined,
    );

    // Assess
    await expect(attempt).rejects.toThrow(UsageError);
    await expect(attempt).rejects.toThrow(message);
    expect(sts).not.toHaveReceivedCommand(GetCallerIdentityCommand);
    expect(eventBridge).not.toHaveReceivedCommand(PutEventsCommand);
  });
});
