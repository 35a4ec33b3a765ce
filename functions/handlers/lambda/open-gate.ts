import { createOpenGateHandler } from "../open-gate.ts";
import { lambdaEntry } from "./entry.ts";

export const handler = lambdaEntry(createOpenGateHandler);
