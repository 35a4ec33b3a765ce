import type { Artifact } from "../domain/deployment.ts";
import type { DeploymentStore } from "../domain/ports/deployment-store.ts";
import { previousArtifact, type RollbackPlace } from "../domain/release/rollback.ts";

/** Deployments read per history page while looking for the one to go back to. */
const pageSize = 25;
/** Pages read before giving up: a service with no success in its last 250 deployments has nothing to go back to. */
const maxPages = 10;

/**
 * Finds the artifact a service of a failed release goes back to (see `previousArtifact`), paging through the
 * place's deployment history newest first. Undefined when the service never succeeded there before the
 * release: it is the first version there, and the release's failure leaves it as the release deployed it.
 */
export async function findPreviousArtifact(
  deployments: Pick<DeploymentStore, "history">,
  place: RollbackPlace,
): Promise<Artifact | undefined> {
  let cursor: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const { items, nextCursor } = await deployments.history({
      service: place.service,
      environment: place.environment,
      limit: pageSize,
      ...(cursor === undefined ? {} : { cursor }),
    });
    const found = previousArtifact(items, place);
    if (found !== undefined || nextCursor === undefined) return found;
    cursor = nextCursor;
  }
  return undefined;
}
