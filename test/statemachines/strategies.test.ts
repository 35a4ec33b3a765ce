import { GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { RegisterTaskDefinitionCommand, UpdateServiceCommand } from "@aws-sdk/client-ecs";
import { ModifyListenerCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { actionIdOf, buttonValue } from "../../functions/adapters/slack/interactivity.ts";
import { signSlackRequest } from "../../functions/adapters/slack/signature.ts";
import {
  Presets,
  Strategy,
  type StrategyInput,
  type StrategyType,
} from "../../functions/domain/config/index.ts";
import type { DeploymentRequest } from "../../functions/domain/deployment-request.ts";
import type { HumanAction } from "../../functions/domain/gates.ts";
import { createSlackCallbackHandler } from "../../functions/handlers/slack-callback.ts";
import type { RenderedStateMachine } from "../../local/render-asl.ts";
import { conversionMetric } from "../helpers/analysis-settings.ts";
import { type LocalTable, startDynalite } from "../helpers/dynalite.ts";
import { account, FakeAws, type FakeAwsOptions } from "../helpers/fake-aws.ts";
import { useTestApps } from "../helpers/synth.ts";
import { configWith, decisionEvent, deploy, openGate, synthesizeMachines, type World } from "./harness.ts";
import "../helpers/sdk-mock.ts";
import { ErrorNames } from "../../functions/domain/errors.ts";

/** The strategies that deploy a new version of an ECS service (feature flags have their own test). */
type ServiceStrategy = Exclude<StrategyType, "feature-flag" | "experiment">;

const strategies: Record<ServiceStrategy, StrategyInput> = {
  "all-at-once": Strategy.allAtOnce({ bakeSeconds: 60 }),
  rolling: Strategy.rolling({ batch: { percent: 50 }, bakeSeconds: 30 }),
  "blue-green": Strategy.blueGreen({ bakeSeconds: 60, retireDelaySeconds: 600 }),
  canary: Strategy.canary({
    steps: [{ setWeight: 10 }, { bake: { seconds: 30 } }, { setWeight: 50 }, { bake: { seconds: 30 } }],
  }),
  linear: Strategy.linear({ stepPercent: 25, intervalSeconds: 30 }),
};

/** The weight the new version reaches at the second step of each strategy, where the alarm fires. */
const secondStep: Record<ServiceStrategy, number> = {
  "all-at-once": 100,
  rolling: 100,
  "blue-green": 100,
  canary: 50,
  linear: 50,
};

const entered = new Map<StrategyType, Set<string>>();
let machines: Map<StrategyType, RenderedStateMachine>;
let table: LocalTable;
let aws: FakeAws | undefined;
const apps = useTestApps();

beforeAll(async () => {
  machines = synthesizeMachines(apps());
  table = await startDynalite();
});

afterAll(async () => {
  await table.close();
  const report = [...machines].map(([type, machine]) => {
    const all = Object.keys(machine.states);
    const seen = entered.get(type) ?? new Set();
    return `${type}: ${all.filter((name) => seen.has(name)).length}/${all.length} states entered`;
  });
  console.log(`State coverage of the strategy state machines:\n  ${report.join("\n  ")}`);
});

afterEach(() => {
  aws?.restore();
  aws = undefined;
});

async function run(
  type: ServiceStrategy,
  options: FakeAwsOptions = {},
  extra: Partial<Parameters<typeof deploy>[0]> = {},
) {
  aws = new FakeAws(options);
  const result = await deploy({ machines, table, strategy: strategies[type], ...extra });
  const seen = entered.get(type) ?? new Set<string>();
  for (const state of result.states) seen.add(state);
  entered.set(type, seen);
  return { ...result, aws };
}

const types = Object.keys(strategies) as ServiceStrategy[];

describe("strategy state machines, executed from the synthesized template", () => {
  it("synthesizes one state machine per strategy", () => {
    expect([...machines.keys()].sort()).toEqual([...types, "feature-flag", "experiment"].sort());
    expect(machines.get("canary")?.name).toBe("Glidepath-canary");
  });

  it.each(types)("%s: a good release reaches 100% and SUCCEEDED", async (type) => {
    // Act
    const { result, record, aws } = await run(type);

    // Assess
    expect(result.status).toBe("SUCCEEDED");
    expect(record).toMatchObject({
      status: "SUCCEEDED",
      weights: { old: 0, new: 100 },
      executionArn: result.executionArn,
    });
    expect(aws.weights).toEqual({ blue: 0, green: 100 });
    expect(aws.weightHistory.at(-1)).toEqual({ blue: 0, green: 100 });
    expect(aws.services.blue.desiredCount).toBe(0);
    expect(aws.services.green.desiredCount).toBe(4);
    expect(aws.ecs).toHaveReceivedCommandWith(RegisterTaskDefinitionCommand, {
      family: "checkout",
      containerDefinitions: [
        expect.objectContaining({ name: "app", image: expect.stringContaining("@sha256:") }),
      ],
    });
  });

  it.each(types)("%s: an alarm at the second step rolls back to 0% and ROLLED_BACK", async (type) => {
    // Act
    const { result, record, aws, deployment } = await run(type, { alarmAtWeight: secondStep[type] });

    // Assess
    expect(result.status).toBe("FAILED");
    expect(result.error).toBe(ErrorNames.AlarmFired);
    expect(result.cause).toContain("alarm in ALARM: checkout-5xx");
    expect(record).toMatchObject({ status: "ROLLED_BACK", weights: { old: 100, new: 0 } });
    expect(record?.statusReason).toMatch(
      new RegExp(`^${ErrorNames.AlarmFired}: alarm in ALARM: checkout-5xx`),
    );
    expect(aws.weights).toEqual({ blue: 100, green: 0 });
    expect(Math.max(...aws.weightHistory.map((weights) => weights.green))).toBe(secondStep[type]);
    expect(aws.services.green.desiredCount).toBe(0);
    expect(aws.services.blue.desiredCount).toBe(4);
    const decisions = await awsStore(deployment.id);
    expect(decisions.map((decision) => decision.action)).toContain("rollback");
    expect(decisions.find((decision) => decision.actor === "alarm:checkout-5xx")?.values).toMatchObject({
      alarms: [{ name: "checkout-5xx", state: "ALARM" }],
    });
  });

  it.each(types)("%s: a failed deploy never shifts traffic and ends FAILED", async (type) => {
    // Act
    const { result, record, aws } = await run(type, { newVersionFails: true });

    // Assess
    expect(result.status).toBe("FAILED");
    expect(result.error).toBe(ErrorNames.DeployFailed);
    expect(record).toMatchObject({ status: "FAILED", weights: { old: 100, new: 0 } });
    expect(record?.statusReason).toMatch(/^Deploy: DeployFailedError: .*not stable after 3 checks/);
    expect(aws.elb).not.toHaveReceivedCommand(ModifyListenerCommand);
    expect(aws.services.green.desiredCount).toBe(0);
  });

  it.each(types)("%s: a rollback that cannot move traffic back ends FAILED and says so", async (type) => {
    // Act
    const { result, record } = await run(type, { alarmAtWeight: secondStep[type], breakShiftBack: true });

    // Assess
    expect(result.status).toBe("FAILED");
    expect(
      result.events.some((event) => event.type === "StateEntered" && event.state === "Rollback failed"),
    ).toBe(true);
    expect(record?.status).toBe("FAILED");
    expect(record?.statusReason).toMatch(
      /^Rollback could not move traffic back to the old version; traffic may still reach the new version: /,
    );
  });

  it("blue-green: a failing smoke test stops before any user sees the new version", async () => {
    // Act
    const { result, record, aws } = await run(
      "blue-green",
      {},
      {
        strategy: Strategy.blueGreen({ smokeTest: "smoke" }),
        smokeTest: async () => ({ passed: false, reason: "GET /health answered 503" }),
      },
    );

    // Assess
    expect(result.status).toBe("FAILED");
    expect(result.error).toBe(ErrorNames.SmokeTestFailed);
    expect(result.cause).toBe("GET /health answered 503");
    expect(record).toMatchObject({
      status: "FAILED",
      statusReason: `Deploy: ${ErrorNames.SmokeTestFailed}: GET /health answered 503`,
    });
    expect(aws.elb).not.toHaveReceivedCommand(ModifyListenerCommand);
  });

  it("blue-green: a passing smoke test gets the colour and the release succeeds", async () => {
    // Prepare
    const payloads: unknown[] = [];

    // Act
    const { result, deployment } = await run(
      "blue-green",
      {},
      {
        strategy: Strategy.blueGreen({ smokeTest: "smoke" }),
        smokeTest: async (payload) => {
          payloads.push(payload);
          return { passed: true, reason: "ok" };
        },
      },
    );

    // Assess
    expect(result.status).toBe("SUCCEEDED");
    expect(payloads).toEqual([
      expect.objectContaining({
        deploymentId: deployment.id,
        colour: "green",
        service: "checkout",
        // The task definition the new colour runs, registered for the deployment.
        revision: expect.stringMatching(/^arn:aws:ecs:eu-west-1:111122223333:task-definition\/checkout:\d+$/),
      }),
    ]);
  });

  it("rolling: every batch grows the new colour before traffic moves and shrinks the old one after", async () => {
    // Act
    const { result, aws } = await run("rolling");

    // Assess
    expect(result.status).toBe("SUCCEEDED");
    const counts = aws.ecs
      .commandCalls(UpdateServiceCommand)
      .map((call) => [call.args[0].input.service, call.args[0].input.desiredCount]);
    expect(counts).toEqual([
      ["checkout-green", 0],
      ["checkout-green", 2],
      ["checkout-blue", 2],
      ["checkout-green", 4],
      ["checkout-blue", 0],
      ["checkout-blue", 0],
    ]);
    expect(aws.weightHistory).toEqual([
      { blue: 50, green: 50 },
      { blue: 0, green: 100 },
    ]);
  });

  it.each(types)(
    "%s: rejects an execution input that is not a deployment request, before anything happens",
    async (type) => {
      // Act
      const { result, aws, request } = await run(
        type,
        {},
        { request: (request) => ({ ...request, plan: { ...request.plan, phaseCount: 99 } }) },
      );

      // Assess
      expect(result.status).toBe("FAILED");
      expect(result.error).toBe(ErrorNames.DeploymentRequestInvalid);
      expect(result.cause).toContain(
        `plan.phaseCount is 99 but the plan has ${request.plan.phases.length} phases`,
      );
      expect(aws.ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
    },
  );
});

describe("gates: humans and alarms decide through the bus", () => {
  const fastRollout = {
    "Wait for rollout": 0,
    "Wait for batch": 0,
    "Wait for old version": 0,
    "Wait before retiring": 0,
  };
  const alarmEvent = {
    alarmName: "checkout-5xx",
    state: {
      value: "ALARM" as const,
      reason: "Threshold Crossed: 1 datapoint [7.0] > 1.0",
      timestamp: "2026-11-26T14:00:00.000Z",
    },
    previousState: {
      value: "OK" as const,
      reason: "Threshold not crossed",
      timestamp: "2026-11-26T13:00:00.000Z",
    },
  };
  const decide = (world: World, action: HumanAction, actor = "cli:alice", gateId?: string) =>
    world.bus.putDecision({
      deploymentId: world.deploymentId,
      action,
      actor,
      ...(gateId === undefined ? {} : { gateId }),
    });

  it.each(types)("%s: an alarm event in the middle of a bake rolls back within 1 s", async (type) => {
    // Prepare
    let eventAt = 0;
    let backAt = 0;

    // Act
    const { result, record } = await run(
      type,
      {},
      {
        waitMs: { ...fastRollout, "Bake timer": 60_000 },
        during: async (world) => {
          await openGate(world, "bake");
          eventAt = performance.now();
          await world.bus.putAlarmChange(alarmEvent);
          while (aws?.weights.green !== 0) await new Promise((resolve) => setTimeout(resolve, 1));
          backAt = performance.now();
        },
      },
    );

    // Assess
    expect(result.status).toBe("FAILED");
    expect(result.error).toBe(ErrorNames.AlarmFired);
    expect(record).toMatchObject({ status: "ROLLED_BACK", weights: { old: 100, new: 0 } });
    expect(record?.statusReason).toMatch(
      new RegExp(`^${ErrorNames.AlarmFired}: alarm in ALARM: checkout-5xx: Threshold Crossed`),
    );
    expect(backAt - eventAt).toBeLessThan(1000);
  });

  it.each(types)("%s: pause holds the deployment PAUSED until resume, then it succeeds", async (type) => {
    // Prepare
    let pausedRecord: string | undefined;

    // Act
    const { result, record, deployment } = await run(
      type,
      {},
      {
        waitMs: { ...fastRollout, "Bake timer": 300 },
        during: async (world) => {
          await openGate(world, "bake");
          await decide(world, "pause");
          await openGate(world, "pause");
          pausedRecord = (await world.stores.deployments.get(world.deploymentId))?.status;
          await decide(world, "resume");
        },
      },
    );

    // Assess
    expect(pausedRecord).toBe("PAUSED");
    expect(result.status).toBe("SUCCEEDED");
    expect(record?.status).toBe("SUCCEEDED");
    const actions = (await awsStore(deployment.id)).map(
      (decision) => `${decision.action} by ${decision.actor}`,
    );
    expect(actions).toEqual(expect.arrayContaining(["pause by cli:alice", "resume by cli:alice"]));
  });

  it.each(types)("%s: promote skips the rest of each bake", async (type) => {
    // Act
    const { result, deployment } = await run(
      type,
      {},
      {
        waitMs: { ...fastRollout, "Bake timer": 60_000 },
        during: async (world) => {
          const promoted = new Set<string>();
          while (
            (await world.stores.deployments.get(world.deploymentId))?.status === "IN_PROGRESS" ||
            promoted.size === 0
          ) {
            const gate = await world.stores.gates.getOpen(world.deploymentId);
            if (gate?.kind === "bake" && !promoted.has(gate.gateId)) {
              promoted.add(gate.gateId);
              await decide(world, "promote", "cli:alice", gate.gateId);
            }
            await new Promise((resolve) => setTimeout(resolve, 5));
          }
        },
      },
    );

    // Assess
    expect(result.status).toBe("SUCCEEDED");
    expect((await awsStore(deployment.id)).some((decision) => decision.action === "promote")).toBe(true);
  });

  it.each(types)("%s: abort at a bake rolls back with the aborting human named", async (type) => {
    // Act
    const { result, record } = await run(
      type,
      {},
      {
        waitMs: { ...fastRollout, "Bake timer": 60_000 },
        during: async (world) => {
          await openGate(world, "bake");
          await decide(world, "abort", "slack:U024BE7LH");
        },
      },
    );

    // Assess
    expect(result.error).toBe(ErrorNames.GateRejected);
    expect(record?.status).toBe("ROLLED_BACK");
    expect(record?.statusReason).toMatch(
      new RegExp(`^${ErrorNames.GateRejected}: slack:U024BE7LH aborted the deployment at the bake at \\d+%`),
    );
  });

  const withApproval = Strategy.canary({
    steps: [
      { setWeight: 10 },
      { bake: { seconds: 30 } },
      { approval: { timeoutSeconds: 3600 } },
      { setWeight: 50 },
    ],
  });

  it("canary: a signed Slack click on Approve promotes the deployment to its next step", async () => {
    // Prepare
    const signingSecret = "8f742231b10e8888abcd99yyyzzz85a5";
    const answers: unknown[] = [];
    let weightBeforeClick: number | undefined;

    // Act
    const {
      result,
      record,
      aws: fake,
    } = await run(
      "canary",
      {},
      {
        strategy: withApproval,
        approvers: ["U024BE7LH"],
        waitMs: { ...fastRollout, "Bake timer": 0, "Approval timeout": 60_000 },
        during: async (world) => {
          const gate = await openGate(world, "approval");
          weightBeforeClick = aws?.weights.green;
          const callback = createSlackCallbackHandler({
            signingSecret: async () => signingSecret,
            gates: world.stores.gates,
            deployments: world.stores.deployments,
            bus: world.bus,
            clock: () => new Date(),
            respond: async () => undefined,
          });
          const payload = {
            type: "block_actions",
            user: { id: "U024BE7LH", username: "alice", name: "alice" },
            response_url: "https://hooks.slack.com/actions/T0CAG8H7R/1/abc",
            actions: [
              {
                type: "button",
                action_id: actionIdOf("approve"),
                value: buttonValue(world.deploymentId, gate.gateId),
              },
            ],
          };
          const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
          const headers = signSlackRequest({
            signingSecret,
            timestamp: Math.floor(Date.now() / 1000),
            rawBody: body,
          });
          answers.push(
            await callback({
              headers: { ...headers, "content-type": "application/x-www-form-urlencoded" },
              body,
              isBase64Encoded: false,
              requestContext: { http: { method: "POST" } },
            }),
          );
        },
      },
    );

    // Assess
    expect(answers).toEqual([expect.objectContaining({ statusCode: 200 })]);
    expect(weightBeforeClick).toBe(10);
    expect(fake.weightHistory.map((weights) => weights.green)).toEqual([10, 50, 100]);
    expect(result.status).toBe("SUCCEEDED");
    expect(record?.status).toBe("SUCCEEDED");
    const approvals = (await awsStore(record?.id ?? "")).filter((decision) => decision.action === "approve");
    expect(approvals).toEqual([
      expect.objectContaining({
        actor: "slack:U024BE7LH",
        reason: "slack:U024BE7LH approved the approval at 10%",
      }),
    ]);
  });

  it("canary: an approver approves at the approval gate; others and second clicks are refused", async () => {
    // Prepare
    const answers: unknown[] = [];

    // Act
    const { result, record, notices } = await run(
      "canary",
      {},
      {
        strategy: withApproval,
        approvers: ["alice"],
        waitMs: { ...fastRollout, "Bake timer": 0, "Approval timeout": 60_000 },
        during: async (world) => {
          const gate = await openGate(world, "approval");
          const envelope = (actor: string) =>
            decisionEvent(world.deploymentId, gate.gateId, "approve", actor);
          answers.push(await world.resolveGate(envelope("cli:mallory")));
          answers.push(await world.resolveGate({ ...envelope("cli:alice"), account: "999999999999" }));
          answers.push(await world.resolveGate(envelope("cli:alice")));
          answers.push(await world.resolveGate(envelope("cli:alice")));
        },
      },
    );

    // Assess
    expect(answers).toEqual([
      { outcome: "rejected", reason: "cli:mallory is not an approver of this deployment (approvers: alice)" },
      { outcome: "rejected", reason: "gate decision from account 999999999999, not 111122223333: ignored" },
      {
        outcome: "resolved",
        deploymentId: expect.any(String),
        gateId: "approval-p1-r0-40s",
        action: "approve",
      },
      {
        outcome: "rejected",
        reason: expect.stringMatching(
          /^gate approval-p1-r0-40s was already decided by cli:alice at .* \(approve\)$/,
        ),
      },
    ]);
    expect(result.status).toBe("SUCCEEDED");
    expect(record?.status).toBe("SUCCEEDED");
    expect(
      notices.some(
        (line) =>
          line.startsWith("gate open: checkout") &&
          line.includes("approval at 10% (approve / reject / abort)"),
      ),
    ).toBe(true);
  });

  it.each<[string, HumanAction | "timeout", RegExp]>([
    [
      "a rejection",
      "reject",
      new RegExp(`^${ErrorNames.GateRejected}: cli:alice rejected the approval at 10%`),
    ],
    [
      "a timeout, counted as a rejection",
      "timeout",
      new RegExp(
        `^${ErrorNames.GateRejected}: the approval at 10% timed out with no decision: counted as rejected`,
      ),
    ],
  ])("canary: %s at the approval gate rolls back", async (_case, action, reason) => {
    // Act
    const { result, record } = await run(
      "canary",
      {},
      {
        strategy: withApproval,
        waitMs: { ...fastRollout, "Bake timer": 0, "Approval timeout": action === "timeout" ? 0 : 60_000 },
        during: async (world) => {
          if (action === "timeout") return;
          await openGate(world, "approval");
          await decide(world, action);
        },
      },
    );

    // Assess
    expect(result.error).toBe(ErrorNames.GateRejected);
    expect(record?.status).toBe("ROLLED_BACK");
    expect(record?.statusReason).toMatch(reason);
  });
});

describe("checks: what a failed check does (onFail)", () => {
  const conversion = conversionMetric;
  /** 30% fewer conversions on the new version, over enough checkouts for the test to see it at 10%. */
  const conversionDrop = { requestsPerWindow: 100_000, conversionRates: { blue: 0.5, green: 0.35 } };
  const withChecks = (changes: Partial<DeploymentRequest>) => (request: DeploymentRequest) => ({
    ...request,
    ...changes,
  });
  const statusOf = async (world: World) => (await world.stores.deployments.get(world.deploymentId))?.status;
  /** The status once it is `status`, or the last one seen when the deployment ends first. */
  const untilStatus = async (world: World, status: string) => {
    for (;;) {
      const seen = await statusOf(world);
      if (seen === status || seen === "ROLLED_BACK" || seen === "SUCCEEDED" || seen === "FAILED") return seen;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  /** The checkout-5xx alarm going into ALARM, as CloudWatch's event detail says it. */
  const checkoutAlarm = {
    alarmName: "checkout-5xx",
    state: { value: "ALARM" as const, reason: "Threshold Crossed", timestamp: "2026-12-02T10:00:00.000Z" },
    previousState: {
      value: "OK" as const,
      reason: "Threshold not crossed",
      timestamp: "2026-12-02T09:00:00.000Z",
    },
  };
  /** Every wait passes at once unless a test says otherwise. */
  const fast = { "Wait for rollout": 0, "Bake timer": 0, "Pause timer": 0, "Wait before retiring": 0 };

  it("canary: 30% fewer conversions pause the deployment at 10%, and the pause times out into a rollback", async () => {
    // Prepare
    let paused: string | undefined;

    // Act
    const {
      result,
      record,
      deployment,
      aws: fake,
    } = await run("canary", conversionDrop, {
      request: withChecks({ metrics: [conversion], pause: { timeoutSeconds: 60, onTimeout: "rollback" } }),
      // Long enough for the test to see the pause between its evaluations.
      waitMs: { ...fast, "Pause timer": 300 },
      during: async (world) => {
        paused = await untilStatus(world, "PAUSED");
      },
    });

    // Assess
    expect(paused).toBe("PAUSED");
    expect(result.error).toBe(ErrorNames.PauseTimedOut);
    expect(record?.status).toBe("ROLLED_BACK");
    expect(record?.statusReason).toMatch(
      /^PauseTimedOutError: no decision in the 60s pause since 0s at this weight: the pause timed out into a rollback \(pause\.onTimeout\); conversion of the new version 35% is 30% below the old version's 50%/,
    );
    expect(Math.max(...fake.weightHistory.map((weights) => weights.green))).toBe(10);
    const pause = (await awsStore(deployment.id)).find((decision) => decision.action === "pause");
    expect(pause).toMatchObject({
      actor: "analysis",
      reason: expect.stringMatching(/: paused for a human \(onFail pause\)$/),
      values: {
        businessMetrics: [{ name: "conversion", verdict: "fail", lift: -0.3 }],
        pause: { sinceSeconds: 0, by: "check", timeoutSeconds: 60 },
      },
    });
  });

  it.each(types)(
    "%s: a check that pauses (target health, onFail pause) holds PAUSED, then times out into a rollback",
    async (type) => {
      // Prepare
      let paused: string | undefined;

      // Act
      const { result, record } = await run(
        type,
        { unhealthyAfterShift: 1 },
        {
          request: withChecks({
            targetHealth: { maxUnhealthyShare: 0.2, forSeconds: 0, onFail: "pause" },
            pause: { timeoutSeconds: 30, onTimeout: "rollback" },
          }),
          waitMs: { ...fast, "Wait for batch": 0, "Wait for old version": 0, "Pause timer": 300 },
          during: async (world) => {
            paused = await untilStatus(world, "PAUSED");
          },
        },
      );

      // Assess
      expect(paused).toBe("PAUSED");
      expect(result.error).toBe(ErrorNames.PauseTimedOut);
      expect(record?.status).toBe("ROLLED_BACK");
      expect(record?.statusReason).toMatch(
        /^PauseTimedOutError: .*; 1 of the new version's \d targets are unhealthy \(\d+%, limit 20%\)$/,
      );
    },
  );

  it("canary: an alarm whose onFail is pause pauses at the evaluation that sees it; its event fails no gate", async () => {
    // Prepare
    let answer: unknown;

    // Act
    const { result, record } = await run(
      "canary",
      { alarmAtWeight: 10 },
      {
        request: withChecks({
          pauseAlarms: ["checkout-5xx"],
          pause: { timeoutSeconds: 30, onTimeout: "rollback" },
        }),
        waitMs: { ...fast, "Pause timer": 300 },
        during: async (world) => {
          await untilStatus(world, "PAUSED");
          answer = await world.resolveGate({
            version: "0",
            id: "alarm-event",
            "detail-type": "CloudWatch Alarm State Change",
            source: "aws.cloudwatch",
            account,
            time: new Date().toISOString(),
            region: "eu-west-1",
            resources: [],
            detail: checkoutAlarm,
          });
        },
      },
    );

    // Assess
    expect(answer).toMatchObject({
      outcome: "rejected",
      reason: expect.stringMatching(/^no deployment in progress watches alarm checkout-5xx/),
    });
    expect(result.error).toBe(ErrorNames.PauseTimedOut);
    expect(record?.statusReason).toMatch(/; alarm in ALARM: checkout-5xx \(Threshold Crossed/);
  });

  it("canary: an execution input from before checks existed runs with their defaults", async () => {
    // Act
    const { result } = await run(
      "canary",
      {},
      {
        request: ({
          metrics: _metrics,
          targetHealth: _health,
          pause: _pause,
          pauseAlarms: _alarms,
          ...older
        }) => older,
      },
    );

    // Assess
    expect(result.status).toBe("SUCCEEDED");
  });

  it("canary: an alarm during a pause rolls back at once", async () => {
    // Act
    const { result, record } = await run("canary", conversionDrop, {
      request: withChecks({ metrics: [conversion] }),
      waitMs: { ...fast, "Pause timer": 60_000 },
      during: async (world) => {
        await openGate(world, "pause");
        await world.bus.putAlarmChange(checkoutAlarm);
      },
    });

    // Assess
    expect(result.error).toBe(ErrorNames.AlarmFired);
    expect(record).toMatchObject({ status: "ROLLED_BACK", weights: { old: 100, new: 0 } });
  });

  it("canary: a human resumes a latency pause, which then pauses that phase no more, and the release succeeds", async () => {
    // Act
    const { result, record, states } = await run(
      "canary",
      { newLatencyFactor: 2 },
      {
        waitMs: { ...fast, "Pause timer": 60_000 },
        during: async (world) => {
          await openGate(world, "pause");
          await world.bus.putDecision({
            deploymentId: world.deploymentId,
            action: "resume",
            actor: "cli:alice",
          });
          // The next phase judges afresh: its latency pause is resumed too.
          while ((await statusOf(world)) !== "SUCCEEDED") {
            const gate = await world.stores.gates.getOpen(world.deploymentId);
            if (gate?.kind === "pause")
              await world.bus.putDecision({
                deploymentId: world.deploymentId,
                gateId: gate.gateId,
                action: "resume",
                actor: "cli:alice",
              });
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
        },
      },
    );

    // Assess
    expect(result.status).toBe("SUCCEEDED");
    expect(record?.status).toBe("SUCCEEDED");
    expect(states.filter((state) => state === "Acknowledge pause")).toHaveLength(2);
  });

  it("canary: latency with onFail rollback rolls back at the first evaluation that sees it", async () => {
    // Act
    const { result, record, request } = await run(
      "canary",
      { newLatencyFactor: 2 },
      {
        request: (request) => ({
          ...request,
          analysis: { ...request.analysis, latency: { onFail: "rollback", forSeconds: 0 } },
        }),
      },
    );

    // Assess
    expect(request.analysis.latency.onFail).toBe("pause");
    expect(result.error).toBe(ErrorNames.AnalysisFailed);
    expect(record?.statusReason).toMatch(
      /^AnalysisFailedError: new version's p95 latency 160 ms is 2x the old version's 80 ms \(limit 1\.5x\)$/,
    );
  });

  it("canary: a deployment that ends records what the new version served, read from CloudWatch from its first shift until it ended", async () => {
    // Act
    const { result, deployment, aws: fake } = await run("canary");

    // Assess
    expect(result.status).toBe("SUCCEEDED");
    const decisions = await awsStore(deployment.id);
    const firstLook = decisions.find((decision) => decision.id === "phase-1-at-0s");
    const exposure = decisions.find((decision) => decision.action === "exposure");
    expect(exposure).toMatchObject({
      id: "exposure",
      actor: "record",
      // At 100% the fake answers 1000 requests a window for green, 0.1% of them errors.
      values: { colour: "green", from: firstLook?.at, requests: 1000, errors: 1 },
    });
    // The last GetMetricData reads the target groups from the first shift until the deployment ended.
    const last = fake.cloudwatch.commandCalls(GetMetricDataCommand).at(-1)?.args[0].input;
    expect(last?.StartTime?.toISOString()).toBe(firstLook?.at);
    expect(last?.EndTime?.toISOString()).toBe(exposure?.values.to);
  });

  it("canary: a pause that times out with onTimeout resume goes back IN_PROGRESS and the release succeeds", async () => {
    // Act
    const { result, record, deployment } = await run("canary", conversionDrop, {
      request: withChecks({ metrics: [conversion], pause: { timeoutSeconds: 30, onTimeout: "resume" } }),
    });

    // Assess
    expect(result.status).toBe("SUCCEEDED");
    expect(record?.status).toBe("SUCCEEDED");
    const reasons = (await awsStore(deployment.id)).map((decision) => decision.reason);
    expect(
      reasons.filter((reason) => reason.includes("resuming the plan (pause.onTimeout is resume)")),
    ).toHaveLength(2);
  });

  it("canary: a human promotes past a pause to the next phase", async () => {
    // Act
    const { result, aws: fake } = await run("canary", conversionDrop, {
      request: withChecks({ metrics: [{ ...conversion, onFail: "pause" }] }),
      waitMs: { ...fast, "Pause timer": 60_000 },
      during: async (world) => {
        for (const weight of [10, 50]) {
          const gate = await openGate(world, "pause");
          expect(gate.label).toBe(`pause at ${weight}%`);
          await world.bus.putDecision({
            deploymentId: world.deploymentId,
            gateId: gate.gateId,
            action: "promote",
            actor: "cli:alice",
          });
        }
      },
    });

    // Assess
    expect(result.status).toBe("SUCCEEDED");
    expect(fake.weightHistory.map((weights) => weights.green)).toEqual([10, 50, 100]);
  });

  it("canary: a quarter of the new targets unhealthy for 20s rolls back (maxUnhealthyShare 0.2)", async () => {
    // Act
    const { result, record, deployment } = await run(
      "canary",
      { unhealthyAfterShift: 1 },
      {
        request: withChecks({ targetHealth: { maxUnhealthyShare: 0.2, forSeconds: 20, onFail: "rollback" } }),
      },
    );

    // Assess
    expect(result.error).toBe(ErrorNames.AnalysisFailed);
    expect(record?.statusReason).toMatch(
      /^AnalysisFailedError: 1 of the new version's 4 targets are unhealthy \(25%, limit 20%\)$/,
    );
    const decisions = await awsStore(deployment.id);
    expect(
      decisions
        .filter((decision) => decision.actor === "analysis")
        .map((decision) => [decision.action, decision.id]),
    ).toEqual([
      ["continue", "phase-1-at-0s"],
      ["continue", "phase-1-at-10s"],
      ["rollback", "phase-1-at-20s"],
    ]);
  });
});

describe("the watch window after 100% (watchSeconds)", () => {
  const watched = { watchSeconds: 600 };
  const timers = { "Wait for rollout": 0, "Wait before retiring": 0, "Bake timer": 60_000 };

  /** The open bake gate of the watch window: the plan's last phase, after the one that reached 100%. */
  async function watchGate(world: World, request: () => DeploymentRequest | undefined) {
    for (;;) {
      const gate = await world.stores.gates.getOpen(world.deploymentId);
      const last = request()?.plan.phaseCount;
      if (gate?.kind === "bake" && gate.gateId.startsWith(`bake-p${last}-`)) return gate;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  it("canary: an alarm in the window flips traffic back at the evaluation that sees it, with no redeploy and the old version never scaled down", async () => {
    // Prepare
    let request: DeploymentRequest | undefined;
    let ecsCallsAtWindow = 0;
    let weightsAtWindow: Record<string, number> | undefined;

    // Act
    const {
      result,
      record,
      deployment,
      aws: fake,
    } = await run(
      "canary",
      {},
      {
        environment: watched,
        request: (built) => {
          request = built;
          return built;
        },
        waitMs: { ...timers, "Bake timer": 20 },
        during: async (world) => {
          await watchGate(world, () => request);
          const installed = aws as FakeAws;
          weightsAtWindow = { ...installed.weights };
          ecsCallsAtWindow = installed.ecs.calls().length;
          installed.alarmFiring = true;
        },
      },
    );

    // Assess
    expect(request?.plan.phases.at(-1)).toEqual({ weight: 100, bakeSeconds: 600, gates: ["watch"] });
    expect(weightsAtWindow).toEqual({ blue: 0, green: 100 });
    expect(result.error).toBe(ErrorNames.AlarmFired);
    expect(record).toMatchObject({ status: "ROLLED_BACK", weights: { old: 100, new: 0 } });
    expect(record?.statusReason).toMatch(
      /^AlarmFiredError: in the watch window at 100%: alarm in ALARM: checkout-5xx/,
    );
    expect(fake.weights).toEqual({ blue: 100, green: 0 });
    // After the window opened: no new task definition, only the new version scaled to 0.
    const later = fake.ecs.calls().slice(ecsCallsAtWindow);
    expect(later.filter((call) => call.args[0] instanceof RegisterTaskDefinitionCommand)).toEqual([]);
    const updates = fake.ecs.commandCalls(UpdateServiceCommand).map((call) => call.args[0].input);
    expect(updates.filter((input) => input.service === "checkout-blue")).toEqual([]);
    expect(updates.at(-1)).toMatchObject({ service: "checkout-green", desiredCount: 0 });
    expect(fake.services.blue.desiredCount).toBe(4);
    // The first evaluation of the window that saw the alarm is the rollback.
    const windowDecisions = (await awsStore(deployment.id)).filter(
      (decision) => decision.actor !== "state-machine" && decision.id.startsWith("phase-4-"),
    );
    expect(windowDecisions.map((decision) => decision.action)).toEqual(["continue", "rollback"]);
    expect(windowDecisions[1]?.values).toMatchObject({ phase: { weight: 100, gates: ["watch"] } });
  });

  it("canary: promote in the window ends it at once: the deployment succeeds and retires the old version", async () => {
    // Prepare
    let request: DeploymentRequest | undefined;

    // Act
    const {
      result,
      record,
      deployment,
      aws: fake,
    } = await run(
      "canary",
      {},
      {
        // No bakes before 100%: only the window waits (a minute per interval, unless promoted).
        strategy: Strategy.canary({ steps: [{ setWeight: 50 }] }),
        environment: watched,
        request: (built) => {
          request = built;
          return built;
        },
        waitMs: timers,
        during: async (world) => {
          const gate = await watchGate(world, () => request);
          await world.bus.putDecision({
            deploymentId: world.deploymentId,
            action: "promote",
            actor: "cli:alice",
            gateId: gate.gateId,
          });
        },
      },
    );

    // Assess
    expect(result.status).toBe("SUCCEEDED");
    expect(record?.status).toBe("SUCCEEDED");
    expect(fake.services.blue.desiredCount).toBe(0);
    const promote = (await awsStore(deployment.id)).find((decision) => decision.action === "promote");
    expect(promote?.actor).toBe("cli:alice");
  });

  it("a rolling environment with a watch window is refused: nothing is left at full size to flip back to", () => {
    // Act
    const attempt = () => configWith(strategies.rolling, undefined, undefined, watched);

    // Assess
    expect(attempt).toThrow(
      /environments\[0\]\.watchSeconds: a rolling deployment has replaced the old version/,
    );
  });
});

describe("cost of a good deployment", () => {
  const realistic: Record<ServiceStrategy, StrategyInput> = {
    "all-at-once": Presets.ECSAllAtOnce,
    rolling: Strategy.rolling({ batch: { percent: 25 }, bakeSeconds: 60 }),
    "blue-green": Strategy.blueGreen({}),
    canary: Presets.ECSCanary10Percent5Minutes,
    linear: Presets.ECSLinear10PercentEvery1Minutes,
  };
  const rows: string[] = [];

  afterAll(() => {
    console.log(
      `State transitions of a good deployment (analysis every 30 s), at $0.025 per 1,000:\n  ${rows.join("\n  ")}`,
    );
  });

  it.each(types)("%s stays far below Step Functions' 25,000-event history", async (type) => {
    // Act
    aws = new FakeAws();
    const { result, states } = await deploy({
      machines,
      table,
      strategy: realistic[type],
      analysis: { intervalSeconds: 30, minRequests: 50 },
    });

    // Assess
    expect(result.status).toBe("SUCCEEDED");
    rows.push(
      `${type.padEnd(12)} ${String(states.length).padStart(4)} transitions  $${((states.length * 0.025) / 1000).toFixed(5)}`,
    );
    expect(result.events.length).toBeLessThan(2_500);
  });
});

describe("state coverage", () => {
  it("every state of every ECS strategy state machine was entered by a test above", () => {
    for (const type of types) {
      const machine = machines.get(type);
      if (machine === undefined) throw new Error(`no ${type} state machine`);
      const seen = entered.get(type) ?? new Set<string>();
      expect({ type, missed: Object.keys(machine.states).filter((name) => !seen.has(name)) }).toEqual({
        type,
        missed: [],
      });
    }
  });
});

async function awsStore(deploymentId: string) {
  const { dynamoDbStores } = await import("../../functions/adapters/aws/dynamodb-stores.ts");
  return dynamoDbStores({ client: table.client, tableName: table.tableName }).decisions.list(deploymentId);
}
