import { readFileSync } from "node:fs";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { releaseCommand } from "../../cli/commands/release.ts";
import { awsClientConfig } from "../../functions/adapters/aws/retry.ts";
import { ErrorNames } from "../../functions/domain/errors.ts";

const client = new EventBridgeClient({ region: "eu-west-1", ...awsClientConfig });
const eventBridge = mockClient(client);
const fixture = (name: string) => new URL(`../fixtures/release/${name}`, import.meta.url).pathname;
const options = { manifest: fixture("spring-sale.json"), config: fixture("config.json"), bus: "glidepath" };

describe("glidepath release", () => {
  beforeEach(() => {
    eventBridge.reset();
  });

  it("puts the manifest as a ReleasePublished event on the bus and says which release it is", async () => {
    // Prepare
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "e-1" }] });
    const lines: string[] = [];

    // Act
    await releaseCommand(options, client, (line) => lines.push(line));

    // Assess
    expect(eventBridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input)).toEqual([
      {
        Entries: [
          {
            EventBusName: "glidepath",
            Source: "glidepath.cli",
            DetailType: "ReleasePublished",
            Detail: JSON.stringify(JSON.parse(readFileSync(options.manifest, "utf8"))),
          },
        ],
      },
    ]);
    expect(lines[0]).toMatch(
      /^release spring-sale \(r-[0-9a-f]{20}\) of payments, orders sent to the glidepath bus\.$/,
    );
  });

  it("sends nothing for a manifest the config refuses, listing the problem", async () => {
    // Act
    const sending = releaseCommand({ ...options, manifest: fixture("config.json") }, client, () => undefined);

    // Assess
    await expect(sending).rejects.toThrow(expect.objectContaining({ name: ErrorNames.ReleaseInvalid }));
    expect(eventBridge.commandCalls(PutEventsCommand)).toEqual([]);
  });

  it("fails with the bus's reason when the bus refuses the entry", async () => {
    // Prepare
    eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: "AccessDeniedException", ErrorMessage: "not authorized to put on glidepath" }],
    });

    // Act
    const sending = releaseCommand(options, client, () => undefined);

    // Assess
    await expect(sending).rejects.toThrow(
      "the glidepath bus refused the ReleasePublished event: AccessDeniedException not authorized to put on glidepath",
    );
  });
});
