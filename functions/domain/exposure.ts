import type { Decision } from "./deployment.ts";
import type { Colour } from "./ports/traffic-router.ts";

/**
 * What the new version of one deployment served to users, from the first shift of traffic to it until the
 * deployment ended (traffic back on the old version, or the new one at 100%): the decision log's `exposure`
 * entry, recorded by the record step from the wave's own metrics (the router's on this machine, CloudWatch's
 * on AWS, where the last minute may not have been delivered yet when it is read).
 */
export interface ExposureValues {
  readonly colour: Colour;
  /** ISO-8601: the first shift of traffic to the new version. */
  readonly from: string;
  /** ISO-8601: when the deployment ended. */
  readonly to: string;
  readonly requests: number;
  readonly errors: number;
}

/**
 * When traffic first moved to the new version, from the decision log: the first evaluation was made
 * `bake.elapsedSeconds` after its phase's shift. Undefined when nothing was evaluated (no traffic moved).
 */
export function firstShiftAt(decisions: readonly Decision[]): string | undefined {
  const evaluations = decisions
    .filter((decision) => isEvaluation(decision))
    .map((decision) => {
      const elapsed = (decision.values.bake as { elapsedSeconds?: unknown } | undefined)?.elapsedSeconds;
      return Date.parse(decision.at) - (typeof elapsed === "number" ? elapsed * 1000 : 0);
    });
  return evaluations.length === 0 ? undefined : new Date(Math.min(...evaluations)).toISOString();
}

/** The new colour the evaluations judged, from the decision log. */
export function evaluatedColour(decisions: readonly Decision[]): Colour | undefined {
  const colour = decisions.find((decision) => isEvaluation(decision))?.values.newColour;
  return colour === "blue" || colour === "green" ? colour : undefined;
}

/** An evaluation of a bake (evaluate's entries carry the phase they judged). */
export function isEvaluation(decision: Decision): boolean {
  return (
    typeof decision.values.phase === "object" &&
    decision.values.phase !== null &&
    "weight" in decision.values.phase
  );
}

/**
 * Evaluations in the order of the plan: by phase, then by the bake made. An evaluation's time is its bake's
 * own clock (the shift plus the waits made), which a pause, or the local run's speed-up, leaves apart from
 * the wall clock: time order can interleave two phases.
 */
export function inPlanOrder(evaluations: readonly Decision[]): Decision[] {
  const key = (decision: Decision) => {
    const values = decision.values as { phase?: { index?: number }; bake?: { elapsedSeconds?: number } };
    return [values.phase?.index ?? 0, values.bake?.elapsedSeconds ?? 0] as const;
  };
  return [...evaluations].sort((one, other) => {
    const [a, b] = [key(one), key(other)];
    return a[0] - b[0] || a[1] - b[1];
  });
}

/** The exposure entry of a deployment's decision log, as the record step writes it. */
export function exposureDecision(deploymentId: string, values: ExposureValues & { at: string }): Decision {
  const { at, ...rest } = values;
  return {
    deploymentId,
    id: "exposure",
    at,
    action: "exposure",
    actor: "record",
    reason: `the new version served ${rest.requests} requests and ${rest.errors} errors from its first shift until the deployment ended`,
    values: rest satisfies ExposureValues,
  };
}

/** What the new version served over a promotion's waves, from each wave's exposure entry. */
export interface ExposureTotal {
  readonly requests: number;
  readonly errors: number;
  /** Waves whose deployment recorded its exposure, of `waves` that started. */
  readonly recorded: number;
  readonly waves: number;
}

/** Sums the exposure entries of the decision logs of a promotion's started waves. Pure. */
export function exposureTotal(logs: readonly (readonly Decision[])[]): ExposureTotal {
  const entries = logs.flatMap((log) => {
    const entry = log.find((decision) => decision.action === "exposure");
    return entry === undefined ? [] : [entry.values as unknown as ExposureValues];
  });
  return {
    requests: entries.reduce((sum, entry) => sum + entry.requests, 0),
    errors: entries.reduce((sum, entry) => sum + entry.errors, 0),
    recorded: entries.length,
    waves: logs.length,
  };
}

/** "the new version served 142 requests and 9 errors (2 of 2 waves recorded)". */
export function describeExposure(total: ExposureTotal): string {
  return `the new version served ${total.requests} requests and ${total.errors} errors (${total.recorded} of ${total.waves} waves recorded)`;
}
