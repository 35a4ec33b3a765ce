import type { ServiceConfig } from "../config/index.ts";
import { isFlagStrategy, Presets, StrategyObjectSchema } from "../config/index.ts";
import { resolveWaves } from "../config/waves.ts";
import type { Artifact } from "../deployment.ts";
import { type Wave, waveRequest } from "../promotion/request.ts";

/** The strategy a service goes back to its previous artifact with: at once, as the old version was retired. */
const restoreStrategy = StrategyObjectSchema.parse(Presets.ECSAllAtOnce);

/**
 * The redeployment that puts a service of a failed release back on its previous artifact in one region wave
 * of an environment: all at once, with the environment's alarms and checks, as a deployment of the release's
 * own (its id has the release's id and the previous digest), named `<service>-<env>-restore-<version>`; or
 * the same for a rollback a human asked for, named `<service>-<env>-rollback-<version>`.
 * Undefined for a flag strategy: there the release's change is a flag split, which its own rollback already
 * put back; no artifact is redeployed.
 */
export function restoreWave(input: {
  readonly service: ServiceConfig;
  readonly environment: string;
  /** Which of the environment's region waves. */
  readonly wave: number;
  readonly previous: Artifact;
  /** Whose deployment it is: a failed release's, or a rollback's a human asked for (`glidepath rollback`). */
  readonly owner: { readonly releaseId: string } | { readonly rollbackId: string };
}): Wave | undefined {
  const { service, previous } = input;
  const environment = service.environments.find((candidate) => candidate.name === input.environment);
  if (environment === undefined) {
    throw new Error(`${service.name} has no environment ${input.environment} to restore`);
  }
  if (isFlagStrategy(environment.strategy)) return undefined;
  const resolved = resolveWaves(service, environment)[input.wave];
  if (resolved === undefined) {
    throw new Error(`${service.name} has no wave ${input.wave} in ${environment.name} to restore`);
  }
  return waveRequest({
    service,
    // No watch window: a failure there would flip traffic back to the artifact being undone.
    environment: { ...environment, strategy: restoreStrategy, watchSeconds: 0 },
    wave: input.wave,
    resolved,
    artifact: previous,
    ...input.owner,
    label: "releaseId" in input.owner ? "restore" : "rollback",
  });
}
