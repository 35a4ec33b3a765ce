import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { awsClientConfig } from "../../functions/adapters/aws/retry.ts";
import { planRelease, ReleasePublishedDetailType } from "../../functions/domain/release/manifest.ts";
import { loadConfig } from "../../infra/load-config.ts";
import { putCliEvent } from "../put-event.ts";
import { readManifest } from "./plan-release.ts";

export interface ReleaseOptions {
  readonly manifest: string;
  readonly config: string;
  readonly bus: string;
}

/**
 * `glidepath release --manifest F --config C`: checks the manifest against the config here (a manifest the
 * config refuses throws ReleaseInvalidError, exit 2, and nothing is sent), then puts the same
 * `ReleasePublished` event a CI system would on the Glidepath bus, with the caller's AWS credentials. The
 * trigger creates the release and starts its pipeline; the same manifest again is the same release.
 */
export async function releaseCommand(
  options: ReleaseOptions,
  client: EventBridgeClient,
  print: (line: string) => void,
): Promise<void> {
  const manifest = await readManifest(options.manifest);
  const plan = planRelease(manifest, await loadConfig(options.config));
  await putCliEvent(client, options.bus, ReleasePublishedDetailType, manifest);
  print(
    `release ${plan.name ?? "(unnamed)"} (${plan.releaseId}) of ${plan.groups.flat().join(", ")} sent to the ${options.bus} bus.`,
  );
  print(
    `watch it: glidepath history --releases (and the Step Functions console, execution of <stack>-release)`,
  );
}

/** The EventBridge client the command uses on AWS: the caller's credentials and region. */
export function releaseClient(): EventBridgeClient {
  return new EventBridgeClient(awsClientConfig);
}
