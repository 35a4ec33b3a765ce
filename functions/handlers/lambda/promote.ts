import { createPromoteHandler } from "../promote.ts";
import { lambdaEntry } from "./entry.ts";
import { pipelineLifecycle } from "./lifecycle.ts";

/** The promote step ends promotions: it releases their lock and starts the promotion waiting for it. */
const lifecycle = pipelineLifecycle();

export const handler = lambdaEntry((ports) => createPromoteHandler(ports, lifecycle));
