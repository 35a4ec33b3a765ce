import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RegisterTaskDefinitionCommand } from "@aws-sdk/client-ecs";
import { describe, expect, it } from "vitest";
import { type RollbackDependencies, rollbackCommand } from "../../cli/commands/rollback.ts";
import { RefusedError } from "../../cli/refused-error.ts";
import { awsPorts } from "../../functions/adapters/aws/ports.ts";
import { LocalTaskCallbacks } from "../../functions/adapters/local/local-task-callbacks.ts";
import { LineNotifier } from "../../functions/adapters/log-notifier.ts";
import { Presets } from "../../functions/domain/config/index.ts";
import type { Artifact, DeploymentStatus } from "../../functions/domain/deployment.ts";
import type { DeploymentRequest } from "../../functions/domain/deployment-request.ts";
import type { Ports } from "../../functions/domain/ports/index.ts";
import { waveDeploymentId } from "../../functions/domain/promotion/request.ts";
import { type RollbackRequestedDetail, rollbackId } from "../../functions/domain/rollback.ts";
import { createRollbackHandler } from "../../functions/handlers/rollback.ts";
import { runExecution } from "../../local/run-execution.ts";
import { stepHandlers } from "../../local/step-handlers.ts";
import { account, ecsServices, FakeAws, listenerArn, targetGroups } from "../helpers/fake-aws.ts";
import { configWith, useFakes, useStrategyMachines } from "./harness.ts";
import "../helpers/sdk-mock.ts";

const suite = useStrategyMachines();
const track = useFakes();
const alice = "cli:arn:aws:sts::111122223333:assumed-role/Deployer/alice";
let serviceCounter = 0;

/** The checkout service's production, canary with a 10-minute watch window, in the fake account. */
function world() {
  serviceCounter += 1;
  const base = configWith(Presets.ECSCanary10Percent5Minutes, undefined, undefined, { watchSeconds: 600 });
  const name = `checkout-${serviceCounter}`;
  const config = {
    ...base,
    services: base.services.map((service) => ({ ...service, name })),
  };
  const ports: Ports = {
    ...awsPorts({
      tableName: suite.table.tableName,
      documentClient: suite.table.client,
      account,
      region: "eu-west-1",
    }),
    callbacks: new LocalTaskCallbacks(),
    notifier: new LineNotifier(() => undefined),
  };
  return { config, ports, name };
}

const artifactOf = (service: string, version: string): Artifact => {
  const digest = `sha256:${createHash("sha256").update(`${service}:${version}`).digest("hex")}`;
  return { uri: `${account}.dkr.ecr.eu-west-1.amazonaws.com/shop/checkout@${digest}`, digest, version };
};

/** Records a deployment of `version` that ended `status`, as a past promotion would have left it. */
async function deployed(ports: Ports, service: string, version: string, status: DeploymentStatus) {
  const { deployment } = await ports.deployments.create({
    service,
    environment: "production",
    artifact: artifactOf(service, version),
    strategy: "canary",
  });
  if (status === "QUEUED") return deployment;
  await ports.deployments.transition(deployment.id, "IN_PROGRESS");
  if (status !== "IN_PROGRESS") {
    if (status === "ROLLED_BACK") await ports.deployments.transition(deployment.id, "ROLLING_BACK");
    await ports.deployments.transition(deployment.id, status);
  }
  await new Promise((resolve) => setTimeout(resolve, 5));
  return deployment;
}

function rollbackEvent(detail: Partial<RollbackRequestedDetail> & { service: string }) {
  return {
    version: "0",
    id: "5c3f6e4a-0000-0000-0000-000000000001",
    "detail-type": "RollbackRequested",
    source: "glidepath.cli",
    account,
    region: "eu-west-1",
    time: "2026-12-01T10:00:00Z",
    resources: [],
    detail: {
      environment: "production",
      requestedBy: alice,
      requestId: "0f8fad5b-d9cb-469f-a165-70867728950e",
      ...detail,
    },
  };
}

describe("a rollback asked for by a human, on the all-at-once state machine", () => {
  it("puts production back on the previous good artifact at once, with no watch window, recorded with who asked and why", async () => {
    // Prepare
    const { config, ports, name } = world();
    const aws = track(new FakeAws());
    await deployed(ports, name, "1.0.0", "SUCCEEDED");
    await deployed(ports, name, "1.1.0", "ROLLED_BACK");
    await deployed(ports, name, "1.2.0", "SUCCEEDED");
    const starts: { name: string; request: DeploymentRequest }[] = [];
    const runs: Promise<unknown>[] = [];
    const handler = createRollbackHandler({
      config,
      ...ports,
      startStrategy: async (strategy, executionName, request) => {
        starts.push({ name: executionName, request });
        const machine = suite.machines.get(strategy);
        if (machine === undefined) throw new Error(`no ${strategy} machine`);
        runs.push(
          runExecution({
            machine,
            input: request,
            executionName,
            steps: stepHandlers(ports),
            callbacks: ports.callbacks as LocalTaskCallbacks,
            waitMs: 0,
            retryMs: 0,
          }),
        );
        return {
          executionArn: `arn:aws:states:eu-west-1:${account}:execution:Glidepath-all-at-once:${executionName}`,
        };
      },
    });

    // Act
    const outcome = await handler(rollbackEvent({ service: name, reason: "p99 doubled since 1.2.0" }));
    await Promise.all(runs);
    const again = await handler(rollbackEvent({ service: name, reason: "p99 doubled since 1.2.0" }));

    // Assess
    expect(outcome).toMatchObject({
      outcome: "started",
      to: { version: "1.0.0" },
      from: [{ version: "1.2.0" }],
    });
    const ids = (result: typeof outcome) =>
      result.outcome === "started" ? result.deployments.map((deployment) => deployment.deploymentId) : [];
    expect(ids(again)).toEqual(ids(outcome));
    // The redelivery finds its deployment past QUEUED and starts nothing.
    expect(starts.map((start) => start.name)).toEqual([
      expect.stringMatching(new RegExp(`^${name}-production-rollback-1-0-0-[0-9a-f]{8}$`)),
    ]);
    expect(starts[0]?.request.plan.phases).toEqual([{ weight: 100, bakeSeconds: 0, gates: [] }]);
    expect(starts[0]?.request.alarms).toEqual(["checkout-5xx"]);
    const deploymentId = outcome.outcome === "started" ? (outcome.deployments[0]?.deploymentId ?? "") : "";
    const record = await ports.deployments.get(deploymentId);
    expect(record).toMatchObject({
      status: "SUCCEEDED",
      artifact: { version: "1.0.0" },
      rollbackId: expect.stringMatching(/^b-[0-9a-f]{20}$/),
      weights: { old: 0, new: 100 },
    });
    const decisions = await ports.decisions.list(deploymentId);
    expect(decisions[0]).toMatchObject({
      action: "rollback",
      actor: alice,
      reason: `${alice} asked to roll ${name} in production back from 1.2.0 to 1.0.0: p99 doubled since 1.2.0`,
    });
    expect(aws.ecs).toHaveReceivedCommandWith(RegisterTaskDefinitionCommand, {
      containerDefinitions: [expect.objectContaining({ image: artifactOf(name, "1.0.0").uri })],
    });
  });

  it("refuses while a deployment runs there, naming the abort command, and starts nothing", async () => {
    // Prepare
    const { config, ports, name } = world();
    await deployed(ports, name, "1.0.0", "SUCCEEDED");
    const running = await deployed(ports, name, "1.1.0", "IN_PROGRESS");
    const starts: string[] = [];
    const handler = createRollbackHandler({
      config,
      ...ports,
      startStrategy: async (_, executionName) => {
        starts.push(executionName);
        return { executionArn: "unused" };
      },
    });

    // Act
    const outcome = await handler(rollbackEvent({ service: name }));

    // Assess
    expect(outcome).toEqual({
      outcome: "refused",
      reason: `${name} has a deployment running in production (${running.id}, 1.1.0, IN_PROGRESS): to stop it and put traffic back, abort it: glidepath abort ${running.id}`,
    });
    expect(starts).toEqual([]);
  });

  it("glidepath rollback asks for the rollback the handler carries out, and prints the deployments to follow", async () => {
    // Prepare
    const { ports, name } = world();
    await deployed(ports, name, "1.0.0", "SUCCEEDED");
    await deployed(ports, name, "1.2.0", "SUCCEEDED");
    const sent: RollbackRequestedDetail[] = [];
    const lines: string[] = [];

    // Act
    await rollbackCommand(
      { service: name, env: "production", reason: "p99", config: configFile(name), bus: "glidepath" },
      cliDependencies(ports, sent),
      (line) => lines.push(line),
    );

    // Assess
    expect(sent).toEqual([
      {
        service: name,
        environment: "production",
        reason: "p99",
        requestedBy: alice,
        requestId: "0f8fad5b-d9cb-469f-a165-70867728950e",
      },
    ]);
    const expected = waveDeploymentId({
      service: name,
      environment: "production",
      digest: artifactOf(name, "1.0.0").digest,
      rollbackId: rollbackId("0f8fad5b-d9cb-469f-a165-70867728950e"),
    });
    expect(lines).toEqual([
      `rollback of ${name} in production from 1.2.0 to 1.0.0 asked of the glidepath bus as ${alice}`,
      `follow it: glidepath status ${expected} --watch`,
    ]);
  });

  it("glidepath rollback refuses (RefusedError, exit 1) and sends nothing when nothing good is known before the live one", async () => {
    // Prepare
    const { ports, name } = world();
    await deployed(ports, name, "1.0.0", "SUCCEEDED");
    const sent: RollbackRequestedDetail[] = [];

    // Act
    const asking = rollbackCommand(
      { service: name, env: "production", config: configFile(name), bus: "glidepath" },
      cliDependencies(ports, sent),
      () => undefined,
    );

    // Assess
    await expect(asking).rejects.toThrow(RefusedError);
    await expect(asking).rejects.toThrow(
      `rollback refused: nothing good is known before ${name} 1.0.0 in production: it is the only SUCCEEDED artifact there (name one with --to)`,
    );
    expect(sent).toEqual([]);
  });
});

/** The CLI's side on the suite's table, sending into `sent`, with a fixed request id. */
function cliDependencies(ports: Ports, sent: RollbackRequestedDetail[]): RollbackDependencies {
  return {
    stores: () => ports,
    env: { GLIDEPATH_TABLE: suite.table.tableName },
    where: (options) => `the ${options.bus} bus`,
    identity: async () => alice,
    send: async (detail) => {
      sent.push(detail);
    },
    requestId: () => "0f8fad5b-d9cb-469f-a165-70867728950e",
  };
}

/** The config of `world()` as a file the CLI loads. */
function configFile(name: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "glidepath-rollback-")), "config.json");
  writeFileSync(
    file,
    JSON.stringify({
      services: [
        {
          name,
          artifact: { type: "ecr", repository: "shop/checkout" },
          target: { type: "ecs", cluster: "shop", services: ecsServices, listenerArn, targetGroups },
          environments: [
            {
              name: "production",
              account,
              region: "eu-west-1",
              strategy: "ECSCanary10Percent5Minutes",
              alarms: [{ name: "checkout-5xx" }],
            },
          ],
        },
      ],
    }),
  );
  return file;
}
