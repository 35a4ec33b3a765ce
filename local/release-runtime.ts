import type { ServiceConfig } from "../functions/domain/config/index.ts";
import { ReleasePublishedDetailType } from "../functions/domain/release/manifest.ts";
import type { Release } from "../functions/domain/release/record.ts";
import type { ReleaseTriggerOutcome } from "../functions/handlers/release-trigger.ts";
import { recordLive } from "./live-records.ts";
import type { ExecutionResult } from "./run-execution.ts";
import { type LocalRunOptions, type LocalStack, runLocal } from "./runtime.ts";
import { artifactDetail, artifactSource } from "./sample-artifacts.ts";
import { liveVersion, newVersion, type ScenarioName } from "./scenarios.ts";

export interface LocalReleaseOptions
  extends Pick<
    LocalRunOptions,
    "config" | "scenario" | "speed" | "rps" | "onEvent" | "signal" | "autoApprove" | "page"
  > {
  /**
   * The release's services: the first is the one `scenario` applies to; the others (the services it depends
   * on) are healthy.
   */
  readonly services: readonly ServiceConfig[];
}

/** One deployment of the release: a wave of its artifact, or a restore to the previous one. */
export interface ReleaseDeployment {
  readonly region?: string;
  readonly version: string;
  readonly status: string;
}

export interface LocalReleaseResult {
  readonly scenario: ScenarioName;
  readonly startedAt: number;
  /** The release's status (PROMOTED, STOPPED), or ABORTED when the run was interrupted. */
  readonly status: string;
  readonly statusReason?: string;
  /** The release pipeline execution. */
  readonly execution: ExecutionResult;
  /** The release record as it ended: each environment's status, and each service's there. */
  readonly release: Release;
  /** Environment → service → the release's deployments there, oldest first (restores after the waves). */
  readonly deployments: Readonly<Record<string, Readonly<Record<string, readonly ReleaseDeployment[]>>>>;
  readonly durationSeconds: number;
  readonly pids: readonly number[];
}

/**
 * Releases the new version of several local services together, through their shared environments, with the
 * real release pipeline: the same local control plane as runLocalDeployment, a ReleasePublished event on its
 * bus, every fleet of an environment kept while the release is there (so a restore goes back to the fleet
 * it left). Before the release, each service's live version is recorded as deployed everywhere, as an
 * earlier promotion would have left it: that is what a failed environment restores.
 */
export async function runLocalRelease(options: LocalReleaseOptions): Promise<LocalReleaseResult> {
  const [dependent] = options.services;
  if (dependent === undefined) throw new Error("a release needs at least one service");
  return runLocal(
    {
      ...options,
      scenarioOf: (service) => (service === dependent.name ? options.scenario : "good"),
      keepEnvironmentFleets: true,
    },
    (stack) => releaseLocally(stack, options),
  );
}

async function releaseLocally(stack: LocalStack, options: LocalReleaseOptions): Promise<LocalReleaseResult> {
  const { phase, stores, bus } = stack;
  const names = options.services.map((service) => service.name);
  for (const service of options.services) await recordLive(stack, service);
  phase(
    `${names.join(" and ")} ${liveVersion} run in every environment (recorded as their last good deployment)`,
  );
  const manifest = {
    name: "local-release",
    services: Object.fromEntries(
      options.services.map((service) => {
        const { service: _name, ...artifact } = artifactDetail(service, newVersion);
        return [service.name, artifact];
      }),
    ),
  };
  const environments = options.services[0]?.environments.map((environment) => environment.name) ?? [];
  phase(
    `releasing ${names.join(" and ")} ${newVersion} together through ${environments.join(" → ")} (scenario ${options.scenario} for ${names[0]}, ${options.speed}x speed)`,
  );
  const outcome = (await bus.put(
    artifactSource(options.services[0] as ServiceConfig),
    ReleasePublishedDetailType,
    manifest,
  )) as ReleaseTriggerOutcome;
  phase(`published release ${manifest.name}: ${outcome.outcome} (${outcome.releaseId})`);
  const launched = [...stack.releases.values()][0];
  if (launched === undefined) throw new Error(`release ${outcome.releaseId} started no pipeline`);
  const execution = await launched.run;
  const release = await stores.releases.get(outcome.releaseId);
  if (release === undefined) throw new Error(`release ${outcome.releaseId} left no record`);
  return {
    scenario: options.scenario,
    startedAt: stack.started,
    status: execution.status === "ABORTED" ? "ABORTED" : release.status,
    ...(release.reason === undefined ? {} : { statusReason: release.reason }),
    execution,
    release,
    deployments: await releaseDeployments(stack, release, environments),
    durationSeconds: Math.round((Date.now() - stack.started) / 100) / 10,
    pids: [...stack.pids],
  };
}

async function releaseDeployments(
  stack: LocalStack,
  release: Release,
  environments: readonly string[],
): Promise<LocalReleaseResult["deployments"]> {
  const result: Record<string, Record<string, ReleaseDeployment[]>> = {};
  for (const environment of environments) {
    const services: Record<string, ReleaseDeployment[]> = {};
    for (const service of release.groups.flat()) {
      const { items } = await stack.stores.deployments.history({ service, environment, limit: 50 });
      services[service] = items
        .filter((deployment) => deployment.releaseId === release.id)
        .toReversed()
        .map((deployment) => ({
          ...(deployment.region === undefined ? {} : { region: deployment.region }),
          version: deployment.artifact.version,
          status: deployment.status,
        }));
    }
    result[environment] = services;
  }
  return result;
}
