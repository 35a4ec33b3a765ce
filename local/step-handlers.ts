import type { Ports } from "../functions/domain/ports/index.ts";
import type { AdjustRequest } from "../functions/domain/promotion/request.ts";
import { createDeployHandler } from "../functions/handlers/deploy.ts";
import { createEvaluateStepHandler } from "../functions/handlers/evaluate-step.ts";
import { createOpenGateHandler } from "../functions/handlers/open-gate.ts";
import { createPromoteHandler, type PromotionLifecycle } from "../functions/handlers/promote.ts";
import { createRecordHandler } from "../functions/handlers/record.ts";
import { createReleaseHandler } from "../functions/handlers/release.ts";
import { createResolveGateHandler } from "../functions/handlers/resolve-gate.ts";
import { createShiftTrafficHandler } from "../functions/handlers/shift-traffic.ts";
import type { StepName } from "../statemachines/step-functions.ts";
import type { StepHandler } from "./run-execution.ts";

/** The lifecycle of the pipelines' steps, and how the release step adjusts the restores it resolves. */
export interface LocalLifecycle extends PromotionLifecycle {
  /** @default unchanged */
  readonly adjust?: AdjustRequest;
}

/**
 * Every step's handler, as its Lambda runs it, over the given ports: what a local execution invokes. The
 * release step, like its Lambda, needs the config: without a lifecycle it refuses to run.
 */
export function stepHandlers(ports: Ports, lifecycle?: LocalLifecycle): Record<StepName, StepHandler> {
  return {
    deploy: createDeployHandler(ports),
    "shift-traffic": createShiftTrafficHandler(ports),
    evaluate: createEvaluateStepHandler(ports),
    record: createRecordHandler(ports),
    "open-gate": createOpenGateHandler(ports),
    "resolve-gate": createResolveGateHandler(ports),
    promote: createPromoteHandler(ports, lifecycle),
    release:
      lifecycle === undefined
        ? async () => {
            throw new Error("the release step needs the config: give stepHandlers a lifecycle");
          }
        : createReleaseHandler({ ...ports, ...lifecycle }),
  };
}
