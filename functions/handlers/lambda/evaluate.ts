import { createEvaluateHandler } from "../evaluate.ts";
import { lambdaEntry } from "./entry.ts";

export const handler = lambdaEntry(createEvaluateHandler);
