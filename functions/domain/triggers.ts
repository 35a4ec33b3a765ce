import { z } from "zod";
import type { GlidepathConfig, ServiceConfig } from "./config/index.ts";
import type { Artifact } from "./deployment.ts";

/** The `detail-type` of the event ECR puts on the default bus for pushes (and deletes) of images. */
export const EcrImageActionDetailType = "ECR Image Action";
export const EcrSource = "aws.ecr";

/**
 * The `detail-type` of the events a CI system puts for artifacts that are not ECR images (or that it wants to
 * announce itself). Their `source` is the one a service names in `artifact: { type: "custom", source }`.
 */
export const ArtifactPublishedDetailType = "ArtifactPublished";

/**
 * The detail of an ArtifactPublished event:
 *
 * ```json
 * { "service": "checkout", "uri": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/checkout@sha256:…",
 *   "digest": "sha256:…", "version": "1.4.0" }
 * ```
 *
 * - `service` (optional): deploy only this service, when several services claim the same source;
 *   without it, every service claiming the source deploys the artifact.
 * - `uri`: where the target pulls the artifact from.
 * - `digest`: the content digest, the artifact's identity: publishing the same digest again deploys nothing new.
 * - `version`: the label humans see in Slack, the CLI and the execution name.
 */
export const ArtifactPublishedDetailSchema = z.object({
  service: z.string().min(1).optional(),
  uri: z.string().min(1, { error: "must be the artifact's URI" }),
  digest: z.string().regex(/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[A-Za-z0-9=_-]{16,}$/, {
    error: "must be a content digest such as sha256:<hex>",
  }),
  version: z.string().min(1, { error: "must be the artifact's version label" }).max(128),
});

/** The `source` of the events the CLI puts (`glidepath deploy`, `glidepath release`). */
export const CliEventSource = "glidepath.cli";

/**
 * The `detail-type` of a deployment a human asked for (`glidepath deploy`, source `glidepath.cli`): the same
 * promotion an artifact event starts, of the service it names, whatever its artifact type, from the
 * environment it names.
 */
export const DeployRequestedDetailType = "DeployRequested";

/**
 * The detail of a DeployRequested event:
 *
 * ```json
 * { "service": "checkout", "uri": "…/shop/checkout@sha256:…", "digest": "sha256:…", "version": "1.4.1",
 *   "environment": "staging", "requestedBy": "cli:arn:aws:sts::123456789012:assumed-role/Deployer/alice" }
 * ```
 *
 * `environment` (optional): the promotion starts there, the environments before it left out; without it, at
 * the first. Idempotent as ArtifactPublished is: the same digest of the same service is one promotion.
 */
export const DeployRequestedDetailSchema = ArtifactPublishedDetailSchema.extend({
  service: z.string().min(1, { error: "must name the service to deploy" }),
  environment: z.string().min(1).optional(),
  requestedBy: z.string().min(1, { error: "must say who asked (cli:<identity>)" }),
});
export type DeployRequestedDetail = z.output<typeof DeployRequestedDetailSchema>;

/** The EventBridge envelope; the detail is read by its detail-type. */
export const EnvelopeSchema = z.object({
  "detail-type": z.string().min(1),
  source: z.string().min(1),
  account: z.string().regex(/^\d{12}$/, { error: "must be a 12-digit account id" }),
  region: z.string().min(1),
  time: z.iso.datetime({ error: "must be an ISO-8601 date-time" }),
  detail: z.record(z.string(), z.unknown(), { error: "must be an object" }),
});

/** The part of an "ECR Image Action" detail that a push carries; only read once it is a successful push. */
const EcrPushDetailSchema = z.object({
  "repository-name": z.string().min(1),
  "image-digest": z.string().regex(/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[A-Za-z0-9=_-]{16,}$/, {
    error: "must be an image digest such as sha256:<hex>",
  }),
  "image-tag": z.string().optional(),
});

export interface DeployMatch {
  readonly kind: "deploy";
  readonly service: string;
  /** Where the promotion starts: the first environment of the service's order, or the one a human named. */
  readonly environment: string;
  readonly artifact: Artifact;
  /** The event's `time`: orders pushes of one service, so the newest waiting artifact wins the queue. */
  readonly publishedAt: string;
  /** Who asked, for a deployment a human requested (`glidepath deploy`). */
  readonly requestedBy?: string;
}

export interface IgnoredMatch {
  readonly kind: "ignored";
  readonly reason: string;
}

export interface MalformedMatch {
  readonly kind: "malformed";
  readonly reason: string;
}

export type ArtifactMatch = readonly DeployMatch[] | IgnoredMatch | MalformedMatch;

/**
 * Maps an artifact event to the deployments it starts: an ECR push to the services whose repository it is and
 * whose `tagPattern` its tag matches, an ArtifactPublished event to the services claiming its source. An event
 * no service claims is `ignored` (not an error: the rule may see more than Glidepath deploys); one that cannot
 * be read is `malformed`, with a reason naming the fields.
 */
export function matchArtifact(config: GlidepathConfig, event: unknown): ArtifactMatch {
  const envelope = EnvelopeSchema.safeParse(event);
  if (!envelope.success) return malformed("the EventBridge envelope", envelope.error);
  const { source, detail, account, region, time } = envelope.data;
  const detailType = envelope.data["detail-type"];
  const publishedAt = new Date(time).toISOString();
  if (source === EcrSource && detailType === EcrImageActionDetailType) {
    return matchEcrPush(config, detail, { account, region, publishedAt });
  }
  if (detailType === ArtifactPublishedDetailType) return matchPublished(config, source, detail, publishedAt);
  if (source === CliEventSource && detailType === DeployRequestedDetailType) {
    return matchDeployRequest(config, detail, publishedAt);
  }
  return {
    kind: "malformed",
    reason: `unexpected event ${source} / ${detailType}: the trigger reads ${EcrSource} / ${EcrImageActionDetailType}, ${ArtifactPublishedDetailType} and ${CliEventSource} / ${DeployRequestedDetailType}`,
  };
}

/**
 * The problems of a deploy request against the config (an unknown service or environment), each a sentence
 * that says what the config has: the CLI refuses with them before sending, the trigger dead-letters with them.
 */
export function deployRequestProblems(
  config: GlidepathConfig,
  request: Pick<DeployRequestedDetail, "service" | "environment">,
): string[] {
  const service = config.services.find((candidate) => candidate.name === request.service);
  if (service === undefined) {
    return [
      `service: no service '${request.service}' in the config (has: ${config.services.map((candidate) => candidate.name).join(", ")})`,
    ];
  }
  const names = service.environments.map((environment) => environment.name);
  if (request.environment !== undefined && !names.includes(request.environment)) {
    return [
      `environment: service '${service.name}' has no environment '${request.environment}' (has: ${names.join(", ")})`,
    ];
  }
  return [];
}

function matchDeployRequest(
  config: GlidepathConfig,
  detail: Record<string, unknown>,
  publishedAt: string,
): ArtifactMatch {
  const parsed = DeployRequestedDetailSchema.safeParse(detail);
  if (!parsed.success) return malformed("the DeployRequested detail", parsed.error, ["detail"]);
  const problems = deployRequestProblems(config, parsed.data);
  if (problems.length > 0) {
    return { kind: "malformed", reason: `the DeployRequested detail is invalid: ${problems.join("; ")}` };
  }
  const { service: name, uri, digest, version, environment, requestedBy } = parsed.data;
  const service = config.services.find((candidate) => candidate.name === name) as ServiceConfig;
  const match = deploy(service, { uri, digest, version }, publishedAt);
  return [{ ...match, ...(environment === undefined ? {} : { environment }), requestedBy }];
}

function matchEcrPush(
  config: GlidepathConfig,
  detail: Record<string, unknown>,
  origin: { readonly account: string; readonly region: string; readonly publishedAt: string },
): ArtifactMatch {
  const action = detail["action-type"];
  const result = detail.result;
  if (action !== "PUSH" || result !== "SUCCESS") {
    return ignored(`ECR image action ${String(action)} ${String(result)} is not a successful push`);
  }
  const parsed = EcrPushDetailSchema.safeParse(detail);
  if (!parsed.success) return malformed("the ECR push detail", parsed.error, ["detail"]);
  const repository = parsed.data["repository-name"];
  const digest = parsed.data["image-digest"];
  const tag = parsed.data["image-tag"];
  const owners = config.services.filter(
    (service) =>
      service.artifact.type === "ecr" &&
      service.artifact.repository === repository &&
      // A repository of that name in another account is not this service's.
      (service.artifact.account === undefined ||
        (service.artifact.account === origin.account && service.artifact.region === origin.region)),
  );
  if (owners.length === 0) return ignored(`no service deploys ECR repository ${repository}`);
  if (tag === undefined || tag === "") {
    return ignored(`push of an untagged image to ${repository}: a tag is needed to match tagPattern`);
  }
  const matching = owners.filter(
    (service) => service.artifact.type === "ecr" && new RegExp(service.artifact.tagPattern).test(tag),
  );
  if (matching.length === 0) {
    const patterns = owners.map((service) =>
      service.artifact.type === "ecr" ? `${service.name}: /${service.artifact.tagPattern}/` : service.name,
    );
    return ignored(`tag ${tag} of ${repository} matches no tagPattern (${patterns.join(", ")})`);
  }
  const uri = `${origin.account}.dkr.ecr.${origin.region}.${ecrDomain(origin.region)}/${repository}@${digest}`;
  return matching.map((service) => deploy(service, { uri, digest, version: tag }, origin.publishedAt));
}

function matchPublished(
  config: GlidepathConfig,
  source: string,
  detail: Record<string, unknown>,
  publishedAt: string,
): ArtifactMatch {
  const claimants = config.services.filter(
    (service) => service.artifact.type === "custom" && service.artifact.source === source,
  );
  if (claimants.length === 0) return ignored(`no service takes ArtifactPublished events from ${source}`);
  const parsed = ArtifactPublishedDetailSchema.safeParse(detail);
  if (!parsed.success)
    return malformed(`the ArtifactPublished detail from ${source}`, parsed.error, ["detail"]);
  const { service: named, uri, digest, version } = parsed.data;
  const targets = named === undefined ? claimants : claimants.filter((service) => service.name === named);
  if (targets.length === 0) {
    return ignored(
      `service ${named} does not take ArtifactPublished events from ${source} (${claimants.map((service) => service.name).join(", ")} do)`,
    );
  }
  return targets.map((service) => deploy(service, { uri, digest, version }, publishedAt));
}

function deploy(service: ServiceConfig, artifact: Artifact, publishedAt: string): DeployMatch {
  // The schema requires at least one environment.
  const first = service.environments[0];
  if (first === undefined) throw new Error(`service ${service.name} has no environment`);
  return { kind: "deploy", service: service.name, environment: first.name, artifact, publishedAt };
}

/** Registry host names outside the commercial partition end differently. */
function ecrDomain(region: string): string {
  return region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
}

function ignored(reason: string): IgnoredMatch {
  return { kind: "ignored", reason };
}

function malformed(what: string, error: z.ZodError, prefix: readonly string[] = []): MalformedMatch {
  const problems = error.issues.map(
    (issue) => `${[...prefix, ...issue.path.map(String)].join(".") || "(event)"}: ${issue.message}`,
  );
  return { kind: "malformed", reason: `${what} is invalid: ${problems.join("; ")}` };
}
