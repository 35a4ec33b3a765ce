import { createHash } from "node:crypto";
import { z } from "zod";
import type { GlidepathConfig } from "../config/index.ts";
import { type ConfigProblem, formatPath, problemsMessage, toProblem } from "../config/parse.ts";
import type { Artifact } from "../deployment.ts";
import { ErrorNames, GlidepathError } from "../errors.ts";
import { ArtifactPublishedDetailSchema } from "../triggers.ts";
import { deploymentGroups } from "./order.ts";

/** The `detail-type` of the event a CI system puts on the Glidepath bus for a release of several services. */
export const ReleasePublishedDetailType = "ReleasePublished";

/**
 * A release: an artifact for each of several services, promoted together. The detail of a `ReleasePublished`
 * event, and the file `glidepath release --manifest` reads:
 *
 * ```json
 * { "name": "spring-sale",
 *   "services": { "orders": { "uri": "…/shop/orders@sha256:…", "digest": "sha256:…", "version": "2.0.0" },
 *                 "payments": { "uri": "…", "digest": "sha256:…", "version": "1.7.0" } } }
 * ```
 *
 * Each artifact is an ArtifactPublished detail without `service` (the key is the service).
 */
export const ReleaseManifestSchema = z.strictObject({
  /** A label for humans (Slack, the CLI, the execution name); not part of the release's identity. */
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/, {
      error: "must be 1-40 letters, digits, '.', '_' or '-', starting with a letter or digit",
    })
    .optional(),
  services: z
    .record(z.string().min(1), ArtifactPublishedDetailSchema.omit({ service: true }).strict())
    .refine((services) => Object.keys(services).length > 0, {
      error: "list at least one service's artifact",
    }),
});
export type ReleaseManifest = z.output<typeof ReleaseManifestSchema>;

export class ReleaseInvalidError extends GlidepathError {
  override readonly name = ErrorNames.ReleaseInvalid;
  readonly problems: readonly ConfigProblem[];
  constructor(problems: readonly ConfigProblem[]) {
    super(problemsMessage("release", problems));
    this.problems = problems;
  }
}

/** What a release deploys, in what order, through which environments. */
export interface ReleasePlan {
  readonly releaseId: string;
  readonly name?: string;
  /** Service → artifact, sorted by service. */
  readonly artifacts: Readonly<Record<string, Artifact>>;
  /** The services in deployment order, as groups that deploy together (see `deploymentGroups`). */
  readonly groups: readonly (readonly string[])[];
  /** The environments every service of the release is promoted through, in promotion order. */
  readonly environments: readonly string[];
}

/**
 * Deterministic, as promotion ids are: the release is its services' digests (the same manifest twice is one
 * release, whatever its name), and a later attempt of the same content counts up.
 */
export function releaseId(
  artifacts: Readonly<Record<string, { readonly digest: string }>>,
  attempt = 1,
): string {
  const content = Object.entries(artifacts)
    .map(([service, artifact]) => [service, artifact.digest])
    .sort(([a = ""], [b = ""]) => a.localeCompare(b));
  const hash = createHash("sha256")
    .update(JSON.stringify(["release", content, attempt]))
    .digest("hex");
  return `r-${hash.slice(0, 20)}`;
}

/**
 * Reads a manifest against the config: every service it names is one of the config's, and they all have the
 * same environments in the same order (a release enters each environment once, for all of its services).
 * Throws `ReleaseInvalidError` listing every problem with its path.
 */
export function planRelease(input: unknown, config: GlidepathConfig): ReleasePlan {
  const parsed = ReleaseManifestSchema.safeParse(input);
  if (!parsed.success) throw new ReleaseInvalidError(parsed.error.issues.map(toProblem));
  const manifest = parsed.data;
  const problems: ConfigProblem[] = [];
  const known = config.services.map((service) => service.name);
  const names = Object.keys(manifest.services).sort();
  for (const name of names) {
    if (!known.includes(name)) {
      problems.push({
        path: formatPath(["services", name]),
        message: `names no service of the config (has: ${known.join(", ")})`,
      });
    }
  }
  const services = config.services.filter((service) => names.includes(service.name));
  const [first, ...others] = services;
  const environmentsOf = (service: (typeof services)[number]) =>
    service.environments.map((environment) => environment.name);
  const environments = first === undefined ? [] : environmentsOf(first);
  for (const other of others) {
    const own = environmentsOf(other);
    if (own.join() !== environments.join()) {
      problems.push({
        path: formatPath(["services", other.name]),
        message: `is promoted through ${own.join(", ")}, and ${first?.name} through ${environments.join(", ")}: a release's services share their environments, in one order`,
      });
    }
  }
  if (problems.length > 0) throw new ReleaseInvalidError(problems);
  const artifacts = Object.fromEntries(names.map((name) => [name, manifest.services[name] as Artifact]));
  return {
    releaseId: releaseId(artifacts),
    ...(manifest.name === undefined ? {} : { name: manifest.name }),
    artifacts,
    groups: deploymentGroups(config.services, names),
    environments,
  };
}
