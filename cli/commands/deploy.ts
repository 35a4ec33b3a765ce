import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { awsClientConfig } from "../../functions/adapters/aws/retry.ts";
import { promotionId } from "../../functions/domain/promotion/record.ts";
import {
  ArtifactPublishedDetailSchema,
  type DeployRequestedDetail,
  DeployRequestedDetailType,
  deployRequestProblems,
} from "../../functions/domain/triggers.ts";
import { loadConfig } from "../../infra/load-config.ts";
import { tokenHeader } from "../../local/endpoint-guard.ts";
import { readLocalRun } from "../local-run.ts";
import { putCliEvent } from "../put-event.ts";
import { UsageError } from "../usage-error.ts";
import { callerIdentity } from "./decide.ts";

export interface DeployOptions {
  readonly service: string;
  /** `<uri>@<digest>`, e.g. `…/shop/checkout:1.4.1@sha256:…`. */
  readonly artifact: string;
  readonly version?: string;
  readonly env?: string;
  readonly config: string;
  readonly bus: string;
}

/** Where a deploy request goes, and what it answered (the local run answers at once; the bus does not). */
export interface DeployDependencies {
  /** "the glidepath bus", "the local run at http://127.0.0.1:…". */
  readonly where: (options: DeployOptions) => string;
  readonly identity: () => Promise<string>;
  readonly send: (detail: DeployRequestedDetail, options: DeployOptions) => Promise<string | undefined>;
}

/** AWS: PutEvents of a DeployRequested event on the Glidepath bus, as the caller's AWS identity. */
export function awsDeployDependencies(client = new EventBridgeClient(awsClientConfig)): DeployDependencies {
  return {
    where: (options) => `the ${options.bus} bus`,
    identity: callerIdentity,
    send: async (detail, options) => {
      await putCliEvent(client, options.bus, DeployRequestedDetailType, detail);
      return undefined;
    },
  };
}

/** While `npm start` runs here: its local endpoint hands the request to its trigger and says what it did. */
export function localDeployDependencies(stateFile?: string): DeployDependencies | undefined {
  const run = readLocalRun(stateFile);
  if (run === undefined) return undefined;
  return {
    where: () => `the local run at ${run.url}`,
    identity: async () => "local:ULOCALOPS",
    send: async (detail) => {
      const response = await fetch(`${run.url}/deploy`, {
        method: "POST",
        headers: { "content-type": "application/json", [tokenHeader]: run.token },
        body: JSON.stringify(detail),
        signal: AbortSignal.timeout(30_000),
      });
      const answer = (await response.json()) as { text?: string };
      if (!response.ok) throw new UsageError(`the local run refused: ${answer.text ?? response.status}`);
      return answer.text;
    },
  };
}

/**
 * `glidepath deploy --service S --artifact <uri>@<digest> [--version V] [--env E] --config C`: checks the
 * request against the config (exit 2, nothing sent, when it names no service or environment of it), then
 * asks for the promotion an artifact event would start, from `--env` on (default: the first environment).
 * The same digest again is the same promotion: nothing new starts. Prints the promotion id and the command
 * that follows it.
 */
export async function deployCommand(
  options: DeployOptions,
  dependencies: DeployDependencies,
  print: (line: string) => void,
): Promise<void> {
  const at = options.artifact.lastIndexOf("@");
  const digest = at < 0 ? "" : options.artifact.slice(at + 1);
  const version = options.version ?? versionOf(options.artifact.slice(0, at), digest);
  const parsed = ArtifactPublishedDetailSchema.safeParse({ uri: options.artifact, digest, version });
  if (at <= 0 || !parsed.success) {
    const problems = parsed.success
      ? []
      : parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new UsageError(
      `--artifact must be <uri>@<digest>, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/checkout:1.4.1@sha256:<64 hex>; got '${options.artifact}'${problems.length === 0 ? "" : ` (${problems.join("; ")})`}`,
    );
  }
  const config = await loadConfig(options.config);
  const problems = deployRequestProblems(config, {
    service: options.service,
    ...(options.env === undefined ? {} : { environment: options.env }),
  });
  if (problems.length > 0) throw new UsageError(`${options.config}: ${problems.join("; ")}`);
  const service = config.services.find((candidate) => candidate.name === options.service);
  const names = service?.environments.map((environment) => environment.name) ?? [];
  const route = names.slice(options.env === undefined ? 0 : names.indexOf(options.env)).join(" → ");
  const detail: DeployRequestedDetail = {
    service: options.service,
    uri: options.artifact,
    digest,
    version,
    ...(options.env === undefined ? {} : { environment: options.env }),
    requestedBy: await dependencies.identity(),
  };
  const answer = await dependencies.send(detail, options);
  const id = promotionId({ service: options.service, digest });
  print(
    `promotion ${id} of ${options.service} ${version} through ${route} asked of ${dependencies.where(options)} as ${detail.requestedBy}${answer === undefined ? "" : `: ${answer}`}`,
  );
  print(`follow it: glidepath status ${id} --watch`);
}

/** The tag in `<repository>:<tag>@<digest>`, else the digest's first 12 hex digits. */
function versionOf(uri: string, digest: string): string {
  const tag = /:([\w][\w.-]{0,127})$/.exec(uri.slice(uri.lastIndexOf("/") + 1))?.[1];
  return tag ?? digest.slice(digest.indexOf(":") + 1, digest.indexOf(":") + 13);
}
