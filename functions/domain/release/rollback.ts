import { type Artifact, type Deployment, DeploymentStatus } from "../deployment.ts";

/** Where a service of a failed release goes back to: one environment (and region wave) of it. */
export interface RollbackPlace {
  readonly service: string;
  readonly environment: string;
  /** The wave's region, when the environment deploys several. */
  readonly region?: string;
  readonly releaseId: string;
}

/**
 * The artifact a service goes back to when its release fails in an environment after the service SUCCEEDED
 * there: the artifact of its newest SUCCEEDED deployment in that place that is not the release's own. Its old
 * version was retired when the release's succeeded, so going back is deploying it again. `history` is the
 * place's deployments newest first (one page of them); undefined when none there qualifies.
 */
export function previousArtifact(history: readonly Deployment[], place: RollbackPlace): Artifact | undefined {
  const previous = history.find(
    (deployment) =>
      deployment.status === DeploymentStatus.Succeeded &&
      deployment.releaseId !== place.releaseId &&
      deployment.region === place.region,
  );
  return previous === undefined ? undefined : { ...previous.artifact };
}
