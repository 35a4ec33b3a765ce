import { z } from "zod";
import { TargetSchema } from "../domain/config/schema.ts";
import { StepInputInvalidError } from "../domain/errors.ts";

/** Pieces of step inputs that several handlers share, validated the same way everywhere. */
export const deploymentIdSchema = z.string().regex(/^d-[0-9a-f]{20}$/, { error: "must be a deployment id" });
export const colourSchema = z.enum(["blue", "green"]);
export const targetSchema = TargetSchema;
export const weightSchema = z.number().int().min(0).max(100);

/** Parses a step input or throws an error whose message names every bad field. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown, step: string): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (issue) => `${issue.path.join(".") || "(input)"}: ${issue.message}`,
  );
  throw new StepInputInvalidError(`${step} received an invalid input: ${problems.join("; ")}`);
}
