import type { Artifact } from "../domain/deployment.ts";
import type { DeploymentStore } from "../domain/ports/deployment-store.ts";
import type { Wave } from "../domain/promotion/request.ts";

/**
 * Creates the deployment record of every region wave of an artifact in an environment, idempotently, as part
 * of a promotion, a release or a rollback. The store derives each id as the pipeline's input did; an id that differs
 * means the two disagree about the deployment, and nothing may run on it.
 */
export async function createWaveDeployments(
  deployments: Pick<DeploymentStore, "create">,
  input: {
    readonly service: string;
    readonly environment: string;
    readonly artifact: Artifact;
    readonly waves: readonly Wave[];
    /** Whose deployments they are, for the error: "the promotion", "release r-…". */
    readonly owner: string;
  } & ({ readonly promotionId: string } | { readonly releaseId: string } | { readonly rollbackId: string }),
): Promise<void> {
  for (const wave of input.waves) {
    const { deployment } = await deployments.create({
      service: input.service,
      environment: input.environment,
      artifact: input.artifact,
      strategy: wave.request.strategy,
      ...("promotionId" in input
        ? { promotionId: input.promotionId }
        : "releaseId" in input
          ? { releaseId: input.releaseId }
          : { rollbackId: input.rollbackId }),
      ...(wave.region === undefined ? {} : { region: wave.region }),
    });
    if (deployment.id !== wave.deploymentId) {
      throw new Error(
        `${input.owner} expected deployment ${wave.deploymentId} of ${input.service} in ${input.environment} but the store created ${deployment.id}`,
      );
    }
  }
}
