import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { statusCommand } from "../../cli/commands/status.ts";
import { awsPorts } from "../../functions/adapters/aws/ports.ts";
import { LocalBus } from "../../functions/adapters/local/local-bus.ts";
import { LocalTaskCallbacks } from "../../functions/adapters/local/local-task-callbacks.ts";
import { LineNotifier } from "../../functions/adapters/log-notifier.ts";
import { type GlidepathConfigInput, parseConfig } from "../../functions/domain/config/index.ts";
import type { DeploymentRequest } from "../../functions/domain/deployment-request.ts";
import { ErrorNames } from "../../functions/domain/errors.ts";
import type { Ports } from "../../functions/domain/ports/index.ts";
import { newPromotion } from "../../functions/domain/promotion/controller.ts";
import {
  type PromotionRequest,
  promotionExecutionName,
  promotionRequest,
} from "../../functions/domain/promotion/request.ts";
import { createResolveGateHandler } from "../../functions/handlers/resolve-gate.ts";
import type { RenderedStateMachine } from "../../local/render-asl.ts";
import { type ExecutionResult, type NestedHandler, runExecution } from "../../local/run-execution.ts";
import { stepHandlers } from "../../local/step-handlers.ts";
import { type LocalTable, startDynalite } from "../helpers/dynalite.ts";
import { account } from "../helpers/fake-aws.ts";
import { useTestApps } from "../helpers/synth.ts";
import { decisionEvent, openGate, standInStrategy, synthesizeAll } from "./harness.ts";

/** Production's own account: the promotion crosses accounts as well as regions. */
const productionAccount = "444455556666";
const migrate = `arn:aws:lambda:eu-west-1:${account}:function:migrate`;
const verify = `arn:aws:lambda:eu-west-1:${account}:function:verify`;

let table: LocalTable;
let pipeline: RenderedStateMachine;
const apps = useTestApps();
let serviceCounter = 0;

beforeAll(async () => {
  const machine = synthesizeAll(apps(), parseConfig(configInput("api"))).get("pipeline");
  if (machine === undefined) throw new Error("no pipeline state machine");
  pipeline = machine;
  table = await startDynalite();
});

afterAll(async () => {
  await table.close();
});

type EnvironmentInput = GlidepathConfigInput["services"][number]["environments"][number];

/**
 * dev (a reversible migration before it, a verification after it), then production in its own account, in two
 * regions.
 */
function configInput(
  name: string,
  change: { dev?: Partial<EnvironmentInput>; production?: Partial<EnvironmentInput> } = {},
): GlidepathConfigInput {
  return {
    services: [
      {
        name,
        artifact: { type: "custom", source: "ci.example" },
        target: { type: "local" },
        environments: [
          {
            name: "dev",
            account,
            region: "eu-west-1",
            strategy: "ECSAllAtOnce",
            hooks: {
              preDeploy: [{ name: "migrate", function: migrate }],
              postDeploy: [{ name: "verify", function: verify }],
            },
            ...change.dev,
          },
          {
            name: "production",
            account: productionAccount,
            region: ["eu-west-1", "us-east-1"],
            strategy: "ECSCanary10Percent5Minutes",
            ...change.production,
          },
        ],
      },
    ],
  };
}

interface Promotion {
  readonly result: ExecutionResult;
  readonly request: PromotionRequest;
  readonly ports: Ports;
  /** The StartExecution parameters of each nested execution, in order. */
  readonly started: Parameters<NestedHandler>[0][];
  /** Each hook invocation: function and payload. */
  readonly hooks: { readonly fn: string; readonly payload: Record<string, unknown> }[];
  readonly notices: string[];
  readonly states: readonly string[];
}

/**
 * Runs the synthesized pipeline with the real promote, open-gate and resolve-gate handlers over dynalite.
 * Nested strategy executions and hooks are stand-ins (the strategies have their own tests): a child moves its
 * deployment record as the strategy's record step would and ends as `child` says.
 */
async function promote(props: {
  readonly change?: Parameters<typeof configInput>[1];
  readonly child?: (request: DeploymentRequest) => "SUCCEEDED" | "ROLLED_BACK";
  readonly hook?: (fn: string, payload: Record<string, unknown>) => unknown;
  readonly during?: (world: {
    ports: Ports;
    request: PromotionRequest;
    resolveGate: (event: unknown) => Promise<unknown>;
  }) => Promise<void>;
}): Promise<Promotion> {
  serviceCounter += 1;
  const config = parseConfig(configInput(`svc-${serviceCounter}`, props.change));
  const service = config.services[0];
  if (service === undefined) throw new Error("no service");
  const callbacks = new LocalTaskCallbacks();
  const notices: string[] = [];
  const ports: Ports = {
    ...awsPorts({ tableName: table.tableName, documentClient: table.client, account, region: "eu-west-1" }),
    callbacks,
    notifier: new LineNotifier((line) => notices.push(line)),
  };
  const digest = `sha256:${serviceCounter.toString(16).padStart(64, "c")}`;
  const artifact = { uri: `local://api@${digest}`, digest, version: "2.0.0" };
  const request = promotionRequest({ service, artifact });
  // As the trigger leaves it: the promotion's record holds the service's lock.
  const now = new Date().toISOString();
  const arrived = newPromotion({ request, publishedAt: now, now });
  await ports.promotions.create({ ...arrived, lock: "holder" });
  await ports.promotions.acquireLock({ service: service.name, promotionId: request.promotionId });
  const started: Parameters<NestedHandler>[0][] = [];
  const hooks: { fn: string; payload: Record<string, unknown> }[] = [];
  const lifecycle = {
    config,
    start: async () => {
      throw new Error("nothing waits for the lock in these tests");
    },
  };
  const steps = stepHandlers(ports, lifecycle);
  const resolveGate = createResolveGateHandler(ports);
  new LocalBus({ account, region: "eu-west-1", deliver: resolveGate });
  const running = runExecution({
    machine: pipeline,
    input: request,
    executionName: promotionExecutionName(request),
    steps: { ...steps, "resolve-gate": resolveGate },
    callbacks,
    waitMs: { "Bake between waves": 0 },
    retryMs: 0,
    invoke: async (fn, payload) => {
      hooks.push({ fn, payload: payload as Record<string, unknown> });
      return props.hook?.(fn, payload as Record<string, unknown>) ?? { passed: true };
    },
    nested: async (start) => {
      started.push(start);
      return standInStrategy(ports, start, props.child?.(start.Input as DeploymentRequest) ?? "SUCCEEDED");
    },
  });
  const [result] = await Promise.all([running, props.during?.({ ports, request, resolveGate })]);
  const states = result.events
    .filter((event) => event.type === "StateEntered")
    .map((event) => event.state ?? "");
  return { result, request, ports, started, hooks, notices, states };
}

const statuses = async (ports: Ports, request: PromotionRequest) =>
  Promise.all(
    request.environments.flatMap((environment) =>
      environment.waves.map(async (wave) => [
        environment.name,
        wave.region ?? "-",
        (await ports.deployments.get(wave.deploymentId))?.status ?? "none",
      ]),
    ),
  );

const approvalRequired = { production: { approval: { required: true, approvers: ["alice"] } } };

/** Waits for the promotion gate into production, checks how it reads, and decides it as alice. */
function decideProductionGate(action: "approve" | "reject") {
  return async (world: {
    ports: Ports;
    request: PromotionRequest;
    resolveGate: (event: unknown) => Promise<unknown>;
  }): Promise<void> => {
    const deploymentId = world.request.environments[1]?.waves[0]?.deploymentId ?? "";
    const gate = await openGate({ stores: world.ports, deploymentId }, "approval");
    expect(gate.label).toBe("promotion to production");
    await world.resolveGate(decisionEvent(deploymentId, gate.gateId, action, "cli:alice"));
  };
}

describe("the pipeline state machine, run locally", () => {
  it("promotes through every environment and wave in order, each strategy a nested execution in its wave's account and region", async () => {
    // Act
    const { result, request, ports, started, hooks, states, notices } = await promote({});

    // Assess
    expect(result.status).toBe("SUCCEEDED");
    const [dev, production] = request.environments;
    expect(started).toEqual(
      [dev?.waves[0], production?.waves[0], production?.waves[1]].map((wave) => ({
        StateMachineArn: `arn:aws:states:local-1:000000000000:stateMachine:Glidepath-${wave?.request.strategy}`,
        Name: wave?.executionName,
        Input: { ...wave?.request, AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: result.executionArn },
      })),
    );
    expect(hooks).toEqual([
      {
        fn: migrate,
        payload: {
          contract: "glidepath.hook/v1",
          stage: "preDeploy",
          hook: "migrate",
          timeoutSeconds: 300,
          promotionId: request.promotionId,
          deploymentId: request.environments[0]?.waves[0]?.deploymentId,
          service: request.service,
          environment: "dev",
          artifact: request.artifact,
        },
      },
      expect.objectContaining({ fn: verify, payload: expect.objectContaining({ stage: "postDeploy" }) }),
    ]);
    expect(states.filter((state) => state === "Bake between waves")).toHaveLength(1);
    expect(
      started.map((start) => [
        (start.Input as DeploymentRequest).account,
        (start.Input as DeploymentRequest).region,
      ]),
    ).toEqual([
      [account, "eu-west-1"],
      [productionAccount, "eu-west-1"],
      [productionAccount, "us-east-1"],
    ]);
    expect(await statuses(ports, request)).toEqual([
      ["dev", "-", "SUCCEEDED"],
      ["production", "eu-west-1", "SUCCEEDED"],
      ["production", "us-east-1", "SUCCEEDED"],
    ]);
    expect(await ports.promotions.getLock(request.service)).toMatchObject({ liveVersion: "2.0.0" });
    expect((await ports.promotions.getLock(request.service)).holder).toBeUndefined();
    expect(notices).toContain(
      `promotion promoted: ${request.service} 2.0.0: every environment succeeded, up to production`,
    );
    const record = await ports.promotions.get(request.promotionId);
    expect(record).toMatchObject({ status: "PROMOTED", lock: "none", current: "production" });
    expect(record?.environments.map((environment) => [environment.name, environment.status])).toEqual([
      ["dev", "SUCCEEDED"],
      ["production", "SUCCEEDED"],
    ]);
    expect(record?.hooks.map((run) => [run.environment, run.stage, run.hook, run.passed])).toEqual([
      ["dev", "preDeploy", "migrate", true],
      ["dev", "postDeploy", "verify", true],
    ]);
  });

  it("a failing environment stops the promotion: later environments are never deployed, its migration is undone", async () => {
    // Act
    const { result, request, ports, started, hooks, notices } = await promote({ child: () => "ROLLED_BACK" });

    // Assess
    expect(result.status).toBe("FAILED");
    expect(result.error).toBe("States.TaskFailed");
    expect(started.map((start) => start.Name)).toEqual([request.environments[0]?.waves[0]?.executionName]);
    expect(hooks.map((hook) => [hook.fn, hook.payload.stage])).toEqual([
      [migrate, "preDeploy"],
      [migrate, "undo"],
    ]);
    expect(await statuses(ports, request)).toEqual([
      ["dev", "-", "ROLLED_BACK"],
      ["production", "eu-west-1", "none"],
      ["production", "us-east-1", "none"],
    ]);
    expect((await ports.promotions.getLock(request.service)).holder).toBeUndefined();
    expect(notices).toContain(
      `promotion stopped: ${request.service} 2.0.0 in dev: ${ErrorNames.AlarmFired}: 5xx`,
    );
    expect(await ports.promotions.get(request.promotionId)).toMatchObject({
      status: "STOPPED",
      environments: [
        { name: "dev", status: "ROLLED_BACK", reason: `${ErrorNames.AlarmFired}: 5xx` },
        { name: "production", status: "PENDING" },
      ],
    });
  });

  it("freezes instead of undoing when the migration says it is irreversible, and tells humans", async () => {
    // Act
    const { result, request, hooks, notices } = await promote({
      child: () => "ROLLED_BACK",
      hook: () => ({ passed: true, irreversible: true }),
    });

    // Assess
    expect(result.status).toBe("FAILED");
    expect(hooks.map((hook) => hook.payload.stage)).toEqual(["preDeploy"]);
    expect(notices).toContain(
      `promotion frozen: ${request.service} 2.0.0 in dev: irreversible migrate ran, then ${ErrorNames.AlarmFired}: 5xx. Fix forward with a new artifact.`,
    );
  });

  it("a failing pre-deploy hook stops the promotion before anything is deployed", async () => {
    // Act
    const { result, request, ports, started } = await promote({
      hook: () => ({ passed: false, reason: "column user_id already exists" }),
    });

    // Assess
    expect(result.status).toBe("FAILED");
    expect(result.error).toBe(ErrorNames.HookFailed);
    expect(started).toEqual([]);
    expect(await ports.deployments.get(request.environments[0]?.waves[0]?.deploymentId ?? "")).toMatchObject({
      status: "FAILED",
      statusReason: `not deployed: ${ErrorNames.HookFailed}: preDeploy hook migrate (${migrate}) failed: column user_id already exists`,
    });
  });

  it("a freeze window with onFreeze fail blocks the environment", async () => {
    // Prepare
    const now = Date.now();
    const freeze = {
      onFreeze: "fail" as const,
      freezeWindows: [
        {
          name: "peak",
          start: new Date(now - 3_600_000).toISOString(),
          end: new Date(now + 3_600_000).toISOString(),
        },
      ],
    };

    // Act
    const { result, started, hooks } = await promote({ change: { dev: freeze } });

    // Assess
    expect(result.status).toBe("FAILED");
    expect(result.error).toBe(ErrorNames.FreezeWindow);
    expect(result.cause).toMatch(/^dev is frozen by 'peak' until /);
    expect(started).toEqual([]);
    expect(hooks).toEqual([]);
  });

  it("a freeze window with onFreeze wait holds the environment until the window ends", async () => {
    // Prepare
    const end = Date.now() + 1500;
    const freeze = {
      freezeWindows: [
        {
          name: "release-freeze",
          start: new Date(end - 3_600_000).toISOString(),
          end: new Date(end).toISOString(),
        },
      ],
    };

    // Act
    const { result, started, states } = await promote({ change: { dev: freeze } });

    // Assess
    expect(result.status).toBe("SUCCEEDED");
    expect(states).toContain("Wait for the freeze to end");
    const waited = result.events.find(
      (event) => event.type === "StateEntered" && event.state === "Enter environment",
    );
    const deployed = result.events.find(
      (event) => event.type === "StateEntered" && event.state === "Run strategy",
    );
    expect((deployed?.timestamp ?? 0) - (waited?.timestamp ?? 0)).toBeGreaterThanOrEqual(1000);
    expect(deployed?.timestamp ?? 0).toBeGreaterThanOrEqual(end - 50);
    expect(started).toHaveLength(3);
  });

  it("waits at the promotion approval; a rejection stops the promotion before production", async () => {
    // Act
    const { result, request, ports, started } = await promote({
      change: approvalRequired,
      during: decideProductionGate("reject"),
    });

    // Assess
    expect(result.status).toBe("FAILED");
    expect(result.error).toBe(ErrorNames.GateRejected);
    expect(started).toHaveLength(1);
    expect(await statuses(ports, request)).toEqual([
      ["dev", "-", "SUCCEEDED"],
      ["production", "eu-west-1", "FAILED"],
      ["production", "us-east-1", "FAILED"],
    ]);
  });

  it("an approved promotion goes on to production", async () => {
    // Act
    const { result, started } = await promote({
      change: approvalRequired,
      during: decideProductionGate("approve"),
    });

    // Assess
    expect(result.status).toBe("SUCCEEDED");
    expect(started).toHaveLength(3);
  });
});

describe("glidepath status of a promotion run by the pipeline state machine", () => {
  const status = async (id: string, ports: Ports) => {
    const lines: string[] = [];
    const code = await statusCommand(id, {}, { stores: () => ports, env: {}, tableName: "local" }, (line) =>
      lines.push(line),
    );
    return { code, lines };
  };

  it("waiting at its approval into production: dev's wave, production's waves QUEUED, the gate on the first with who may decide", async () => {
    // Prepare
    let shown: string[] = [];

    // Act
    const { request } = await promote({
      change: approvalRequired,
      during: async (world) => {
        const deploymentId = world.request.environments[1]?.waves[0]?.deploymentId ?? "";
        const gate = await openGate({ stores: world.ports, deploymentId }, "approval");
        shown = (await status(world.request.promotionId, world.ports)).lines;
        await world.resolveGate(decisionEvent(deploymentId, gate.gateId, "approve", "cli:alice"));
      },
    });

    // Assess
    const [dev, east, west] = [
      request.environments[0]?.waves[0]?.deploymentId,
      request.environments[1]?.waves[0]?.deploymentId,
      request.environments[1]?.waves[1]?.deploymentId,
    ];
    expect(shown).toEqual([
      `promotion ${request.promotionId} · ${request.service} 2.0.0 (${request.artifact.digest.slice(0, 19)}) · RUNNING`,
      "├─ dev SUCCEEDED",
      // The stand-in strategy moves records, not weights.
      `│  └─ eu-west-1 · account ${account} · ${dev} · SUCCEEDED · new 0% / old 100%`,
      "└─ production IN_PROGRESS",
      `   ├─ eu-west-1 · account ${productionAccount} · ${east} · QUEUED`,
      "   │     open gate: promotion to production (approval-p1-r0-0s), alice may decide:",
      `   │       glidepath approve ${east}`,
      `   │       glidepath reject ${east}`,
      `   │       glidepath abort ${east}`,
      `   └─ us-east-1 · account ${productionAccount} · ${west} · QUEUED`,
    ]);
  });

  it("frozen where an irreversible migration ran before the failure, which the environment's line says", async () => {
    // Act
    const frozen = await promote({
      child: () => "ROLLED_BACK",
      hook: () => ({ passed: true, irreversible: true }),
    });
    const { code, lines } = await status(frozen.request.promotionId, frozen.ports);

    // Assess
    expect(code).toBe(0);
    expect(lines[0]).toMatch(/ · FROZEN: AlarmFiredError: 5xx$/);
    expect(lines[1]).toBe(
      "├─ dev FROZEN: AlarmFiredError: 5xx · irreversible migrate ran: nothing undone, fix forward with a new artifact",
    );
    expect(lines.at(-3)).toBe("└─ production PENDING");
  });

  it("promoted, and stopped where its environment rolled back with later environments never entered", async () => {
    // Act
    const promoted = await promote({});
    const stopped = await promote({ child: () => "ROLLED_BACK" });
    const good = await status(promoted.request.promotionId, promoted.ports);
    const bad = await status(stopped.request.promotionId, stopped.ports);

    // Assess
    expect(good.code).toBe(0);
    expect(good.lines[0]).toMatch(/ · PROMOTED: every environment succeeded, up to production$/);
    expect(good.lines.filter((line) => / · d-\w+ · SUCCEEDED/.test(line))).toHaveLength(3);
    expect(bad.code).toBe(0);
    expect(bad.lines[0]).toMatch(/ · STOPPED: /);
    expect(bad.lines[1]).toMatch(/^├─ dev ROLLED_BACK: /);
    expect(bad.lines[2]).toMatch(/^│ {2}└─ eu-west-1 · account \d{12} · d-\w+ · ROLLED_BACK/);
    expect(bad.lines.slice(3)).toEqual([
      "└─ production PENDING",
      expect.stringMatching(/^ {3}├─ eu-west-1 · account 444455556666 · d-\w+ · NOT_STARTED$/),
      expect.stringMatching(/^ {3}└─ us-east-1 · account 444455556666 · d-\w+ · NOT_STARTED$/),
    ]);
  });
});
