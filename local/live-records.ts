import type { ServiceConfig } from "../functions/domain/config/index.ts";
import { DeploymentStatus } from "../functions/domain/deployment.ts";
import { promotionRequest } from "../functions/domain/promotion/request.ts";
import { createWaveDeployments } from "../functions/handlers/wave-deployments.ts";
import type { LocalStack } from "./runtime.ts";
import { artifactDetail } from "./sample-artifacts.ts";
import { liveVersion } from "./scenarios.ts";

/**
 * Records the live version the local fleets start with as SUCCEEDED in every wave of every environment of the
 * service, as an earlier promotion would have left it: what a failed release restores, and what a rollback
 * after the run goes back to.
 */
export async function recordLive(stack: LocalStack, service: ServiceConfig): Promise<void> {
  const { service: _name, ...artifact } = artifactDetail(service, liveVersion);
  const request = promotionRequest({ service, artifact });
  for (const environment of request.environments) {
    await createWaveDeployments(stack.stores.deployments, {
      service: service.name,
      environment: environment.name,
      artifact,
      waves: environment.waves,
      promotionId: request.promotionId,
      owner: `the live version of ${service.name}`,
    });
    for (const wave of environment.waves) {
      await stack.stores.deployments.transition(wave.deploymentId, DeploymentStatus.InProgress);
      await stack.stores.deployments.transition(wave.deploymentId, DeploymentStatus.Succeeded, {
        statusReason: "the live version the local fleets start with",
      });
    }
  }
}
