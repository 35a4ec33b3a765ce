import { createHash } from "node:crypto";
import type { ServiceConfig } from "../functions/domain/config/index.ts";
import { configWaves } from "../functions/domain/config/waves.ts";
import { localZip, zipUri } from "./local-bucket.ts";

/**
 * The ArtifactPublished detail of a local push, with a digest derived from the version: for a function, its
 * zip in the local bucket (as CI uploads a zip to S3), else the local image.
 */
export function artifactDetail(service: ServiceConfig, version: string) {
  const digest = `sha256:${createHash("sha256").update(`${service.name}:${version}`).digest("hex")}`;
  const functions = configWaves({ services: [service] }).some((wave) => wave.target.type === "local-lambda");
  const uri = functions ? zipUri(localZip(service.name, version)) : `local://${service.name}@${digest}`;
  return { service: service.name, uri, digest, version };
}

export function artifactSource(service: ServiceConfig): string {
  if (service.artifact.type !== "custom") {
    throw new Error(
      `the local run publishes ArtifactPublished events: service ${service.name} needs artifact { type: "custom", source }`,
    );
  }
  return service.artifact.source;
}
