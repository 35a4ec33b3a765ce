import { createResolveGateHandler } from "../resolve-gate.ts";
import { lambdaEntry } from "./entry.ts";

export const handler = lambdaEntry(createResolveGateHandler);
