import {
  GetFunctionConfigurationCommand,
  type LambdaClient,
  PublishVersionCommand,
  ResourceConflictException,
  TagResourceCommand,
  UpdateFunctionCodeCommand,
  type UpdateFunctionCodeCommandInput,
} from "@aws-sdk/client-lambda";
import { DeployFailedError, TargetBusyError } from "../../domain/errors.ts";
import {
  type DeployTarget,
  type PrepareInput,
  type PrepareResult,
  stableWithoutTasks,
  type TargetStatus,
} from "../../domain/ports/deploy-target.ts";
import type { Colour } from "../../domain/ports/traffic-router.ts";
import {
  deploymentTag,
  deploymentVersions,
  functionArnOf,
  listVersions,
  readAlias,
  versionDescription,
} from "./lambda-versions.ts";

export interface LambdaDeployTargetProps {
  /** Created once at module scope with `awsClientConfig`. */
  readonly client: LambdaClient;
  readonly functionName: string;
  readonly alias: string;
  /** Names the version published for this deployment (lambda-versions.ts). */
  readonly deploymentId: string;
}

/**
 * Runs a version of a Lambda function: blue is the version the alias served before the deployment, green the
 * version published for it. `prepare` updates the function's code ($LATEST) to the artifact; `status` of
 * green looks once at the update (`LastUpdateStatus`) and, the first time it is `Successful`, publishes the
 * version (`PublishVersion` with the code's `CodeSha256`, so code changed by someone else since is refused).
 * Both are idempotent: the published version is found again by its description, and Lambda publishes no
 * second version of unchanged code. Lambda sizes itself, so `scale` does nothing: the alias moves traffic.
 */
export class LambdaDeployTarget implements DeployTarget {
  readonly #props: LambdaDeployTargetProps;

  constructor(props: LambdaDeployTargetProps) {
    this.#props = props;
  }

  async prepare(input: PrepareInput): Promise<PrepareResult> {
    const published = await this.#published();
    if (published !== undefined) return { revision: published.version, desiredCount: 0 };
    if (publishedVersionOf(input.artifactUri) !== undefined) return this.#prepareVersion(input.artifactUri);
    try {
      await this.#props.client.send(
        new UpdateFunctionCodeCommand({
          FunctionName: this.#props.functionName,
          ...codeOf(input.artifactUri),
        }),
      );
    } catch (error) {
      if (!(error instanceof ResourceConflictException)) throw error;
      // An update in progress: an earlier attempt of this step's, or someone else's (a console edit, another
      // pipeline). Taking it as ours would publish whatever it deploys; once it is done, the step's retry sends
      // this artifact again (the same code twice is one update, and one version).
      throw new TargetBusyError(
        `an update of ${this.#props.functionName} is in progress (${error.message}): deploying once it is done`,
      );
    }
    return { revision: "$LATEST", desiredCount: 0 };
  }

  async scale(): Promise<void> {}

  async status(colour: Colour): Promise<TargetStatus> {
    const published = await this.#published();
    if (colour === "blue") {
      const version = published?.replaces ?? (await this.#aliasVersion());
      return stableWithoutTasks(colour, version);
    }
    if (published !== undefined) return stableWithoutTasks(colour, published.version);
    const { client, functionName, deploymentId } = this.#props;
    const config = await client.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
    if (config.LastUpdateStatus === "Failed") {
      return {
        ...stableWithoutTasks(colour, undefined),
        stable: false,
        failed: true,
        reason: `the code update of ${functionName} failed: ${
          [config.LastUpdateStatusReasonCode, config.LastUpdateStatusReason].filter(Boolean).join(" ") ||
          "no reason given"
        }`,
      };
    }
    if (config.LastUpdateStatus !== "Successful") {
      return {
        ...stableWithoutTasks(colour, undefined),
        stable: false,
        reason: `the code update of ${functionName} is ${config.LastUpdateStatus ?? "not reported"}`,
      };
    }
    const live = await this.#aliasVersion();
    const version = await client.send(
      new PublishVersionCommand({
        FunctionName: functionName,
        ...(config.CodeSha256 === undefined ? {} : { CodeSha256: config.CodeSha256 }),
        Description: versionDescription(deploymentId, live),
      }),
    );
    if (version.Version === undefined)
      throw new DeployFailedError(`publishing ${functionName} returned no version`);
    return stableWithoutTasks(colour, version.Version);
  }

  /**
   * An artifact that is a version published before: nothing to update or publish. The version must be one of
   * this wave's function (its ARN as ListVersionsByFunction lists it), not the one the alias serves; the
   * deployment's versions are recorded in the function's tag for the steps after.
   */
  async #prepareVersion(artifactUri: string): Promise<PrepareResult> {
    const { client, functionName, alias, deploymentId } = this.#props;
    const versions = await listVersions(client, functionName);
    const named = versions.find((entry) => entry.FunctionArn === artifactUri);
    const functionArn = functionArnOf(versions);
    if (named?.Version === undefined || functionArn === undefined) {
      throw new DeployFailedError(
        `${artifactUri} is not a published version of ${functionArnOf(versions) ?? functionName}, this wave's function: name a version of it (its account, region and number), or deploy code (an image or an s3:// zip)`,
      );
    }
    const live = await this.#aliasVersion();
    if (live === named.Version) {
      throw new DeployFailedError(
        `alias ${alias} of ${functionName} serves version ${live} already: there is nothing to deploy`,
      );
    }
    await client.send(
      new TagResourceCommand({
        Resource: functionArn,
        Tags: deploymentTag(alias, deploymentId, { version: named.Version, replaces: live }),
      }),
    );
    return { revision: named.Version, desiredCount: 0 };
  }

  async #published() {
    const { client, functionName, alias, deploymentId } = this.#props;
    return deploymentVersions(client, functionName, alias, deploymentId);
  }

  async #aliasVersion(): Promise<string> {
    const { client, functionName, alias } = this.#props;
    return (await readAlias(client, functionName, alias)).functionVersion;
  }
}

/**
 * The version an artifact names when it is a version published before: a qualified function ARN,
 * `arn:aws:lambda:<region>:<account>:function:<name>:<version>`.
 */
export function publishedVersionOf(artifactUri: string): string | undefined {
  return /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+:(\d+)$/.exec(artifactUri)?.[1];
}

/**
 * The code of an artifact: an ECR image URI (an image function), or `s3://bucket/key` with an optional
 * `?versionId=` (a zip).
 */
export function codeOf(
  artifactUri: string,
): Pick<UpdateFunctionCodeCommandInput, "ImageUri" | "S3Bucket" | "S3Key" | "S3ObjectVersion"> {
  if (artifactUri.startsWith("s3://")) {
    const url = new URL(artifactUri);
    const key = decodeURIComponent(url.pathname.replace(/^\//, ""));
    if (url.hostname === "" || key === "") {
      throw new DeployFailedError(
        `${artifactUri} names no bucket and key: expected s3://bucket/key[?versionId=…]`,
      );
    }
    const versionId = url.searchParams.get("versionId");
    return {
      S3Bucket: url.hostname,
      S3Key: key,
      ...(versionId === null ? {} : { S3ObjectVersion: versionId }),
    };
  }
  if (
    /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\/.+(@sha256:[0-9a-f]{64}|:[\w.-]+)$/.test(
      artifactUri,
    )
  ) {
    return { ImageUri: artifactUri };
  }
  throw new DeployFailedError(
    `${artifactUri} is neither an ECR image URI, an s3:// zip nor a published version's ARN: a Lambda deployment takes one of the three`,
  );
}
