import type { ExperimentVerdict } from "../domain/analysis/experiment.ts";
import type { Ports } from "../domain/ports/index.ts";
import { createEvaluateHandler, type EvaluateOutput } from "./evaluate.ts";
import { createJudgeExperimentHandler } from "./judge-experiment.ts";

/**
 * The evaluate step's function: an evaluation of a bake, or with `action: "judge"` an experiment's verdict.
 * Both read the same CloudWatch metrics in the wave's account, so they share one function and its role.
 */
export function createEvaluateStepHandler(ports: Ports) {
  const evaluate = createEvaluateHandler(ports);
  const judge = createJudgeExperimentHandler(ports);
  return (event: unknown): Promise<EvaluateOutput | ExperimentVerdict> =>
    typeof event === "object" && event !== null && "action" in event && event.action === "judge"
      ? judge(event)
      : evaluate(event);
}
