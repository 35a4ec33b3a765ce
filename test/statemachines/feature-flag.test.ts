import {
  CreateHostedConfigurationVersionCommand,
  GetHostedConfigurationVersionCommand,
  StartDeploymentCommand,
} from "@aws-sdk/client-appconfig";
import { GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { UpdateServiceCommand } from "@aws-sdk/client-ecs";
import { ModifyListenerCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { describe, expect, it } from "vitest";
import type { StrategyInput } from "../../functions/domain/config/index.ts";
import { ErrorNames } from "../../functions/domain/errors.ts";
import {
  appConfigIds,
  FakeAppConfig,
  type FakeAppConfigOptions,
  flagKey,
} from "../helpers/fake-appconfig.ts";
import { FakeAws, type FakeAwsOptions } from "../helpers/fake-aws.ts";
import { deploy, useFakes, useStrategyMachines } from "./harness.ts";
import "../helpers/sdk-mock.ts";

const strategy = (rollbackTo: "off" | "previous" = "off"): StrategyInput => ({
  type: "feature-flag",
  flag: flagKey,
  rollbackTo,
  metrics: { namespace: "Shop/Checkout", dimensions: { Service: "checkout" } },
  steps: [{ setWeight: 10 }, { bake: { seconds: 30 } }, { setWeight: 50 }, { bake: { seconds: 30 } }],
});

const target = { type: "appconfig", ...appConfigIds } as const;

const entered = new Set<string>();
const suite = useStrategyMachines();
const track = useFakes();

/** Runs the feature-flag machine on a flag in the fake AppConfig, its metrics in the fake CloudWatch. */
async function run(
  options: { aws?: FakeAwsOptions; appConfig?: FakeAppConfigOptions; rollbackTo?: "off" | "previous" } = {},
) {
  const fakeAws = track(new FakeAws(options.aws));
  const appConfig = track(
    new FakeAppConfig({ ...options.appConfig, onLive: (percent) => fakeAws.setNewWeight(percent) }),
  );
  const result = await deploy({
    machines: suite.machines,
    table: suite.table,
    strategy: strategy(options.rollbackTo),
    target,
  });
  for (const state of result.states) entered.add(state);
  return { ...result, aws: fakeAws, appConfig };
}

describe("the feature-flag state machine, on AppConfig, executed from the synthesized template", () => {
  it("rolls the flag out through each setWeight as an AppConfig deployment it waits for, and SUCCEEDS", async () => {
    // Act
    const { result, record, states, appConfig } = await run();

    // Assess
    expect(result.status).toBe("SUCCEEDED");
    expect(record?.status).toBe("SUCCEEDED");
    expect(appConfig.createdSplits()).toEqual([10, 50, 100]);
    expect(appConfig.client).toHaveReceivedCommandWith(CreateHostedConfigurationVersionCommand, {
      ApplicationId: appConfigIds.application,
      ConfigurationProfileId: appConfigIds.configurationProfile,
      ContentType: "application/json",
      Description: `glidepath ${record?.id}: ${flagKey} at 10%`,
    });
    expect(appConfig.client).toHaveReceivedCommandWith(StartDeploymentCommand, {
      ApplicationId: appConfigIds.application,
      EnvironmentId: appConfigIds.environment,
      DeploymentStrategyId: appConfigIds.deploymentStrategy,
      ConfigurationProfileId: appConfigIds.configurationProfile,
      ConfigurationVersion: "2",
      Description: `glidepath ${record?.id}: ${flagKey} at 10%`,
    });
    expect(appConfig.client).toHaveReceivedCommandTimes(StartDeploymentCommand, 3);
    // Per shift: one wait after starting the deployment, one after the look that still found it DEPLOYING.
    expect(states.filter((state) => state === "Wait for traffic shift")).toHaveLength(6);
    expect(states).not.toContain("Wait for rollout");
    expect(states).not.toContain("Retire old version");
  });

  it("keeps every other flag of the profile as it was live, and writes AppConfig's variant shape", async () => {
    // Act
    const { appConfig } = await run();

    // Assess
    const [first] = appConfig.client.commandCalls(CreateHostedConfigurationVersionCommand);
    const document = JSON.parse(new TextDecoder().decode(first?.args[0].input.Content as Uint8Array));
    expect(document).toEqual({
      version: "1",
      flags: { "dark-mode": { name: "dark-mode" }, [flagKey]: { name: flagKey } },
      values: {
        "dark-mode": { enabled: true },
        [flagKey]: {
          _variants: [
            { name: "treatment", enabled: true, rule: "(split by::$userId pct::10)" },
            { name: "control", enabled: false },
          ],
        },
      },
    });
  });

  it("judges the arms on the application's per-variant metrics, not a load balancer's", async () => {
    // Act
    const { aws } = await run();

    // Assess
    expect(aws.cloudwatch).toHaveReceivedCommandWith(GetMetricDataCommand, {
      MetricDataQueries: expect.arrayContaining([
        expect.objectContaining({
          Id: "green_requests",
          MetricStat: expect.objectContaining({
            Metric: {
              Namespace: "Shop/Checkout",
              MetricName: "Requests",
              Dimensions: [
                { Name: "Service", Value: "checkout" },
                { Name: "Variant", Value: "treatment" },
              ],
            },
            Stat: "Sum",
          }),
        }),
      ]),
    });
    expect(aws.elb).toHaveReceivedCommandTimes(ModifyListenerCommand, 0);
    expect(aws.ecs).toHaveReceivedCommandTimes(UpdateServiceCommand, 0);
  });

  it("rolls an alarm at 50% back by deploying the flag off, waits for that deployment, and ends ROLLED_BACK", async () => {
    // Act
    const { result, record, states, appConfig } = await run({ aws: { alarmAtWeight: 50 } });

    // Assess
    expect(result.status).toBe("FAILED");
    expect(result.error).toBe(ErrorNames.AlarmFired);
    expect(record?.status).toBe("ROLLED_BACK");
    expect(appConfig.createdSplits()).toEqual([10, 50, 0]);
    expect(appConfig.percentOf(appConfig.deployments[0]?.ConfigurationVersion ?? "")).toBe(0);
    expect(appConfig.deployments[0]?.State).toBe("COMPLETE");
    expect(states).toContain("Wait for traffic back");
    expect(states).not.toContain("Scale down new version");
  });

  it("with rollbackTo previous, redeploys the version that was live before, as it was", async () => {
    // Act
    const { record, appConfig } = await run({ aws: { alarmAtWeight: 50 }, rollbackTo: "previous" });

    // Assess
    expect(record?.status).toBe("ROLLED_BACK");
    expect(appConfig.createdSplits()).toEqual([10, 50]);
    expect(appConfig.client).toHaveReceivedLastCommandWith(StartDeploymentCommand, {
      ConfigurationVersion: "1",
      Description: `glidepath ${record?.id}: ${flagKey} at 0%`,
    });
  });

  it("fails the shift when AppConfig rolls its deployment back, and still puts the flag off", async () => {
    // Act
    const { result, record, appConfig } = await run({ appConfig: { rollsBackAt: 50 } });

    // Assess
    expect(result.error).toBe(ErrorNames.ShiftFailed);
    expect(record?.status).toBe("ROLLED_BACK");
    expect(record?.statusReason).toContain("ended ROLLED_BACK");
    expect(appConfig.createdSplits()).toEqual([10, 50, 0]);
    expect(appConfig.deployments[0]?.State).toBe("COMPLETE");
  });

  it("reads the deployed version back before it moves on", async () => {
    // Act
    const { appConfig } = await run();

    // Assess
    expect(appConfig.client).toHaveReceivedCommandWith(GetHostedConfigurationVersionCommand, {
      ApplicationId: appConfigIds.application,
      ConfigurationProfileId: appConfigIds.configurationProfile,
      VersionNumber: 4,
    });
  });
});

describe("state coverage", () => {
  it("every state only the feature-flag machine has was entered by a test above", () => {
    // Prepare: the states of the ECS strategies are covered by strategies.test.ts, the experiment's own by
    // experiment.test.ts
    const others = new Set(
      [...suite.machines]
        .filter(([type]) => type !== "feature-flag" && type !== "experiment")
        .flatMap(([, machine]) => Object.keys(machine.states)),
    );
    const own = Object.keys(suite.machines.get("feature-flag")?.states ?? {}).filter(
      (name) => !others.has(name),
    );

    // Assess
    expect(own.sort()).toEqual(
      [
        "Read flag",
        "Traffic back?",
        "Traffic shifted?",
        "Wait for traffic back",
        "Wait for traffic shift",
      ].sort(),
    );
    expect(own.filter((name) => !entered.has(name))).toEqual([]);
  });
});
