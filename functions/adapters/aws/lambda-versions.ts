import {
  type FunctionConfiguration,
  GetAliasCommand,
  type LambdaClient,
  ListTagsCommand,
  ListVersionsByFunctionCommand,
} from "@aws-sdk/client-lambda";

/**
 * A Lambda deployment's two arms are versions of one function behind one alias: the version the alias served
 * before (the old arm, blue) and the new one (green): the version Glidepath published for the deployment, or
 * the already published version the artifact names. Glidepath keeps no state of its own about them: a
 * version it publishes has a description naming the deployment and the version it replaces; for a version
 * published before, a tag on the function (`glidepath:<alias>`) says the same. Every step finds both again,
 * whatever the alias points at by then.
 */
export interface DeploymentVersions {
  /** The new version. */
  readonly version: string;
  /** The version the alias served when the deployment began: where a rollback points the alias back. */
  readonly replaces: string;
}

/** The description of the version Glidepath publishes for `deploymentId`, replacing `liveVersion`. */
export function versionDescription(deploymentId: string, liveVersion: string): string {
  return `glidepath ${deploymentId} replaces ${liveVersion}`;
}

const descriptionPattern = /^glidepath (d-[0-9a-f]+) replaces (\d+)$/;

/** What a version's description says, if Glidepath published it: the deployment and the version it replaced. */
export function describedVersion(
  description: string | undefined,
): { readonly deploymentId: string; readonly replaces: string } | undefined {
  const match = descriptionPattern.exec(description ?? "");
  return match?.[1] === undefined || match[2] === undefined
    ? undefined
    : { deploymentId: match[1], replaces: match[2] };
}

/** The function's tag that records a deployment through `alias` of a version published before it. */
export function deploymentTag(
  alias: string,
  deploymentId: string,
  versions: DeploymentVersions,
): Record<string, string> {
  return { [`glidepath:${alias}`]: `${deploymentId} replaces ${versions.replaces} with ${versions.version}` };
}

const tagPattern = /^(d-[0-9a-f]+) replaces (\d+) with (\d+)$/;

/**
 * The deployment's versions, from the function's versions (as ListVersionsByFunction lists them) and its tags:
 * the newest version whose description names the deployment, else the alias's tag, if it names it.
 */
export function versionsOf(
  deploymentId: string,
  alias: string,
  versions: readonly Pick<FunctionConfiguration, "Version" | "Description">[],
  tags: Readonly<Record<string, string>>,
): DeploymentVersions | undefined {
  let found: DeploymentVersions | undefined;
  for (const entry of versions) {
    const described = describedVersion(entry.Description);
    if (described?.deploymentId === deploymentId && entry.Version !== undefined)
      found = { version: entry.Version, replaces: described.replaces };
  }
  if (found !== undefined) return found;
  const tagged = tagPattern.exec(tags[`glidepath:${alias}`] ?? "");
  return tagged?.[1] === deploymentId && tagged[2] !== undefined && tagged[3] !== undefined
    ? { version: tagged[3], replaces: tagged[2] }
    : undefined;
}

/** Every version of the function, `$LATEST` first: ListVersionsByFunction, every page (oldest first). */
export async function listVersions(
  client: LambdaClient,
  functionName: string,
): Promise<FunctionConfiguration[]> {
  const versions: FunctionConfiguration[] = [];
  let marker: string | undefined;
  do {
    const page = await client.send(
      new ListVersionsByFunctionCommand({
        FunctionName: functionName,
        ...(marker === undefined ? {} : { Marker: marker }),
      }),
    );
    versions.push(...(page.Versions ?? []));
    marker = page.NextMarker;
  } while (marker !== undefined);
  return versions;
}

/**
 * The function's unqualified ARN, what its tags are on (a version or an alias has none): `$LATEST`'s ARN in its
 * versions, which ListVersionsByFunction gives qualified (`…:function:<name>:$LATEST`).
 */
export function functionArnOf(versions: readonly FunctionConfiguration[]): string | undefined {
  return versions.find((entry) => entry.Version === "$LATEST")?.FunctionArn?.replace(/:\$LATEST$/, "");
}

/**
 * The versions of `deploymentId`, if it has them yet: the function's versions (every page) and, when none is
 * described as the deployment's, its tags (ListTags).
 */
export async function deploymentVersions(
  client: LambdaClient,
  functionName: string,
  alias: string,
  deploymentId: string,
): Promise<DeploymentVersions | undefined> {
  const versions = await listVersions(client, functionName);
  const published = versionsOf(deploymentId, alias, versions, {});
  if (published !== undefined) return published;
  const functionArn = functionArnOf(versions);
  if (functionArn === undefined) return undefined;
  const { Tags } = await client.send(new ListTagsCommand({ Resource: functionArn }));
  return versionsOf(deploymentId, alias, [], Tags ?? {});
}

/** Where an alias points and how it splits: its version, and the other versions' weights (0 to 1). */
export interface AliasShape {
  readonly functionVersion: string;
  readonly additional: Readonly<Record<string, number>>;
}

export async function readAlias(
  client: LambdaClient,
  functionName: string,
  alias: string,
): Promise<AliasShape> {
  const output = await client.send(new GetAliasCommand({ FunctionName: functionName, Name: alias }));
  if (output.FunctionVersion === undefined) {
    throw new Error(`alias ${alias} of function ${functionName} names no version`);
  }
  return {
    functionVersion: output.FunctionVersion,
    additional: output.RoutingConfig?.AdditionalVersionWeights ?? {},
  };
}
