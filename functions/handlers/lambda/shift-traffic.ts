import { createShiftTrafficHandler } from "../shift-traffic.ts";
import { lambdaEntry } from "./entry.ts";

export const handler = lambdaEntry(createShiftTrafficHandler);
