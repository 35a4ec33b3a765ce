import { createEvaluateStepHandler } from "../evaluate-step.ts";
import { lambdaEntry } from "./entry.ts";

export const handler = lambdaEntry(createEvaluateStepHandler);
