import { ConfigInvalidError, parseConfig } from "../../functions/domain/config/index.ts";

/** Every problem `parseConfig` reports for an input that must be invalid. */
export function problemsOf(input: unknown): { path: string; message: string }[] {
  try {
    parseConfig(input);
  } catch (error) {
    if (error instanceof ConfigInvalidError) return [...error.problems];
    throw error;
  }
  throw new Error("expected the config to be invalid");
}
