/**
 * The promotion pipeline's kind among the stack's state machines: it is named `<stack>-pipeline` and tagged
 * with it where a strategy machine is tagged with its strategy. Here because the execution starter (an adapter)
 * and the stack both name the machine by it.
 */
export const pipelineTag = "pipeline";

/** The release pipeline's kind, likewise: `<stack>-release`, which runs a release of several services. */
export const releasePipelineTag = "release";

/** Step Functions' limit on execution names. */
export const maxExecutionNameLength = 80;

/**
 * `<service>-<env>-<version>-<short id>`: readable in the console, unique per deployment, within 80 characters
 * and the characters Step Functions allows. The version is the part that gives way when space runs out.
 */
export function executionName(input: {
  readonly service: string;
  readonly environment: string;
  readonly version: string;
  readonly deploymentId: string;
}): string {
  // Deployment (d-), promotion (p-) and release (r-) ids alike.
  const shortId = input.deploymentId.replace(/^[dpr]-/, "").slice(0, 8);
  const fixed = `${clean(input.service)}-${clean(input.environment)}--${shortId}`;
  const room = maxExecutionNameLength - fixed.length;
  const version = clean(input.version).slice(0, Math.max(room, 0)).replace(/-+$/, "") || "v";
  return `${clean(input.service)}-${clean(input.environment)}-${version}-${shortId}`.slice(
    0,
    maxExecutionNameLength,
  );
}

/** Letters, digits, '-' and '_' only; anything else (dots, slashes, '+', spaces) becomes '-'. */
function clean(part: string): string {
  return part.replace(/[^A-Za-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "");
}
