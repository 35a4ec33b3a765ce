import {
  AppConfigClient,
  AppConfigServiceException,
  CreateHostedConfigurationVersionCommand,
  type DeploymentState,
  GetDeploymentCommand,
  GetHostedConfigurationVersionCommand,
  ListDeploymentsCommand,
  StartDeploymentCommand,
} from "@aws-sdk/client-appconfig";
import { type AwsClientStub, mockClient } from "aws-sdk-client-mock";
import { FlagDocumentSchema, splitOf } from "../../functions/domain/flags.ts";
import { serviceError } from "./sdk-mock.ts";

/** The AppConfig ids of the fake account's checkout flags. */
export const appConfigIds = {
  application: "shop1ab",
  environment: "prod7cd",
  configurationProfile: "flags9e",
  deploymentStrategy: "now42zz",
} as const;

export const flagKey = "new-checkout";

/** What was live before Glidepath: another team's flag on, ours off (version 1, deployment 1). */
export const initialDocument = {
  version: "1",
  flags: { "dark-mode": { name: "dark-mode" }, [flagKey]: { name: flagKey } },
  values: { "dark-mode": { enabled: true }, [flagKey]: { enabled: false } },
};

interface FakeDeployment {
  readonly DeploymentNumber: number;
  readonly ConfigurationProfileId: string;
  readonly ConfigurationVersion: string;
  readonly Description: string;
  readonly StartedAt: Date;
  State: DeploymentState;
  looks: number;
}

export interface FakeAppConfigOptions {
  /** GetDeployment calls a deployment stays DEPLOYING for. @default 1 */
  readonly looksToComplete?: number;
  /** AppConfig rolls back (an alarm on its environment) a deployment of this treatment share. */
  readonly rollsBackAt?: number;
  /** Called with the treatment's share whenever a deployment completes. */
  readonly onLive?: (percent: number) => void;
}

/**
 * A small, stateful AppConfig behind aws-sdk-client-mock: hosted versions of one feature-flag profile, and
 * deployments to one environment that go DEPLOYING → COMPLETE after some looks, one at a time.
 */
export class FakeAppConfig {
  readonly client: AwsClientStub<AppConfigClient>;
  readonly versions = new Map<number, string>([[1, JSON.stringify(initialDocument)]]);
  /** Newest first, as ListDeployments returns them. */
  readonly deployments: FakeDeployment[] = [
    {
      DeploymentNumber: 1,
      ConfigurationProfileId: appConfigIds.configurationProfile,
      ConfigurationVersion: "1",
      Description: "created by the platform team",
      StartedAt: new Date("2026-11-01T00:00:00Z"),
      State: "COMPLETE",
      looks: 0,
    },
  ];

  constructor(options: FakeAppConfigOptions = {}) {
    this.client = mockClient(AppConfigClient);
    this.client.on(CreateHostedConfigurationVersionCommand).callsFake((input) => {
      const number = Math.max(...this.versions.keys()) + 1;
      this.versions.set(number, new TextDecoder().decode(input.Content as Uint8Array));
      return { VersionNumber: number, ApplicationId: input.ApplicationId };
    });
    this.client.on(GetHostedConfigurationVersionCommand).callsFake((input) => {
      const content = this.versions.get(input.VersionNumber ?? 0);
      if (content === undefined) throw new Error(`no version ${input.VersionNumber}`);
      return { VersionNumber: input.VersionNumber, Content: new TextEncoder().encode(content) };
    });
    this.client.on(StartDeploymentCommand).callsFake((input) => {
      if (this.deployments[0]?.State === "DEPLOYING") {
        throw serviceError(AppConfigServiceException, "ConflictException", 409, "Deployment in progress");
      }
      const deployment: FakeDeployment = {
        DeploymentNumber: (this.deployments[0]?.DeploymentNumber ?? 0) + 1,
        ConfigurationProfileId: input.ConfigurationProfileId ?? "",
        ConfigurationVersion: input.ConfigurationVersion ?? "",
        Description: input.Description ?? "",
        StartedAt: new Date(),
        State: "DEPLOYING",
        looks: 0,
      };
      this.deployments.unshift(deployment);
      return { ...deployment };
    });
    this.client.on(ListDeploymentsCommand).callsFake(() => ({
      Items: this.deployments.map(({ looks: _looks, Description: _description, ...summary }) => ({
        ...summary,
      })),
    }));
    this.client.on(GetDeploymentCommand).callsFake((input) => {
      const deployment = this.deployments.find((each) => each.DeploymentNumber === input.DeploymentNumber);
      if (deployment === undefined) throw new Error(`no deployment ${input.DeploymentNumber}`);
      if (deployment.State === "DEPLOYING") {
        deployment.looks += 1;
        if (deployment.looks > (options.looksToComplete ?? 1)) {
          const percent = this.percentOf(deployment.ConfigurationVersion);
          deployment.State = percent === options.rollsBackAt ? "ROLLED_BACK" : "COMPLETE";
          if (deployment.State === "COMPLETE") options.onLive?.(percent);
        }
      }
      const { looks: _looks, ...shown } = deployment;
      return { ...shown };
    });
  }

  /** The treatment's share in a hosted version (0 for a version that says nothing Glidepath can read). */
  percentOf(version: string): number {
    const document = FlagDocumentSchema.parse(JSON.parse(this.versions.get(Number(version)) ?? "{}"));
    const reading = splitOf(document, { flag: flagKey, splitKey: "userId" });
    return reading.kind === "split" ? reading.percent : 0;
  }

  /** The treatment share of every hosted version Glidepath created, in order. */
  createdSplits(): number[] {
    return this.client
      .commandCalls(CreateHostedConfigurationVersionCommand)
      .map((call) => JSON.parse(new TextDecoder().decode(call.args[0].input.Content as Uint8Array)))
      .map((document) => {
        const value = document.values[flagKey];
        if (value._variants === undefined) return value.enabled ? 100 : 0;
        return Number(/pct::(\d+)/.exec(value._variants[0].rule)?.[1]);
      });
  }

  restore(): void {
    this.client.restore();
  }
}
