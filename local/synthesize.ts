import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "aws-cdk-lib";
import type { GlidepathConfig } from "../functions/domain/config/index.ts";
import { ControlPlaneStack } from "../infra/stacks/control-plane-stack.ts";

/**
 * The stack's CloudFormation template as `cdk synth` builds it, without bundling the functions (a local run never
 * uploads them) and without leaving a cloud assembly behind.
 */
export function synthesizeTemplate(config: GlidepathConfig): {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
} {
  const outdir = mkdtempSync(join(tmpdir(), "glidepath-local-"));
  try {
    const app = new App({ outdir, context: { "aws:cdk:bundling-stacks": [] } });
    const stack = new ControlPlaneStack(app, "Glidepath", { config });
    return app.synth().getStackByName(stack.stackName).template;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
