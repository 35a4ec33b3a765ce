import {
  AppConfigClient,
  AppConfigServiceException,
  CreateHostedConfigurationVersionCommand,
  GetDeploymentCommand,
  GetHostedConfigurationVersionCommand,
  ListDeploymentsCommand,
  StartDeploymentCommand,
} from "@aws-sdk/client-appconfig";
import { afterEach, describe, expect, it } from "vitest";
import { AppConfigFlagRouter } from "../../functions/adapters/aws/appconfig-flag-router.ts";
import { ErrorNames } from "../../functions/domain/errors.ts";
import { appConfigIds, FakeAppConfig, flagKey, initialDocument } from "../helpers/fake-appconfig.ts";
import { serviceError } from "../helpers/sdk-mock.ts";

const deploymentId = "d-0123456789abcdef0123";
let fake: FakeAppConfig | undefined;

afterEach(() => {
  fake?.restore();
  fake = undefined;
});

function router(options: { rollbackTo?: "off" | "previous"; clock?: () => number } = {}) {
  return new AppConfigFlagRouter({
    client: new AppConfigClient({ region: "eu-west-1" }),
    store: { type: "appconfig", ...appConfigIds },
    rollout: { flag: flagKey, splitKey: "userId", rollbackTo: options.rollbackTo ?? "off" },
    deploymentId,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
}

const weights = (green: number) => ({ blue: 100 - green, green });

describe("AppConfigFlagRouter", () => {
  it("starts a shift with a hosted version of the live document holding the split, deployed with the target's strategy", async () => {
    // Prepare
    fake = new FakeAppConfig();

    // Act
    const result = await router().setWeights(weights(10));

    // Assess
    expect(result).toEqual({ changed: true, weights: weights(10), settled: false });
    expect(fake.client).toHaveReceivedCommandWith(ListDeploymentsCommand, {
      ApplicationId: appConfigIds.application,
      EnvironmentId: appConfigIds.environment,
      MaxResults: 50,
    });
    expect(fake.client).toHaveReceivedCommandWith(GetHostedConfigurationVersionCommand, {
      ApplicationId: appConfigIds.application,
      ConfigurationProfileId: appConfigIds.configurationProfile,
      VersionNumber: 1,
    });
    const [create] = fake.client.commandCalls(CreateHostedConfigurationVersionCommand);
    expect({
      ...create?.args[0].input,
      Content: JSON.parse(new TextDecoder().decode(create?.args[0].input.Content as Uint8Array)),
    }).toEqual({
      ApplicationId: appConfigIds.application,
      ConfigurationProfileId: appConfigIds.configurationProfile,
      ContentType: "application/json",
      Description: `glidepath ${deploymentId}: ${flagKey} at 10%`,
      Content: {
        ...initialDocument,
        values: {
          ...initialDocument.values,
          [flagKey]: {
            _variants: [
              { name: "treatment", enabled: true, rule: "(split by::$userId pct::10)" },
              { name: "control", enabled: false },
            ],
          },
        },
      },
    });
    expect(fake.client).toHaveReceivedCommandWith(StartDeploymentCommand, {
      ApplicationId: appConfigIds.application,
      EnvironmentId: appConfigIds.environment,
      DeploymentStrategyId: appConfigIds.deploymentStrategy,
      ConfigurationProfileId: appConfigIds.configurationProfile,
      ConfigurationVersion: "2",
      Description: `glidepath ${deploymentId}: ${flagKey} at 10%`,
    });
  });

  it("looks again without starting anything while its deployment runs, then settles once it is read back", async () => {
    // Prepare
    fake = new FakeAppConfig({ looksToComplete: 1 });
    const flag = router();
    await flag.setWeights(weights(10));

    // Act
    const running = await flag.setWeights(weights(10));
    const done = await flag.setWeights(weights(10));

    // Assess
    expect(running).toEqual({ changed: true, weights: weights(10), settled: false });
    expect(done).toEqual({ changed: true, weights: weights(10), settled: true });
    expect(fake.client).toHaveReceivedCommandTimes(StartDeploymentCommand, 1);
    expect(fake.client).toHaveReceivedCommandTimes(CreateHostedConfigurationVersionCommand, 1);
    expect(fake.client).toHaveReceivedCommandWith(GetDeploymentCommand, {
      ApplicationId: appConfigIds.application,
      EnvironmentId: appConfigIds.environment,
      DeploymentNumber: 2,
    });
    expect(fake.client).toHaveReceivedLastCommandWith(GetHostedConfigurationVersionCommand, {
      VersionNumber: 2,
    });
  });

  it("reads the split this deployment made live, and all on control before it made any", async () => {
    // Prepare
    fake = new FakeAppConfig({ looksToComplete: 0 });
    const flag = router();

    // Act
    const before = await flag.readWeights();
    await flag.setWeights(weights(25));
    await flag.setWeights(weights(25));
    const after = await flag.readWeights();

    // Assess
    expect({ before, after }).toEqual({ before: weights(0), after: weights(25) });
  });

  it("waits for somebody else's deployment in progress instead of starting a second one", async () => {
    // Prepare
    fake = new FakeAppConfig();
    fake.deployments.unshift({
      DeploymentNumber: 2,
      ConfigurationProfileId: appConfigIds.configurationProfile,
      ConfigurationVersion: "1",
      Description: "by hand",
      StartedAt: new Date(),
      State: "DEPLOYING",
      looks: -100,
    });

    // Act
    const result = await router().setWeights(weights(10));

    // Assess
    expect(result).toEqual({ changed: false, weights: weights(10), settled: false });
    expect(fake.client).toHaveReceivedCommandTimes(StartDeploymentCommand, 0);
  });

  it("treats AppConfig's ConflictException on StartDeployment as a deployment to wait for", async () => {
    // Prepare
    fake = new FakeAppConfig();
    fake.client
      .on(StartDeploymentCommand)
      .rejects(serviceError(AppConfigServiceException, "ConflictException", 409, "Deployment in progress"));

    // Act
    const result = await router().setWeights(weights(10));

    // Assess
    expect(result.settled).toBe(false);
  });

  it("fails the shift with ShiftFailedError when its deployment never completes within ten minutes", async () => {
    // Prepare
    fake = new FakeAppConfig({ looksToComplete: 1_000 });
    const started = Date.now();
    await router().setWeights(weights(10));

    // Act
    const act = router({ clock: () => started + 11 * 60_000 }).setWeights(weights(10));

    // Assess
    await expect(act).rejects.toMatchObject({
      name: ErrorNames.ShiftFailed,
      message: expect.stringContaining("still DEPLOYING after 11 minutes"),
    });
  });

  it("refuses a profile whose live version is not a feature-flag document, naming what to check", async () => {
    // Prepare
    fake = new FakeAppConfig();
    fake.versions.set(1, "port: 8080\n");

    // Act
    const act = router().setWeights(weights(10));

    // Assess
    await expect(act).rejects.toMatchObject({
      name: ErrorNames.ShiftFailed,
      message: expect.stringContaining("is the profile of type AWS.AppConfig.FeatureFlags?"),
    });
    expect(fake.client).toHaveReceivedCommandTimes(StartDeploymentCommand, 0);
  });

  it("rolls back to the previous version by deploying it again, with no new hosted version", async () => {
    // Prepare
    fake = new FakeAppConfig({ looksToComplete: 0 });
    const flag = router({ rollbackTo: "previous" });
    await flag.setWeights(weights(10));
    await flag.setWeights(weights(10));

    // Act
    const started = await flag.setWeights(weights(0));
    const settled = await flag.setWeights(weights(0));

    // Assess
    expect([started.settled, settled.settled]).toEqual([false, true]);
    expect(fake.client).toHaveReceivedCommandTimes(CreateHostedConfigurationVersionCommand, 1);
    expect(fake.client).toHaveReceivedLastCommandWith(StartDeploymentCommand, {
      ConfigurationVersion: "1",
      Description: `glidepath ${deploymentId}: ${flagKey} at 0%`,
    });
  });
});
