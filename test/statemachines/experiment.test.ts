import {
  CreateRuleCommand,
  type CreateRuleCommandInput,
  ModifyListenerCommand,
  type ModifyListenerCommandInput,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { describe, expect, it } from "vitest";
import type { ExperimentVerdict } from "../../functions/domain/analysis/experiment.ts";
import type { StrategyInput } from "../../functions/domain/config/index.ts";
import type { Decision } from "../../functions/domain/deployment.ts";
import { ErrorNames } from "../../functions/domain/errors.ts";
import { appConfigIds, FakeAppConfig, flagKey } from "../helpers/fake-appconfig.ts";
import { FakeAws, type FakeAwsOptions, listenerArn, targetGroups } from "../helpers/fake-aws.ts";
import { deploy, openGate, useFakes, useStrategyMachines, type World } from "./harness.ts";
import "../helpers/sdk-mock.ts";

const strategy = (options: { autoPromote?: boolean } = {}): StrategyInput => ({
  type: "experiment",
  flag: flagKey,
  metrics: { namespace: "Shop/Checkout", dimensions: { Service: "checkout" } },
  split: 50,
  durationSeconds: 60,
  decideOn: "conversion",
  ...options,
});

const conversion = {
  name: "conversion",
  namespace: "Shop/Checkout",
  numerator: "checkout_completed",
  denominator: "checkout_started",
  dimensions: { Service: "checkout" },
};

const target = { type: "appconfig", ...appConfigIds } as const;

const entered = new Set<string>();
const suite = useStrategyMachines();
const track = useFakes();

/**
 * Runs the experiment machine on a flag in the fake AppConfig, 10,000 checkouts per metrics window split by
 * the flag's share, converting at `conversionRates` (blue is the control, green the treatment).
 */
async function run(props: {
  conversionRates: FakeAwsOptions["conversionRates"];
  aws?: FakeAwsOptions;
  autoPromote?: boolean;
  waitMs?: Readonly<Record<string, number>>;
  during?: (world: World) => Promise<void>;
}) {
  const fakeAws = track(
    new FakeAws({ requestsPerWindow: 10_000, conversionRates: props.conversionRates, ...props.aws }),
  );
  const appConfig = track(new FakeAppConfig({ onLive: (percent) => fakeAws.setNewWeight(percent) }));
  let decisions: () => Promise<readonly Decision[]> = async () => [];
  const result = await deploy({
    machines: suite.machines,
    table: suite.table,
    strategy: strategy(props.autoPromote === undefined ? {} : { autoPromote: props.autoPromote }),
    target,
    environment: { metrics: [conversion] },
    analysis: { intervalSeconds: 10, minRequests: 50 },
    ...(props.waitMs === undefined ? {} : { waitMs: props.waitMs }),
    during: async (world) => {
      decisions = () => world.stores.decisions.list(world.deploymentId);
      await props.during?.(world);
    },
  });
  for (const state of result.states) entered.add(state);
  const logged = await decisions();
  const verdict = logged.find((decision) => decision.action === "verdict");
  return {
    ...result,
    appConfig,
    verdict: verdict as (Decision & { values: { verdict: ExperimentVerdict } }) | undefined,
  };
}

const better = { blue: 0.5, green: 0.65 } as const;

describe("the experiment state machine, on AppConfig, executed from the synthesized template", () => {
  it("judges a treatment that converts 30% better the winner, waits for an approval, and goes to 100%", async () => {
    // Act
    const { result, record, states, notices, appConfig, verdict } = await run({
      conversionRates: better,
      // Every Wait passes at once but the approval's timeout, which would reject the approval.
      waitMs: {
        "Wait for traffic shift": 0,
        "Bake timer": 0,
        "Pause timer": 0,
        "Approval timeout": 60_000,
      },
      during: async (world) => {
        const gate = await openGate(world, "approval");
        await world.bus.putDecision({
          deploymentId: world.deploymentId,
          gateId: gate.gateId,
          action: "approve",
          actor: "cli:alice",
        });
      },
    });

    // Assess
    expect(result.status).toBe("SUCCEEDED");
    expect(record?.status).toBe("SUCCEEDED");
    expect(appConfig.createdSplits()).toEqual([50, 100]);
    expect(verdict?.values.verdict).toMatchObject({
      winner: "treatment",
      metric: "conversion",
      control: { numerator: 2500, denominator: 5000, rate: 0.5 },
      treatment: { numerator: 3250, denominator: 5000, rate: 0.65 },
    });
    expect(verdict?.reason).toMatch(
      /^treatment wins: .*; waiting for an approval to promote the treatment to 100%$/,
    );
    expect(notices).toContainEqual(
      expect.stringMatching(/^experiment judged: checkout .* in production: treatment wins: /),
    );
    // The planned duration is baked in full before the verdict: six evaluations 10 s apart.
    expect(states.filter((state) => state === "Evaluate alarms").length).toBeGreaterThanOrEqual(7);
    expect(states.indexOf("Judge experiment")).toBeLessThan(states.indexOf("Wait for approval"));
  });

  it("with autoPromote, promotes the winning treatment without an approval", async () => {
    // Act
    const { result, states, appConfig } = await run({ conversionRates: better, autoPromote: true });

    // Assess
    expect(result.status).toBe("SUCCEEDED");
    expect(appConfig.createdSplits()).toEqual([50, 100]);
    expect(states).toContain("Judge experiment");
    expect(states).not.toContain("Wait for approval");
  });

  it("finds no difference between arms that convert alike, puts the flag back off and ends ROLLED_BACK", async () => {
    // Act
    const { result, record, appConfig, verdict, notices } = await run({
      conversionRates: { blue: 0.5, green: 0.5 },
    });

    // Assess
    expect(result.status).toBe("FAILED");
    expect(result.error).toBe(ErrorNames.ExperimentNotWon);
    expect(record?.status).toBe("ROLLED_BACK");
    expect(record?.statusReason).toMatch(/^ExperimentNotWonError: no difference: conversion 50\.0% /);
    expect(appConfig.createdSplits()).toEqual([50, 0]);
    expect(verdict?.values.verdict.winner).toBe("none");
    expect(verdict?.reason).toMatch(/the split goes back and the promotion stops$/);
    expect(notices.filter((line) => line.startsWith("experiment judged:"))).toHaveLength(1);
  });

  it("rolls back at once on an alarm during the experiment, with no verdict", async () => {
    // Act
    const { result, record, states, appConfig, verdict } = await run({
      conversionRates: better,
      aws: { alarmAtWeight: 50 },
    });

    // Assess
    expect(result.error).toBe(ErrorNames.AlarmFired);
    expect(record?.status).toBe("ROLLED_BACK");
    expect(appConfig.createdSplits()).toEqual([50, 0]);
    expect(states).not.toContain("Judge experiment");
    expect(verdict).toBeUndefined();
  });
});

const cohort = { priority: 10, header: { name: "X-Glidepath-Arm", values: ["treatment"] } };

/**
 * Runs the experiment machine on the fake account's ECS service: the arms are its blue (live, the control)
 * and green (idle, the treatment) target groups behind the ALB, with a cohort routed by header.
 */
async function runOnTargetGroups(props: { conversionRates: FakeAwsOptions["conversionRates"] }) {
  const fakeAws = track(new FakeAws({ requestsPerWindow: 10_000, conversionRates: props.conversionRates }));
  let decisions: () => Promise<readonly Decision[]> = async () => [];
  const result = await deploy({
    machines: suite.machines,
    table: suite.table,
    strategy: {
      type: "experiment",
      split: 50,
      durationSeconds: 60,
      decideOn: "conversion",
      cohort,
      autoPromote: true,
    },
    environment: { metrics: [conversion] },
    analysis: { intervalSeconds: 10, minRequests: 50 },
    during: async (world) => {
      decisions = () => world.stores.decisions.list(world.deploymentId);
    },
  });
  for (const state of result.states) entered.add(state);
  const verdict = (await decisions()).find((decision) => decision.action === "verdict");
  const sent = fakeAws.elb.calls().map((call) => call.args[0]);
  const writes = (command: { name: string }) =>
    sent.filter((input) => input.constructor.name === command.name).map((input) => input.input);
  return {
    ...result,
    aws: fakeAws,
    verdict: verdict as (Decision & { values: { verdict: ExperimentVerdict } }) | undefined,
    /** The ELB commands sent, by name, in order. */
    order: sent.map((input) => input.constructor.name),
    listenerWrites: writes(ModifyListenerCommand) as ModifyListenerCommandInput[],
    ruleCreates: writes(CreateRuleCommand) as CreateRuleCommandInput[],
  };
}

describe("the experiment state machine, on an ECS service's target groups, executed from the synthesized template", () => {
  it("deploys the treatment on the idle colour, keeps clients on their arm and routes the cohort to it during the split, then promotes it and retires the control", async () => {
    // Act
    const { result, record, states, aws, verdict, order, listenerWrites, ruleCreates, deployment } =
      await runOnTargetGroups({ conversionRates: better });

    // Assess: the treatment ran, stable, before any traffic moved, and the control was retired after
    expect(result.status).toBe("SUCCEEDED");
    expect(record?.status).toBe("SUCCEEDED");
    expect(verdict?.values.verdict.winner).toBe("treatment");
    expect(aws.imageOf("green")).toBe(deployment.artifact.uri);
    expect(aws.services.green.desiredCount).toBe(4);
    expect(aws.services.blue.desiredCount).toBe(0);
    expect(states.indexOf("Rollout stable?")).toBeLessThan(states.indexOf("Shift traffic"));
    expect(states).toContain("Retire old version");
    // The split is sticky for the planned duration; at 100% the forward names the treatment alone
    expect(aws.weightHistory).toEqual([
      { blue: 50, green: 50 },
      { blue: 0, green: 100 },
    ]);
    expect(listenerWrites.map((input) => input.DefaultActions?.[0]?.ForwardConfig)).toEqual([
      {
        TargetGroups: [
          { TargetGroupArn: targetGroups.blue, Weight: 50 },
          { TargetGroupArn: targetGroups.green, Weight: 50 },
        ],
        TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 60 },
      },
      { TargetGroups: [{ TargetGroupArn: targetGroups.green, Weight: 100 }] },
    ]);
    // The cohort rule forwarded the header to the treatment while the arms split, and went before 100%
    expect(ruleCreates).toEqual([
      {
        ListenerArn: listenerArn,
        Priority: 10,
        Conditions: [
          {
            Field: "http-header",
            HttpHeaderConfig: { HttpHeaderName: "X-Glidepath-Arm", Values: ["treatment"] },
          },
        ],
        Actions: [{ Type: "forward", TargetGroupArn: targetGroups.green }],
        Tags: [{ Key: "glidepath:cohort", Value: deployment.id }],
      },
    ]);
    expect(aws.rules).toEqual([]);
    expect(order.indexOf("CreateRuleCommand")).toBeGreaterThan(order.indexOf("ModifyListenerCommand"));
    expect(order.indexOf("DeleteRuleCommand")).toBeLessThan(order.lastIndexOf("ModifyListenerCommand"));
  });

  it("finds no difference between arms that convert alike, deletes the cohort rule, puts all traffic back on the control and scales the treatment down", async () => {
    // Act
    const { result, record, states, aws, verdict, order } = await runOnTargetGroups({
      conversionRates: { blue: 0.5, green: 0.5 },
    });

    // Assess
    expect(result.error).toBe(ErrorNames.ExperimentNotWon);
    expect(record?.status).toBe("ROLLED_BACK");
    expect(verdict?.values.verdict.winner).toBe("none");
    expect(aws.weightHistory).toEqual([
      { blue: 50, green: 50 },
      { blue: 100, green: 0 },
    ]);
    expect(aws.forwardsTo).toEqual(["blue"]);
    expect(aws.stickiness).toEqual({ Enabled: false });
    expect(aws.rules).toEqual([]);
    expect(order.filter((name) => name === "DeleteRuleCommand")).toHaveLength(1);
    expect(order.indexOf("DeleteRuleCommand")).toBeLessThan(order.lastIndexOf("ModifyListenerCommand"));
    expect(aws.services.green.desiredCount).toBe(0);
    expect(aws.services.blue.desiredCount).toBe(4);
    expect(states).toContain("Scale down new version");
    expect(states).not.toContain("Retire old version");
  });
});

describe("state coverage", () => {
  it("every state only the experiment machine has was entered by a test above", () => {
    // Prepare: the flag's states are covered by feature-flag.test.ts
    const others = new Set(
      [...suite.machines]
        .filter(([type]) => type !== "experiment")
        .flatMap(([, machine]) => Object.keys(machine.states)),
    );
    const own = Object.keys(suite.machines.get("experiment")?.states ?? {}).filter(
      (name) => !others.has(name),
    );

    // Assess
    expect(own.sort()).toEqual([
      "Experiment phase?",
      "Judge experiment",
      "New version to roll out?",
      "New version to scale down?",
      "Old version to retire?",
      "Prepare arms",
    ]);
    expect(own.filter((name) => !entered.has(name))).toEqual([]);
  });
});
