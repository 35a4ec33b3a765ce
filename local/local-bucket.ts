import { createHash } from "node:crypto";
import type { ZipLocation } from "./lambda-function.ts";

/** The local cloud's artifact bucket: a function's zips, one per version, as CI would upload them to S3. */
export const localBucket = "glidepath-local-artifacts";

/** Where the zip of `version` of `service` is: `<service>/<version>.zip`, with an object version. */
export function localZip(service: string, version: string): ZipLocation {
  const versionId = createHash("sha256").update(`${service}@${version}`).digest("hex").slice(0, 32);
  return { bucket: localBucket, key: `${service}/${version}.zip`, versionId };
}

/** The zip's `s3://` URI, as an ArtifactPublished event names it. */
export function zipUri(zip: ZipLocation): string {
  const versionId = zip.versionId === undefined ? "" : `?versionId=${zip.versionId}`;
  return `s3://${zip.bucket}/${zip.key}${versionId}`;
}

/** The version a zip of the local bucket holds, from its key. */
export function zipVersion(zip: ZipLocation): string {
  const version = /\/([^/]+)\.zip$/.exec(zip.key)?.[1];
  if (zip.bucket !== localBucket || version === undefined) {
    throw new Error(
      `s3://${zip.bucket}/${zip.key} is not a zip of the local bucket (s3://${localBucket}/<service>/<version>.zip)`,
    );
  }
  return version;
}
