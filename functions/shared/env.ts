import type { z } from "zod";

/**
 * Parses the environment with `schema`; call it at module scope so a misconfigured function fails on cold start,
 * not halfway through a deployment. The error names every missing or invalid variable at once and never echoes
 * values, which may be secrets.
 */
export function readEnv<T extends z.ZodObject>(
  schema: T,
  env: Record<string, string | undefined> = process.env,
): z.output<T> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = new Map<string, string[]>();
  for (const issue of result.error.issues) {
    const name = String(issue.path[0] ?? "(environment)");
    const problem = env[name] === undefined ? "required" : issue.message;
    problems.set(name, [...(problems.get(name) ?? []), problem]);
  }
  const listed = [...problems].map(([name, list]) => `${name} (${list.join("; ")})`);
  throw new Error(`Missing or invalid environment: ${listed.join(", ")}`);
}
