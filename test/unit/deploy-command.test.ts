import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  awsDeployDependencies,
  type DeployDependencies,
  deployCommand,
  localDeployDependencies,
} from "../../cli/commands/deploy.ts";
import { UsageError } from "../../cli/usage-error.ts";
import { dynamoDbStores } from "../../functions/adapters/aws/dynamodb-stores.ts";
import { awsClientConfig } from "../../functions/adapters/aws/retry.ts";
import { LocalBus } from "../../functions/adapters/local/local-bus.ts";
import { parseConfig } from "../../functions/domain/config/index.ts";
import { promotionId } from "../../functions/domain/promotion/record.ts";
import type { PromotionRequest } from "../../functions/domain/promotion/request.ts";
import { createTriggerHandler } from "../../functions/handlers/trigger.ts";
import { type CallbackServer, startCallbackServer } from "../../local/callback-server.ts";
import { deployThrough } from "../../local/deploy-requests.ts";
import { type LocalTable, startDynalite } from "../helpers/dynalite.ts";

const client = new EventBridgeClient({ region: "eu-west-1", ...awsClientConfig });
const eventBridge = mockClient(client);
const config = new URL("../fixtures/release/config.json", import.meta.url).pathname;
const digest = `sha256:${"4e".repeat(32)}`;
const artifact = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/orders:1.4.1@${digest}`;
const alice = "cli:arn:aws:sts::123456789012:assumed-role/Deployer/alice";
const options = { service: "orders", artifact, config, bus: "glidepath" };

const aws = (): DeployDependencies => ({ ...awsDeployDependencies(client), identity: async () => alice });

async function deploy(extra: Partial<typeof options> & { version?: string; env?: string }, to = aws()) {
  const lines: string[] = [];
  await deployCommand({ ...options, ...extra }, to, (line) => lines.push(line));
  return lines;
}

describe("glidepath deploy on AWS", () => {
  beforeEach(() => {
    eventBridge.reset();
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "e-1" }] });
  });

  it("puts a DeployRequested event naming the service, the artifact, the environment and who asked, and prints the promotion to follow", async () => {
    // Act
    const lines = await deploy({ env: "production" });

    // Assess
    expect(eventBridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input)).toEqual([
      {
        Entries: [
          {
            EventBusName: "glidepath",
            Source: "glidepath.cli",
            DetailType: "DeployRequested",
            Detail: JSON.stringify({
              service: "orders",
              uri: artifact,
              digest,
              version: "1.4.1",
              environment: "production",
              requestedBy: alice,
            }),
          },
        ],
      },
    ]);
    const id = promotionId({ service: "orders", digest });
    expect(lines).toEqual([
      `promotion ${id} of orders 1.4.1 through production asked of the glidepath bus as ${alice}`,
      `follow it: glidepath status ${id} --watch`,
    ]);
  });

  it("labels an untagged artifact with its digest's first 12 digits, unless --version says otherwise", async () => {
    // Act
    const untagged = await deploy({ artifact: `local://orders@${digest}` });
    const labelled = await deploy({ artifact: `local://orders@${digest}`, version: "hotfix-7" });

    // Assess
    expect(untagged[0]).toContain("of orders 4e4e4e4e4e4e through staging → production");
    expect(labelled[0]).toContain("of orders hotfix-7 through staging → production");
  });

  it.each([
    [{ artifact: "shop/orders:1.4.1" }, /--artifact must be <uri>@<digest>.*got 'shop\/orders:1\.4\.1'/],
    [{ artifact: "shop/orders@latest" }, /digest: must be a content digest/],
    [{ service: "billing" }, /service: no service 'billing' in the config \(has: orders, payments\)/],
    [{ env: "qa" }, /environment: service 'orders' has no environment 'qa' \(has: staging, production\)/],
  ])("refuses %o with a usage error and sends nothing", async (extra, message) => {
    // Act
    const sending = deploy(extra);

    // Assess
    await expect(sending).rejects.toThrow(UsageError);
    await expect(sending).rejects.toThrow(message);
    expect(eventBridge.commandCalls(PutEventsCommand)).toEqual([]);
  });
});

describe("glidepath deploy against a running local deployment", () => {
  let table: LocalTable;
  let server: CallbackServer;
  let stateFile: string;
  const starts: PromotionRequest[] = [];

  beforeAll(async () => {
    table = await startDynalite();
    const stores = dynamoDbStores({ client: table.client, tableName: table.tableName });
    const trigger = createTriggerHandler({
      ...stores,
      config: parseConfig((await import(config, { with: { type: "json" } })).default),
      clock: () => new Date(),
      start: async (request) => {
        starts.push(request);
        return {
          executionArn: `arn:aws:states:local-1:000000000000:execution:Glidepath-pipeline:${request.promotionId}`,
        };
      },
    });
    const bus = new LocalBus({ account: "000000000000", region: "local-1", deliver: trigger });
    stateFile = join(mkdtempSync(join(tmpdir(), "glidepath-deploy-")), "local.json");
    server = await startCallbackServer({
      stores,
      bus,
      stateFile,
      deploy: deployThrough(bus),
    });
  });

  afterAll(async () => {
    await server.stop();
    await table.close();
  });

  it("the same digest asked twice through the local endpoint starts one promotion", async () => {
    // Prepare
    const local = localDeployDependencies(stateFile);
    if (local === undefined) throw new Error("the local run's state file was not found");

    // Act
    const first = await deploy({ service: "payments" }, local);
    const second = await deploy({ service: "payments" }, local);

    // Assess
    expect(first[0]).toMatch(
      / asked of the local run at http:\/\/127\.0\.0\.1:\d+ as local:ULOCALOPS: started \(p-\w+\)$/,
    );
    expect(second[0]).toMatch(/: duplicate: RUNNING \(p-\w+\)$/);
    expect(starts.map((request) => request.promotionId)).toEqual([
      promotionId({ service: "payments", digest }),
    ]);
  });

  it("a request the run's trigger refuses answers 400 with its reason", async () => {
    // Act
    const { token } = JSON.parse(readFileSync(stateFile, "utf8")) as { token: string };
    const response = await fetch(`${server.url}/deploy`, {
      method: "POST",
      headers: { "x-glidepath-token": token },
      body: JSON.stringify({ service: "payments", uri: "x@y", digest: "y", version: "1" }),
    });

    // Assess
    expect(response.status).toBe(400);
    expect(((await response.json()) as { text: string }).text).toMatch(
      /^The trigger cannot take this event: the DeployRequested detail is invalid: detail\.digest: must be a content digest.*detail\.requestedBy/,
    );
  });
});
