import { createRecordHandler } from "../record.ts";
import { lambdaEntry } from "./entry.ts";

export const handler = lambdaEntry(createRecordHandler);
