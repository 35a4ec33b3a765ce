import { DescribeExecutionCommand, SFNClient } from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";
import { describe, expect, it } from "vitest";
import { awsStatusDependencies, type StatusDependencies, statusCommand } from "../../cli/commands/status.ts";
import { UsageError } from "../../cli/usage-error.ts";
import { dynamoDbStores } from "../../functions/adapters/aws/dynamodb-stores.ts";
import { Strategy } from "../../functions/domain/config/index.ts";
import { FakeAws, type FakeAwsOptions } from "../helpers/fake-aws.ts";
import { deploy, openGate, useFakes, useStrategyMachines, type World } from "./harness.ts";
import "../helpers/sdk-mock.ts";

const suite = useStrategyMachines();
const track = useFakes();

/** 10% for 30 s, then 100%: one bake with its evaluations and gates. */
const canary = Strategy.canary({ steps: [{ setWeight: 10 }, { bake: { seconds: 30 } }] });

/** `status` on the suite's dynalite table, with a short sleep between the reads of `--watch`. */
function dependencies(extra: Partial<StatusDependencies> = {}): StatusDependencies & { reads: () => number } {
  let reads = 0;
  const stores = () => {
    const real = dynamoDbStores({ client: suite.table.client, tableName: suite.table.tableName });
    return {
      ...real,
      deployments: {
        get: (id: string) => {
          reads += 1;
          return real.deployments.get(id);
        },
      },
    };
  };
  return {
    stores,
    env: {},
    tableName: suite.table.tableName,
    sleep: () => new Promise((resolve) => setTimeout(resolve, 20)),
    reads: () => reads,
    ...extra,
  };
}

async function status(id: string, options: Parameters<typeof statusCommand>[1] = {}, extra = {}) {
  const lines: string[] = [];
  const code = await statusCommand(id, options, dependencies(extra), (line) => lines.push(line));
  return { code, lines };
}

/** Every Wait passes at once but the bake timer, which waits `bakeTimerMs`. */
function run(options: FakeAwsOptions, extra: Partial<Parameters<typeof deploy>[0]> = {}, bakeTimerMs = 0) {
  track(new FakeAws(options));
  return deploy({
    machines: suite.machines,
    table: suite.table,
    strategy: canary,
    waitMs: { "Wait for rollout": 0, "Wait before retiring": 0, "Bake timer": bakeTimerMs },
    ...extra,
  });
}

describe("glidepath status of a deployment run by the canary state machine", () => {
  it("in its bake: the wave, the phase, the last verdict with both arms' numbers and e-values, and the gate's commands", async () => {
    // Prepare
    let shown: string[] = [];

    // Act
    const { deployment } = await run(
      {},
      {
        during: async (world: World) => {
          await openGate(world, "bake");
          shown = (await status(world.deploymentId)).lines;
          await world.bus.putDecision({
            deploymentId: world.deploymentId,
            action: "promote",
            actor: "cli:alice",
          });
        },
      },
      60_000,
    );

    // Assess
    const id = deployment.id;
    expect(shown[0]).toBe(
      `deployment ${id} · checkout ${deployment.artifact.version} (sha256:${deployment.artifact.digest.slice(7, 19)}) · IN_PROGRESS`,
    );
    expect(shown.slice(1)).toEqual([
      "└─ production IN_PROGRESS",
      `   └─ ${id} · IN_PROGRESS · new 10% / old 90%`,
      "         Traffic at 10% on the new version",
      "         phase 1 at 10%: bake 0s of 30s",
      expect.stringMatching(
        /^ {9}last verdict continue \(analysis, \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\): healthy: 5xx 0% over 100 requests, no alarm firing; undecided on 1 errors/,
      ),
      "           new 100 requests, 0 5xx (0.00%), p95 80 ms · old 900 requests, 1 5xx (0.11%), p95 80 ms",
      "           e-values: comparison fail 0.77 of 200, pass 1.1 of 20 · 5xx limit 1.00%: 0.193 of 200",
      "         open gate: bake at 10% (bake-p1-r0-10s), anyone who may put events on the Glidepath bus decides:",
      `           glidepath promote ${id}`,
      `           glidepath pause ${id}`,
      `           glidepath abort ${id}`,
    ]);
  });

  it("rolled back: the status with its reason, weights back on the old version, and no gate", async () => {
    // Act
    const { deployment } = await run({ alarmAtWeight: 10 });
    const { code, lines } = await status(deployment.id);

    // Assess
    expect(code).toBe(0);
    expect(lines[0]).toMatch(/ · ROLLED_BACK: AlarmFiredError: alarm in ALARM: checkout-5xx/);
    expect(lines[2]).toMatch(/^ {3}└─ d-\w+ · ROLLED_BACK · new 0% \/ old 100%: AlarmFiredError/);
    expect(lines.some((line) => line.includes("open gate"))).toBe(false);
  });

  it("--watch off a terminal prints each block only when it changed, and exits 0 once the deployment succeeds", async () => {
    // Prepare
    let watched: { code: number; lines: string[] } | undefined;
    const extra = dependencies();

    // Act
    const { deployment } = await run(
      {},
      {
        during: async (world: World) => {
          const lines: string[] = [];
          const code = await statusCommand(world.deploymentId, { watch: true }, extra, (line) =>
            lines.push(line),
          );
          watched = { code, lines };
        },
      },
      150,
    );

    // Assess
    expect(watched?.code).toBe(0);
    const lines = watched?.lines ?? [];
    expect(extra.reads()).toBeGreaterThan(5);
    const heads = lines.filter((line) => line.startsWith(`deployment ${deployment.id}`));
    expect(heads.map((line) => line.split(" · ").at(-1))).toEqual([
      "IN_PROGRESS",
      "SUCCEEDED: every phase passed",
    ]);
    // A phase block that changed is printed after the line of its wave (and the wave's step, when it changed).
    const phase = lines.findIndex((line) => line.includes("phase 2 at 100%"));
    expect(phase).toBeGreaterThan(0);
    expect(lines.slice(phase - 2, phase).some((line) => /^ {3}└─ d-\w+ · /.test(line))).toBe(true);
  });

  it("--watch exits 1 when the deployment rolls back, and --json prints the view whenever it changed", async () => {
    // Prepare
    let watched: { code: number; lines: string[] } | undefined;

    // Act
    await run(
      { alarmAtWeight: 100 },
      {
        during: async (world: World) => {
          watched = await status(world.deploymentId, { watch: true, json: true });
        },
      },
      100,
    );

    // Assess
    expect(watched?.code).toBe(1);
    const views = (watched?.lines ?? []).map((line) => JSON.parse(line));
    expect(views.at(-1)).toMatchObject({
      kind: "deployment",
      status: "ROLLED_BACK",
      ended: true,
      succeeded: false,
    });
    const withoutTime = views.map(({ readAt: _, ...view }) => JSON.stringify(view));
    expect(withoutTime.filter((view, at) => view === withoutTime[at - 1])).toEqual([]);
  });

  it("on AWS, an execution that stopped while its record says IN_PROGRESS is said, and --watch exits 1", async () => {
    // Prepare
    const sfn = mockClient(SFNClient);
    track(sfn);
    const stores = dynamoDbStores({ client: suite.table.client, tableName: suite.table.tableName });
    const { deployment } = await stores.deployments.create({
      service: "checkout",
      environment: "production",
      artifact: { uri: "local://checkout@sha256:aaaa", digest: `sha256:${"d".repeat(64)}`, version: "9.9.9" },
      strategy: "canary",
    });
    const executionArn =
      "arn:aws:states:eu-west-1:111122223333:execution:Glidepath-canary:checkout-production-9-9-9";
    await stores.deployments.transition(deployment.id, "IN_PROGRESS", { executionArn });
    sfn
      .on(DescribeExecutionCommand)
      .resolves({ status: "ABORTED", stopDate: new Date("2026-12-01T10:00:00Z") });

    // Act
    const { code, lines } = await status(
      deployment.id,
      { watch: true },
      { describe: awsStatusDependencies({}).describe },
    );

    // Assess
    expect(code).toBe(1);
    expect(sfn).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn });
    expect(lines[1]).toBe(
      "! the execution is ABORTED but the record says IN_PROGRESS: it stopped without recording its end (stopped from the console, or a step failed for good); see its history in the Step Functions console",
    );
  });

  it("--watch on a terminal redraws the tree in place: up to its first line, cleared, drawn again", async () => {
    // Prepare
    const stores = dynamoDbStores({ client: suite.table.client, tableName: suite.table.tableName });
    const { deployment } = await stores.deployments.create({
      service: "checkout",
      environment: "production",
      artifact: { uri: "local://checkout@sha256:bbbb", digest: `sha256:${"e".repeat(64)}`, version: "9.9.8" },
      strategy: "canary",
    });
    await stores.deployments.transition(deployment.id, "IN_PROGRESS", { currentStep: "Started" });
    const writes: string[] = [];

    // Act
    const { code, lines } = await status(
      deployment.id,
      { watch: true },
      {
        terminal: { columns: 60, write: (text: string) => writes.push(text) },
        // Between the two reads, the deployment ends.
        sleep: () => stores.deployments.transition(deployment.id, "SUCCEEDED").then(() => undefined),
      },
    );

    // Assess
    expect(code).toBe(0);
    expect(lines).toEqual([]);
    expect(writes).toHaveLength(2);
    const first = writes[0]?.split("\n").filter((line) => line !== "") ?? [];
    // Each line takes as many rows as its length needs at 60 columns; colours (a terminal) do not count.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes
    const visible = (line: string) => line.replace(/\u001b\[[0-9;]*m/g, "").length;
    const rows = first.reduce((sum, line) => sum + Math.max(1, Math.ceil(visible(line) / 60)), 0);
    expect(writes[0]?.startsWith("\u001b[")).toBe(false);
    expect(writes[1]?.startsWith(`\u001b[${rows}F\u001b[J`)).toBe(true);
    expect(writes[1]).toContain("\u001b[32mSUCCEEDED\u001b[0m");
  });

  it("--watch on a terminal with NO_COLOR set draws no colours", async () => {
    // Prepare
    const stores = dynamoDbStores({ client: suite.table.client, tableName: suite.table.tableName });
    const { deployment } = await stores.deployments.create({
      service: "checkout",
      environment: "production",
      artifact: { uri: "local://checkout@sha256:bbbb", digest: `sha256:${"f".repeat(64)}`, version: "9.9.7" },
      strategy: "canary",
    });
    await stores.deployments.transition(deployment.id, "IN_PROGRESS");
    await stores.deployments.transition(deployment.id, "SUCCEEDED");
    const writes: string[] = [];

    // Act
    await status(
      deployment.id,
      { watch: true },
      { env: { NO_COLOR: "1" }, terminal: { columns: 80, write: (text: string) => writes.push(text) } },
    );

    // Assess
    expect(writes).toHaveLength(1);
    expect(writes[0]).toContain(" · SUCCEEDED");
    expect(writes[0]).not.toContain("\u001b");
  });

  it("refuses an id that is neither a promotion's nor a deployment's, and one the table does not hold", async () => {
    // Act
    const malformed = status("checkout");
    const unknown = status(`d-${"0".repeat(20)}`);

    // Assess
    await expect(malformed).rejects.toThrow(UsageError);
    await expect(malformed).rejects.toThrow(/'checkout' is neither a promotion id/);
    await expect(unknown).rejects.toThrow(/^no deployment d-0{20} in the state table; check the id/);
  });
});
