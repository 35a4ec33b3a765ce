import { createReleaseHandler } from "../release.ts";
import { lambdaEntry } from "./entry.ts";
import { pipelineLifecycle } from "./lifecycle.ts";

/**
 * The release step resolves a failed environment's restores from the config, and a release that gives its
 * locks back starts the promotion waiting for one.
 */
const lifecycle = pipelineLifecycle();

export const handler = lambdaEntry((ports) => createReleaseHandler({ ...ports, ...lifecycle }));
