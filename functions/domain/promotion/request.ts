import { z } from "zod";
import type { ServiceConfig } from "../config/index.ts";
import { FreezeWindowSchema, HookSchema } from "../config/schema.ts";
import { type ResolvedWave, resolveWaves } from "../config/waves.ts";
import { type Artifact, DeploymentIdSchema, deploymentId } from "../deployment.ts";
import { DeploymentRequestSchema, deploymentRequest } from "../deployment-request.ts";
import { ErrorNames, GlidepathError } from "../errors.ts";
import { executionName } from "../execution-name.ts";
import { promotionId } from "./record.ts";

/**
 * One region of an environment: its own deployment record and strategy execution. The id is derived like every
 * deployment id (service, environment, digest, attempt, and the region when the environment has several), so
 * the promotion knows it before the record exists and the record is created idempotently.
 */
const WaveSchema = z.strictObject({
  deploymentId: DeploymentIdSchema,
  /** Set only when the environment deploys several regions as waves. */
  region: z.string().min(1).optional(),
  /** The strategy execution's name: `<service>-<env>-<version>-<short id>`. */
  executionName: z.string().min(1).max(80),
  request: DeploymentRequestSchema,
});

export const PromotionEnvironmentSchema = z.strictObject({
  name: z.string().min(1),
  /** Position in promotion order, from 0. */
  index: z.number().int().min(0),
  approval: z.strictObject({
    required: z.boolean(),
    approvers: z.array(z.string().min(1)),
    timeoutSeconds: z.number().int().min(1),
  }),
  freezeWindows: z.array(FreezeWindowSchema),
  onFreeze: z.enum(["wait", "fail"]),
  preDeploy: z.array(HookSchema),
  postDeploy: z.array(HookSchema),
  waves: z.array(WaveSchema).min(1),
  waveBakeSeconds: z.number().int().min(0),
});

/**
 * The input of a pipeline execution: the artifact and, for every environment in promotion order, everything
 * its states need, resolved from the config when the promotion starts (a config change never alters a running
 * promotion). Its id is its promotion record's.
 */
export const PromotionRequestSchema = z.strictObject({
  promotionId: z.string().regex(/^p-[0-9a-f]{20}$/, { error: "must be a promotion id" }),
  service: z.string().min(1),
  artifact: z.strictObject({ uri: z.string().min(1), digest: z.string().min(1), version: z.string().min(1) }),
  environments: z.array(PromotionEnvironmentSchema).min(1),
});

export type PromotionRequest = z.output<typeof PromotionRequestSchema>;
export type PromotionEnvironment = PromotionRequest["environments"][number];
export type Wave = PromotionEnvironment["waves"][number];

export class PromotionRequestInvalidError extends GlidepathError {
  override readonly name = ErrorNames.PromotionRequestInvalid;
}

/** The region a wave's deployment record names: none when the environment has a single region. */
export function waveRegion(regions: readonly string[], index: number): string | undefined {
  return regions.length > 1 ? regions[index] : undefined;
}

/** The deployment id of one wave of an artifact in an environment. */
export function waveDeploymentId(input: {
  readonly service: string;
  readonly environment: string;
  readonly digest: string;
  readonly region?: string;
  readonly attempt?: number;
  /** The release that deploys it, if any. */
  readonly releaseId?: string;
  /** The rollback that deploys it, if any. */
  readonly rollbackId?: string;
}): string {
  return deploymentId({
    service: input.service,
    environment: input.environment,
    digest: input.digest,
    attempt: input.attempt ?? 1,
    ...(input.region === undefined ? {} : { region: input.region }),
    ...(input.releaseId === undefined ? {} : { releaseId: input.releaseId }),
    ...(input.rollbackId === undefined ? {} : { rollbackId: input.rollbackId }),
  });
}

/** Adjusts each strategy request (the local runtime scales its durations). */
export type AdjustRequest = (request: Wave["request"]) => Wave["request"];

/**
 * One environment of an artifact's promotion, resolved from the config: its gates, hooks and each region
 * wave's deployment and strategy request. `releaseId` makes the deployment ids a release's own, so a digest
 * once promoted alone is deployed again by a release that ships it.
 */
export function environmentRequest(input: {
  readonly service: ServiceConfig;
  readonly environment: ServiceConfig["environments"][number];
  readonly index: number;
  readonly artifact: Artifact;
  readonly adjust?: AdjustRequest;
  readonly releaseId?: string;
}): PromotionEnvironment {
  const { service, environment, artifact } = input;
  return {
    name: environment.name,
    index: input.index,
    approval: { ...environment.approval, approvers: [...environment.approval.approvers] },
    freezeWindows: environment.freezeWindows.map((window) => ({ ...window })),
    onFreeze: environment.onFreeze,
    preDeploy: environment.hooks.preDeploy.map((hook) => ({ ...hook })),
    postDeploy: environment.hooks.postDeploy.map((hook) => ({ ...hook })),
    waveBakeSeconds: environment.waveBakeSeconds,
    waves: resolveWaves(service, environment).map((resolved, wave) => {
      const request = waveRequest({
        service,
        environment,
        wave,
        resolved,
        artifact,
        ...(input.releaseId === undefined ? {} : { releaseId: input.releaseId }),
      });
      return input.adjust === undefined ? request : { ...request, request: input.adjust(request.request) };
    }),
  };
}

/**
 * One region wave of an artifact in an environment: its deployment id, its execution name
 * (`<service>-<env>[-<region>][-<label>]-<version>-<short id>`) and its strategy request. `releaseId` makes
 * the deployment the release's own.
 */
export function waveRequest(input: {
  readonly service: ServiceConfig;
  readonly environment: ServiceConfig["environments"][number];
  /** Which of the environment's region waves. */
  readonly wave: number;
  readonly resolved: ResolvedWave;
  readonly artifact: Artifact;
  readonly releaseId?: string;
  readonly rollbackId?: string;
  /** Follows the environment in the execution name, such as `restore`. */
  readonly label?: string;
}): Wave {
  const { service, environment, artifact } = input;
  const region = waveRegion(environment.regions, input.wave);
  const id = waveDeploymentId({
    service: service.name,
    environment: environment.name,
    digest: artifact.digest,
    ...(region === undefined ? {} : { region }),
    ...(input.releaseId === undefined ? {} : { releaseId: input.releaseId }),
    ...(input.rollbackId === undefined ? {} : { rollbackId: input.rollbackId }),
  });
  const place = region === undefined ? environment.name : `${environment.name}-${region}`;
  return {
    deploymentId: id,
    ...(region === undefined ? {} : { region }),
    executionName: executionName({
      service: service.name,
      environment: input.label === undefined ? place : `${place}-${input.label}`,
      version: artifact.version,
      deploymentId: id,
    }),
    request: deploymentRequest({ service, environment, wave: input.resolved, deployment: { id, artifact } }),
  };
}

/** Resolves the promotion of an artifact through every environment of the service, in order. */
export function promotionRequest(input: {
  readonly service: ServiceConfig;
  readonly artifact: Artifact;
  /** @default unchanged */
  readonly adjust?: AdjustRequest;
  /** The environment it starts at, those before it left out (`glidepath deploy --env`). @default the first */
  readonly startAt?: string;
}): PromotionRequest {
  const { service, artifact } = input;
  const first =
    input.startAt === undefined
      ? 0
      : service.environments.findIndex((environment) => environment.name === input.startAt);
  if (first < 0) {
    throw new PromotionRequestInvalidError(`${service.name} has no environment ${input.startAt}`);
  }
  const environments = service.environments.slice(first).map((environment, at) =>
    environmentRequest({
      service,
      environment,
      index: first + at,
      artifact,
      ...(input.adjust === undefined ? {} : { adjust: input.adjust }),
    }),
  );
  if (environments.length === 0) throw new PromotionRequestInvalidError(`${service.name} has no environment`);
  return {
    promotionId: promotionId({ service: service.name, digest: artifact.digest }),
    service: service.name,
    artifact: { ...artifact },
    environments,
  };
}

/** Checks a pipeline execution's input before anything is deployed. */
export function parsePromotionRequest(input: unknown): PromotionRequest {
  const result = PromotionRequestSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (issue) => `${issue.path.join(".") || "(input)"}: ${issue.message}`,
  );
  throw new PromotionRequestInvalidError(`the promotion input is invalid: ${problems.join("; ")}`);
}

/** `<service>-promote-<version>-<short id>`: the pipeline execution of a promotion, unique per promotion. */
export function promotionExecutionName(
  request: Pick<PromotionRequest, "service" | "artifact" | "promotionId">,
): string {
  return executionName({
    service: request.service,
    environment: "promote",
    version: request.artifact.version,
    deploymentId: request.promotionId,
  });
}

/** Where a promotion's approval gate is, for the gate id: it is kept on the environment's first wave. */
export const PromotionApprovalPosition = {
  kind: "approval",
  phaseIndex: 0,
  resumes: 0,
  elapsedSeconds: 0,
  weight: 0,
} as const;
