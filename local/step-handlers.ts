import type { Ports } from "../functions/domain/ports/index.ts";
import { createDeployHandler } from "../functions/handlers/deploy.ts";
import { createEvaluateStepHandler } from "../functions/handlers/evaluate-step.ts";
import { createOpenGateHandler } from "../functions/handlers/open-gate.ts";
import { createPromoteHandler, type PromotionLifecycle } from "../functions/handlers/promote.ts";
import { createRecordHandler } from "../functions/handlers/record.ts";
import { createResolveGateHandler } from "../functions/handlers/resolve-gate.ts";
import { createShiftTrafficHandler } from "../functions/handlers/shift-traffic.ts";
import type { StepName } from "../statemachines/step-functions.ts";
import type { StepHandler } from "./run-execution.ts";

/** Every step's handler, as its Lambda runs it, over the given ports: what a local execution invokes. */
export function stepHandlers(ports: Ports, lifecycle?: PromotionLifecycle): Record<StepName, StepHandler> {
  return {
    deploy: createDeployHandler(ports),
    "shift-traffic": createShiftTrafficHandler(ports),
    evaluate: createEvaluateStepHandler(ports),
    record: createRecordHandler(ports),
    "open-gate": createOpenGateHandler(ports),
    "resolve-gate": createResolveGateHandler(ports),
    promote: createPromoteHandler(ports, lifecycle),
  };
}
