import { GetAliasCommand, type LambdaClient, ListVersionsByFunctionCommand } from "@aws-sdk/client-lambda";

/**
 * A Lambda deployment's two arms are versions of one function behind one alias: the version the alias served
 * before (the old arm, blue) and the version Glidepath published for the deployment (the new arm, green).
 * Glidepath keeps no state of its own about them: the published version's description names the deployment
 * and the version it replaces, so every step finds both again, whatever the alias points at by then.
 */
export interface DeploymentVersions {
  /** The version published for the deployment. */
  readonly version: string;
  /** The version the alias served when it was published: where a rollback points the alias back. */
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

/**
 * The version published for `deploymentId`, if any: ListVersionsByFunction, every page (versions come oldest
 * first, so the newest is on the last page).
 */
export async function deploymentVersions(
  client: LambdaClient,
  functionName: string,
  deploymentId: string,
): Promise<DeploymentVersions | undefined> {
  let found: DeploymentVersions | undefined;
  let marker: string | undefined;
  do {
    const page = await client.send(
      new ListVersionsByFunctionCommand({
        FunctionName: functionName,
        ...(marker === undefined ? {} : { Marker: marker }),
      }),
    );
    for (const entry of page.Versions ?? []) {
      const described = describedVersion(entry.Description);
      if (described?.deploymentId === deploymentId && entry.Version !== undefined)
        found = { version: entry.Version, replaces: described.replaces };
    }
    marker = page.NextMarker;
  } while (marker !== undefined);
  return found;
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
