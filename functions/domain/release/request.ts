import { z } from "zod";
import type { GlidepathConfig, ServiceConfig } from "../config/index.ts";
import { executionName } from "../execution-name.ts";
import { ArtifactSchema } from "../promotion/record.ts";
import {
  type AdjustRequest,
  environmentRequest,
  PromotionEnvironmentSchema,
  PromotionRequestInvalidError,
} from "../promotion/request.ts";
import type { ReleasePlan } from "./manifest.ts";

/** One service of a release in one environment: its artifact, its hooks and its region waves. */
const ReleaseServiceSchema = PromotionEnvironmentSchema.pick({
  preDeploy: true,
  postDeploy: true,
  waves: true,
  waveBakeSeconds: true,
}).extend({ service: z.string().min(1), artifact: ArtifactSchema });

/**
 * One environment of a release: one approval and one freeze check for all of its services, then the services
 * in their dependency groups.
 */
const ReleaseEnvironmentSchema = PromotionEnvironmentSchema.pick({
  name: true,
  index: true,
  approval: true,
  freezeWindows: true,
  onFreeze: true,
}).extend({ groups: z.array(z.array(ReleaseServiceSchema).min(1)).min(1) });

/**
 * The input of a release pipeline execution, resolved from the config when the release starts (as a
 * promotion's is): every environment in promotion order, each with its services in dependency groups.
 */
export const ReleaseRequestSchema = z.strictObject({
  releaseId: z.string().regex(/^r-[0-9a-f]{20}$/, { error: "must be a release id" }),
  name: z.string().min(1).optional(),
  environments: z.array(ReleaseEnvironmentSchema).min(1),
});
export type ReleaseRequest = z.output<typeof ReleaseRequestSchema>;
export type ReleaseEnvironmentRequest = ReleaseRequest["environments"][number];
export type ReleaseService = ReleaseEnvironmentRequest["groups"][number][number];

/**
 * Resolves a planned release against the config. Where its services' environments differ, the release takes
 * the strictest of them, as one gate serves them all:
 * - an approval is required when any service requires one; any of those services' approvers may give it,
 *   within the shortest of their timeouts;
 * - every service's freeze windows hold the release, and it fails at a freeze when any service says `fail`.
 * Hooks, waves and the bake between waves stay each service's own. Deployment ids are the release's
 * (`releaseId` in their hash), apart from those of a promotion of the same digest.
 */
export function releaseRequest(input: {
  readonly plan: ReleasePlan;
  readonly config: GlidepathConfig;
  /** @default unchanged */
  readonly adjust?: AdjustRequest;
}): ReleaseRequest {
  const { plan, config } = input;
  const serviceOf = (name: string): ServiceConfig => {
    const service = config.services.find((candidate) => candidate.name === name);
    if (service === undefined) {
      throw new PromotionRequestInvalidError(
        `release ${plan.releaseId} names ${name}, which is not in the config`,
      );
    }
    return service;
  };
  const environments = plan.environments.map((name, index): ReleaseEnvironmentRequest => {
    const groups = plan.groups.map((group) =>
      group.map((serviceName) => {
        const service = serviceOf(serviceName);
        const environment = service.environments.find((candidate) => candidate.name === name);
        const artifact = plan.artifacts[serviceName];
        if (environment === undefined || artifact === undefined) {
          throw new PromotionRequestInvalidError(
            `release ${plan.releaseId}: ${serviceName} has no environment ${name} or no artifact`,
          );
        }
        return {
          service: serviceName,
          artifact: { ...artifact },
          ...environmentRequest({
            service,
            environment,
            index,
            artifact,
            releaseId: plan.releaseId,
            ...(input.adjust === undefined ? {} : { adjust: input.adjust }),
          }),
        };
      }),
    );
    const all = groups.flat();
    const approving = all.filter((environment) => environment.approval.required);
    return {
      name,
      index,
      approval:
        approving.length === 0
          ? { required: false, approvers: [], timeoutSeconds: Math.min(...all.map(timeoutOf)) }
          : {
              required: true,
              approvers: [
                ...new Set(approving.flatMap((environment) => environment.approval.approvers)),
              ].sort(),
              timeoutSeconds: Math.min(...approving.map(timeoutOf)),
            },
      freezeWindows: distinct(all.flatMap((environment) => environment.freezeWindows)),
      onFreeze: all.some((environment) => environment.onFreeze === "fail") ? "fail" : "wait",
      groups: groups.map((group) =>
        group.map(({ service, artifact, preDeploy, postDeploy, waves, waveBakeSeconds }) => ({
          service,
          artifact,
          preDeploy,
          postDeploy,
          waves,
          waveBakeSeconds,
        })),
      ),
    };
  });
  return {
    releaseId: plan.releaseId,
    ...(plan.name === undefined ? {} : { name: plan.name }),
    environments,
  };
}

/** The same window listed by several services holds the release once. */
function distinct<T>(items: readonly T[]): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const key = JSON.stringify(item);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const timeoutOf = (environment: { readonly approval: { readonly timeoutSeconds: number } }) =>
  environment.approval.timeoutSeconds;

/**
 * `<name>-release-<services>-<short id>`, the services in deployment order: the release pipeline's execution,
 * unique per release.
 */
export function releaseExecutionName(
  request: Pick<ReleaseRequest, "releaseId" | "name" | "environments">,
): string {
  const services = (request.environments[0]?.groups ?? []).flat().map((service) => service.service);
  return executionName({
    service: request.name ?? "release",
    environment: "release",
    version: services.join("+"),
    deploymentId: request.releaseId,
  });
}
