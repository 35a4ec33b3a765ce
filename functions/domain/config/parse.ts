import type { z } from "zod";
import { ErrorNames, GlidepathError } from "../errors.ts";
import { type GlidepathConfig, GlidepathConfigSchema } from "./schema.ts";

export interface ConfigProblem {
  /** Where the problem is, e.g. `services[0].environments[2].strategy.steps[1]`. */
  readonly path: string;
  readonly message: string;
}

/** `<source> is invalid (2 problems):` and one line per problem, with its path. */
export function problemsMessage(source: string, problems: readonly ConfigProblem[]): string {
  const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
  return `${source} is invalid (${count}):\n${problems.map((p) => `  - ${p.path}: ${p.message}`).join("\n")}`;
}

export class ConfigInvalidError extends GlidepathError {
  override readonly name = ErrorNames.ConfigInvalid;
  readonly problems: readonly ConfigProblem[];
  constructor(problems: readonly ConfigProblem[], source = "config") {
    super(problemsMessage(source, problems));
    this.problems = problems;
  }
}

/** Parses and normalises a config, or throws `ConfigInvalidError` listing every problem with its path. */
export function parseConfig(input: unknown, source?: string): GlidepathConfig {
  const result = GlidepathConfigSchema.safeParse(input);
  if (result.success) return result.data;
  throw new ConfigInvalidError(result.error.issues.map(toProblem), source);
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out === "" ? "(root)" : out;
}

/** One zod issue as a problem: its path as the config writes it, and what to do. */
export function toProblem(issue: z.core.$ZodIssue): ConfigProblem {
  return { path: formatPath(issue.path), message: describe(issue) };
}

function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys") {
    return `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `'${k}'`).join(", ")}: remove or fix the spelling`;
  }
  if (issue.code === "invalid_type" && issue.message.startsWith("Invalid input: expected")) {
    const expected = issue.message.replace("Invalid input: ", "");
    return expected.endsWith("received undefined")
      ? `required (${expected.replace(", received undefined", "")})`
      : expected;
  }
  return issue.message;
}
