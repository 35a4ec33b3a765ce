import { createDeployHandler } from "../deploy.ts";
import { lambdaEntry } from "./entry.ts";

export const handler = lambdaEntry(createDeployHandler);
