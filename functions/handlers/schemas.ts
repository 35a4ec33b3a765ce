import { z } from "zod";
import { regionName } from "../domain/config/fields.ts";
import { WaveTargetSchema } from "../domain/config/target-schema.ts";
import { DeploymentIdSchema } from "../domain/deployment.ts";
import { StepInputInvalidError } from "../domain/errors.ts";
import type { MetricsWindow } from "../domain/ports/health-signals.ts";
import type { WaveAccess } from "../domain/ports/index.ts";

/** Pieces of step inputs that several handlers share, validated the same way everywhere. */
export const colourSchema = z.enum(["blue", "green"]);
export const weightSchema = z.number().int().min(0).max(100);

/** Where a step acts (see `targetPayload` in statemachines/fragments/context.ts): the wave's target and place. */
export const targetFields = {
  deploymentId: DeploymentIdSchema,
  target: WaveTargetSchema,
  account: z.string().regex(/^\d{12}$/, { error: "must be a 12-digit account id" }),
  region: regionName,
};

export function accessOf(input: { deploymentId: string; account: string; region: string }): WaveAccess {
  return { deploymentId: input.deploymentId, account: input.account, region: input.region };
}

/**
 * The metrics window of a phase: from the shift to now. The first look can run in the millisecond of the
 * shift; a window is never empty.
 */
export function windowSince(shiftedAt: string, now: Date): MetricsWindow {
  const start = new Date(shiftedAt);
  return { start, end: new Date(Math.max(now.getTime(), start.getTime() + 1000)) };
}

/** Parses a step input or throws an error whose message names every bad field. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown, step: string): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (issue) => `${issue.path.join(".") || "(input)"}: ${issue.message}`,
  );
  throw new StepInputInvalidError(`${step} received an invalid input: ${problems.join("; ")}`);
}

/** What a Step Functions `Catch` puts at its ResultPath. */
export const CaughtError = z.object({ Error: z.string(), Cause: z.string().optional() });

/**
 * `Error: message`; for a failed nested execution, its error and message. On AWS a Lambda error's Cause is a JSON document with `errorMessage`; the local engine
 * and Step Functions' own errors (States.Timeout) give plain text.
 */
export function describeError(error: z.output<typeof CaughtError>): string {
  let message = error.Cause ?? "";
  try {
    const parsed: unknown = JSON.parse(message);
    if (typeof parsed === "object" && parsed !== null && "errorMessage" in parsed) {
      message = String(parsed.errorMessage);
    } else if (typeof parsed === "object" && parsed !== null && "Error" in parsed && "Cause" in parsed) {
      // A nested execution (startExecution.sync) that failed: its own error says what happened.
      return describeError({ Error: String(parsed.Error), Cause: String(parsed.Cause) });
    }
  } catch {
    // Plain text already.
  }
  return message === "" ? error.Error : `${error.Error}: ${message}`;
}
