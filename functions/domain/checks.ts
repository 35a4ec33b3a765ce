import type { OnFail } from "./config/check-schema.ts";

/**
 * The checks an evaluation runs, by the name the decision log and the `failing` state use: `alarms` (those
 * that roll back), `alarms:pause` (those whose `onFail` is "pause"), `errors`, `latency`, `target-health`, and `metric:<name>` for each business metric.
 */
export type CheckName =
  | "alarms"
  | "alarms:pause"
  | "errors"
  | "latency"
  | "target-health"
  | `metric:${string}`;

/** Per check, the bake second at which it began failing, carried by the state machine between evaluations. */
export type FailingSince = Readonly<Record<string, number>>;

export interface CheckInput {
  readonly check: CheckName;
  readonly onFail: OnFail;
  /** Seconds the check must keep failing before it counts. */
  readonly forSeconds: number;
  /** Failing at this evaluation. */
  readonly failing: boolean;
  /** Why it fails, with the numbers; empty when it does not. */
  readonly reason: string;
}

export interface CheckOutcome extends CheckInput {
  /** The bake second it began failing, while it fails. */
  readonly since: number | null;
  /** Failing for at least `forSeconds`: it counts, and `onFail` applies. */
  readonly failed: boolean;
}

/**
 * Each check's outcome at bake second `elapsedSeconds`, given when each began failing: a check counts once it
 * has failed at every evaluation for `forSeconds`, as CloudWatch counts "for 5 minutes" as consecutive
 * breaching datapoints. Returns the outcomes and the `failing` state for the next evaluation.
 */
export function sustain(
  checks: readonly CheckInput[],
  previous: FailingSince,
  elapsedSeconds: number,
): { readonly outcomes: readonly CheckOutcome[]; readonly failing: FailingSince } {
  const failing: Record<string, number> = {};
  const outcomes = checks.map((check): CheckOutcome => {
    if (!check.failing) return { ...check, since: null, failed: false };
    const since = Math.min(previous[check.check] ?? elapsedSeconds, elapsedSeconds);
    failing[check.check] = since;
    return { ...check, since, failed: elapsedSeconds - since >= check.forSeconds };
  });
  return { outcomes, failing };
}

/** How a still-running check reads in a reason: "p95 … (failing for 60s of the 300s it needs)". */
export function pendingReason(outcome: CheckOutcome, elapsedSeconds: number): string {
  return `${outcome.reason} (failing for ${elapsedSeconds - (outcome.since ?? elapsedSeconds)}s of the ${outcome.forSeconds}s it needs)`;
}
