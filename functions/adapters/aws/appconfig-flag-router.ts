import {
  type AppConfigClient,
  CreateHostedConfigurationVersionCommand,
  type Deployment,
  type DeploymentSummary,
  GetDeploymentCommand,
  GetHostedConfigurationVersionCommand,
  ListDeploymentsCommand,
  StartDeploymentCommand,
} from "@aws-sdk/client-appconfig";
import { ShiftFailedError } from "../../domain/errors.ts";
import {
  deployedSplit,
  emptyFlagDocument,
  type FlagDocument,
  FlagDocumentSchema,
  flagDeploymentDescription,
  nextFlagStep,
  restoresPrevious,
  splitOfDescription,
  splitWeights,
  verifiedShift,
  withSplit,
} from "../../domain/flags.ts";
import type { TargetConfig } from "../../domain/ports/index.ts";
import type { ColourWeights, SetWeightsResult, TrafficRouter } from "../../domain/ports/traffic-router.ts";

type FlagTarget = Extract<TargetConfig, { type: "flag" }>;
type AppConfigStore = Extract<FlagTarget["store"], { type: "appconfig" }>;

export interface AppConfigFlagRouterProps {
  /** Created once per region with `awsClientConfig`. */
  readonly client: AppConfigClient;
  readonly store: AppConfigStore;
  readonly rollout: Pick<FlagTarget, "flag" | "splitKey" | "rollbackTo">;
  /** The deployment this router acts for: its AppConfig deployments carry its id in their description. */
  readonly deploymentId: string;
  /** An AppConfig deployment that has not completed after this long fails the shift. @default 600000 */
  readonly maxDeployMs?: number;
  /** @default Date.now */
  readonly clock?: () => number;
}

const inProgress = new Set(["DEPLOYING", "VALIDATING", "BAKING"]);
const undone = new Set(["ROLLING_BACK", "ROLLED_BACK", "REVERTED"]);

/**
 * A feature flag's split as the traffic router: each `setWeights` writes the flag's variants into a new hosted
 * configuration version of the profile (every other flag as it is live) and starts an AppConfig deployment of
 * it with the target's no-bake strategy, then returns unsettled; called again, it looks at that deployment
 * and, once COMPLETE, reads the deployed version back and verifies the split. No call waits.
 *
 * Idempotent by the deployment's description (`glidepath <deployment id>: <flag> at <n>%`): a redelivered
 * shift finds its own AppConfig deployment instead of starting a second one. A crash between creating the
 * hosted version and starting its deployment leaves an unused version behind, which deploys nothing.
 */
export class AppConfigFlagRouter implements TrafficRouter {
  readonly #props: AppConfigFlagRouterProps;

  constructor(props: AppConfigFlagRouterProps) {
    this.#props = props;
  }

  get #name(): string {
    const { store, rollout } = this.#props;
    return `flag ${rollout.flag} of AppConfig application ${store.application} profile ${store.configurationProfile} in environment ${store.environment}`;
  }

  /** The split this deployment last made live, or all on control before it made any. */
  async readWeights(): Promise<ColourWeights> {
    const latest = await this.#latest();
    const ours = latest === undefined ? undefined : this.#percentOf(latest.deployment);
    if (latest === undefined || ours === undefined || latest.deployment.State !== "COMPLETE")
      return splitWeights(0);
    return splitWeights(await this.#deployedSplit(latest.deployment));
  }

  async setWeights(weights: ColourWeights): Promise<SetWeightsResult> {
    const percent = weights.green;
    const latest = (await this.#latest())?.deployment;
    const view =
      latest === undefined
        ? undefined
        : {
            ours: this.#percentOf(latest),
            state: inProgress.has(latest.State ?? "")
              ? ("in-progress" as const)
              : undone.has(latest.State ?? "")
                ? ("undone" as const)
                : ("complete" as const),
          };
    const next = nextFlagStep(view, percent);
    if (latest !== undefined && next === "undone") {
      throw new ShiftFailedError(
        this.#name,
        weights,
        splitWeights(0),
        `AppConfig deployment ${latest.DeploymentNumber} ended ${latest.State}: AppConfig put the previous configuration back (an alarm on the AppConfig environment, or a stop). See its events in the AppConfig console.`,
      );
    }
    if (latest !== undefined && next === "wait") {
      this.#failIfStuck(latest, weights);
      return { changed: view?.ours === percent, weights, settled: false };
    }
    if (latest !== undefined && next === "verify") return this.#verify(latest, weights);
    const version = restoresPrevious(this.#props.rollout, percent)
      ? ((await this.#previousVersion()) ?? (await this.#createVersion(percent)))
      : await this.#createVersion(percent);
    const { store } = this.#props;
    try {
      await this.#props.client.send(
        new StartDeploymentCommand({
          ApplicationId: store.application,
          EnvironmentId: store.environment,
          DeploymentStrategyId: store.deploymentStrategy,
          ConfigurationProfileId: store.configurationProfile,
          ConfigurationVersion: version,
          Description: this.#description(percent),
        }),
      );
    } catch (error) {
      // Another deployment started in between (AppConfig allows one at a time): look again later.
      if ((error as Error).name === "ConflictException") {
        return { changed: false, weights: splitWeights(0), settled: false };
      }
      throw error;
    }
    return { changed: true, weights, settled: false };
  }

  /** Our deployment of this split completed: read the deployed version back. */
  #verify(deployment: Deployment, weights: ColourWeights): Promise<SetWeightsResult> {
    return verifiedShift(this.#props.rollout, weights, {
      router: this.#name,
      why: `The configuration version AppConfig deployed (${deployment.ConfigurationVersion}) does not hold the split Glidepath wrote: someone else may be editing the same profile.`,
      document: () => this.#document(deployment.ConfigurationVersion ?? ""),
    });
  }

  #failIfStuck(deployment: Deployment, weights: ColourWeights): void {
    const started = deployment.StartedAt?.getTime();
    const now = (this.#props.clock ?? Date.now)();
    if (started !== undefined && now - started > (this.#props.maxDeployMs ?? 600_000)) {
      throw new ShiftFailedError(
        this.#name,
        weights,
        splitWeights(0),
        `AppConfig deployment ${deployment.DeploymentNumber} is still ${deployment.State} after ${Math.round((now - started) / 60_000)} minutes: check the target's deployment strategy (it must have no duration and no bake) and stop the deployment in the AppConfig console.`,
      );
    }
  }

  /** The split of the configuration version a deployment deployed. */
  async #deployedSplit(deployment: Deployment): Promise<number> {
    return deployedSplit(
      await this.#document(deployment.ConfigurationVersion ?? ""),
      this.#props.rollout,
      this.#name,
    );
  }

  /** A new hosted version: the live document with the flag at `percent`. Returns its version number. */
  async #createVersion(percent: number): Promise<string> {
    const { store, rollout } = this.#props;
    const live = await this.#liveVersion();
    const base = live === undefined ? emptyFlagDocument() : await this.#document(live);
    const output = await this.#props.client.send(
      new CreateHostedConfigurationVersionCommand({
        ApplicationId: store.application,
        ConfigurationProfileId: store.configurationProfile,
        Content: new TextEncoder().encode(JSON.stringify(withSplit(base, rollout, percent))),
        ContentType: "application/json",
        Description: this.#description(percent),
      }),
    );
    if (output.VersionNumber === undefined) {
      throw new Error(`AppConfig returned no version number for the new version of ${this.#name}`);
    }
    return String(output.VersionNumber);
  }

  async #document(version: string): Promise<FlagDocument> {
    const { store } = this.#props;
    const output = await this.#props.client.send(
      new GetHostedConfigurationVersionCommand({
        ApplicationId: store.application,
        ConfigurationProfileId: store.configurationProfile,
        VersionNumber: Number(version),
      }),
    );
    const text = new TextDecoder().decode(output.Content ?? new Uint8Array());
    const parsed = FlagDocumentSchema.safeParse(safeJson(text));
    if (!parsed.success) {
      throw new ShiftFailedError(
        this.#name,
        splitWeights(0),
        splitWeights(0),
        `Version ${version} of the profile is not a feature-flag document: is the profile of type AWS.AppConfig.FeatureFlags?`,
      );
    }
    return parsed.data;
  }

  /** The version the newest completed deployment of the profile made live, if any. */
  async #liveVersion(): Promise<string | undefined> {
    for await (const summary of this.#summaries()) {
      if (summary.State === "COMPLETE") return summary.ConfigurationVersion;
    }
    return undefined;
  }

  /** The version live before this deployment's first change: the newest completed deployment not ours. */
  async #previousVersion(): Promise<string | undefined> {
    for await (const summary of this.#summaries()) {
      if (summary.State !== "COMPLETE") continue;
      const deployment = await this.#get(summary);
      if (this.#percentOf(deployment) === undefined) return summary.ConfigurationVersion;
    }
    return undefined;
  }

  /** The newest deployment of the profile to the environment, read in full (a summary has no description). */
  async #latest(): Promise<{ readonly deployment: Deployment } | undefined> {
    for await (const summary of this.#summaries()) return { deployment: await this.#get(summary) };
    return undefined;
  }

  async #get(summary: DeploymentSummary): Promise<Deployment> {
    const { store } = this.#props;
    return this.#props.client.send(
      new GetDeploymentCommand({
        ApplicationId: store.application,
        EnvironmentId: store.environment,
        DeploymentNumber: summary.DeploymentNumber,
      }),
    );
  }

  /** The environment's deployments of this profile, newest first (ListDeployments' order), every page. */
  async *#summaries(): AsyncGenerator<DeploymentSummary> {
    const { store } = this.#props;
    let nextToken: string | undefined;
    do {
      const output = await this.#props.client.send(
        new ListDeploymentsCommand({
          ApplicationId: store.application,
          EnvironmentId: store.environment,
          MaxResults: 50,
          ...(nextToken === undefined ? {} : { NextToken: nextToken }),
        }),
      );
      for (const item of output.Items ?? []) {
        if (item.ConfigurationProfileId === store.configurationProfile) yield item;
      }
      nextToken = output.NextToken;
    } while (nextToken !== undefined);
  }

  #description(percent: number): string {
    return flagDeploymentDescription(this.#props.deploymentId, this.#props.rollout.flag, percent);
  }

  /** The split a deployment of ours was for; undefined for anybody else's. */
  #percentOf(deployment: Deployment): number | undefined {
    return splitOfDescription(
      deployment.Description ?? "",
      this.#props.deploymentId,
      this.#props.rollout.flag,
    );
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
