import { type MetricCounts, testBusinessMetric } from "./analysis/business-metric.ts";
import { type Analysis, analyse } from "./analysis/index.ts";
import { defaultBeta } from "./analysis/sequential-test.ts";
import { bakeWaitSeconds, maxBakeExtension } from "./bake-schedule.ts";
import { checkInputs } from "./check-inputs.ts";
import { type CheckOutcome, type FailingSince, pendingReason, sustain } from "./checks.ts";
import type { BusinessMetricConfig, PauseConfig, TargetHealthConfig } from "./config/check-schema.ts";
import type { EnvironmentConfig } from "./config/index.ts";
import {
  analysisValues,
  type EvaluationValues,
  loggable,
  number,
  percent,
  withRate,
} from "./evaluation-values.ts";
import type { AlarmStatus, ArmMetrics } from "./ports/health-signals.ts";

/** The new version's targets by health, as its DeployTarget reports them. */
export interface TargetHealthCounts {
  readonly healthy: number;
  readonly unhealthy: number;
}

export type AnalysisSettings = EnvironmentConfig["analysis"];

/** What the state machine does after an evaluation. */
export const Verdict = {
  /** Healthy so far: keep baking; `bake.complete` says when to move on (a passed analysis ends it early). */
  Continue: "continue",
  /** Not enough to judge (too little traffic, or an analysis leaning towards a degradation): bake past the plan. */
  Extend: "extend",
  Rollback: "rollback",
  /** A check whose `onFail` is "pause" failed, or a human paused: hold the weight until a human decides. */
  Pause: "pause",
} as const;
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

export interface BakeProgress {
  /** Seconds baked at this weight so far, counted from the waits the state machine made. */
  readonly elapsedSeconds: number;
  readonly bakeSeconds: number;
}

export interface EvaluationInput {
  readonly alarms: { readonly found: readonly AlarmStatus[]; readonly missing: readonly string[] };
  /** The alarms of `alarms` whose `onFail` is "pause"; the others roll back. @default [] */
  readonly pauseAlarms?: readonly string[];
  /** Each arm's counts and percentiles since traffic moved to this weight (cumulative, not per interval). */
  readonly metrics: { readonly old: ArmMetrics; readonly new: ArmMetrics };
  readonly analysis: AnalysisSettings;
  readonly bake: BakeProgress;
  /** The phase of the plan (0-based): the analysis spends `alpha` over the phases (`phaseAlpha`). @default 0 */
  readonly phaseIndex?: number;
  /**
   * The phase is the watch window after 100%: it ends when planned unless a check fails, never extended for
   * an undecided or thin result (the release already passed its canary phases). @default false
   */
  readonly watch?: boolean;
  /** Each business metric with both arms' counts since the shift. @default [] */
  readonly businessMetrics?: readonly {
    readonly metric: BusinessMetricConfig;
    readonly old: MetricCounts;
    readonly new: MetricCounts;
  }[];
  /** The new version's targets now, when the environment watches them. */
  readonly targetHealth?: { readonly settings: TargetHealthConfig; readonly counts: TargetHealthCounts };
  /** What the previous evaluation of this phase left: when each check began failing, the pause. */
  readonly state?: EvaluationState;
  /** What a pause a check asked for does when nobody decides. @default 3600 s, then rollback */
  readonly pause?: PauseConfig;
}

/** Held by the state machine between the evaluations of a phase (`$.evaluation.state`), reset by each phase. */
export interface EvaluationState {
  readonly failing: FailingSince;
  /** The deployment holds its weight for a human since `sinceSeconds` of the bake; null when not paused. */
  readonly pause: PauseState | null;
  /** A human resumed this phase after a pause: its soft checks are reported, and pause it no more. */
  readonly acknowledged: boolean;
}

export interface PauseState {
  readonly sinceSeconds: number;
  /** A check asked for it (and it times out per `pause`), or a human did (and it waits for one). */
  readonly by: "check" | "human";
}

export const initialState: EvaluationState = { failing: {}, pause: null, acknowledged: false };

export interface Evaluation {
  readonly verdict: Verdict;
  /** One sentence an operator can act on: why this verdict. */
  readonly reason: string;
  /** Every value the verdict used, for the decision log. */
  readonly values: EvaluationValues;
  /** The bake after this evaluation: done when the analysis passed, or the planned bake is over and nothing is wrong. */
  readonly bake: {
    readonly elapsedSeconds: number;
    readonly waitSeconds: number;
    readonly complete: boolean;
  };
  /** For the next evaluation of the phase. */
  readonly state: EvaluationState;
  /** The rollback is a pause that nobody decided before `pause.timeoutSeconds`. */
  readonly pauseTimedOut: boolean;
}

type Judgement =
  | { readonly kind: "rollback"; readonly reason: string }
  | { readonly kind: "pause"; readonly reason: string }
  | { readonly kind: "insufficient"; readonly reason: string }
  | { readonly kind: "pass"; readonly reason: string }
  | { readonly kind: "undecided"; readonly reason: string; readonly leaning: boolean };

/**
 * Judges one bake interval. Every check says what its failure means (`onFail`): a failure that rolls back wins
 * over one that pauses, and both over the rest. Alarms and the 5xx analysis roll back by default, latency and
 * business metrics pause; a check with `forSeconds` counts once it has failed that long. The 5xx analysis and
 * the business metrics are anytime-valid sequential tests (functions/domain/analysis), so a failure counts at
 * any sample size and at every evaluation; anything else needs `minRequests` on the new arm. A passed
 * analysis (and every business metric passed) ends the bake early; an undecided one bakes for the planned
 * time, longer (up to twice) when it leans towards a degradation. While paused, only a failure that rolls
 * back, a human or the pause's timeout moves the deployment. Pure: the same input gives the same verdict.
 */
export function evaluate(input: EvaluationInput): Evaluation {
  const { analysis: settings, bake } = input;
  const state = input.state ?? initialState;
  const analysis = analyse(input.metrics.old, input.metrics.new, settings, input.phaseIndex ?? 0);
  const businessMetrics = (input.businessMetrics ?? []).map(({ metric, old, new: fresh }) => ({
    name: metric.name,
    maxDrop: metric.maxDrop,
    ...testBusinessMetric(old, fresh, {
      alpha: analysis.alpha,
      beta: defaultBeta,
      maxDrop: metric.maxDrop,
      minSamples: metric.minSamples,
    }),
  }));
  const health = input.targetHealth;
  const unhealthyShare =
    health === undefined || health.counts.healthy + health.counts.unhealthy === 0
      ? null
      : health.counts.unhealthy / (health.counts.healthy + health.counts.unhealthy);
  const values: EvaluationValues = {
    alarms: input.alarms.found.map(({ name, state, reason }) => ({ name, state, reason })),
    missingAlarms: input.alarms.missing,
    old: withRate(input.metrics.old),
    new: withRate(input.metrics.new),
    thresholds: {
      minRequests: settings.minRequests,
      maxErrorRate: settings.maxErrorRate,
      maxErrorRateRatio: settings.maxErrorRateRatio,
      maxLatencyRatio: settings.maxLatencyRatio,
      alpha: settings.alpha,
      phaseAlpha: analysis.alpha,
      beta: analysis.beta,
      missingData: settings.missingData,
    },
    analysis: analysisValues(analysis),
    bake,
    checks: [],
    businessMetrics: businessMetrics.map((test) => ({
      ...test,
      lift: loggable(test.lift),
      fail: { ...test.fail, eValue: loggable(test.fail.eValue), bound: loggable(test.fail.bound) },
      pass: { ...test.pass, eValue: loggable(test.pass.eValue), bound: loggable(test.pass.bound) },
    })),
    targetHealth:
      health === undefined
        ? null
        : { ...health.counts, unhealthyShare, max: health.settings.maxUnhealthyShare },
    pause: null,
  };
  const checks = checkInputs(input, values, analysis, businessMetrics, unhealthyShare);
  const sustained = sustain(checks, state.failing, bake.elapsedSeconds);
  const judgement = judge(input, state, values, analysis, sustained.outcomes);
  const bakeOver = bake.elapsedSeconds >= bake.bakeSeconds;
  const extensionOver = bake.elapsedSeconds >= maxBakeExtension * bake.bakeSeconds;
  let verdict: Verdict = Verdict.Continue;
  let reason = judgement.reason;
  let complete = bakeOver;
  let next: EvaluationState = { ...state, failing: sustained.failing };
  let pauseTimedOut = false;
  let pauseValues: EvaluationValues["pause"] = null;
  let pauseWait: number | undefined;
  const waitLimit = Math.max(bake.bakeSeconds - bake.elapsedSeconds, 0);
  switch (judgement.kind) {
    case "rollback":
      verdict = Verdict.Rollback;
      break;
    case "pause": {
      const pause = state.pause ?? { sinceSeconds: bake.elapsedSeconds, by: "check" as const };
      const timeout = pause.by === "check" ? (input.pause?.timeoutSeconds ?? defaultPauseSeconds) : null;
      const pausedFor = bake.elapsedSeconds - pause.sinceSeconds;
      if (timeout !== null && pausedFor >= timeout) {
        const action = input.pause?.onTimeout ?? "rollback";
        const ended = `no decision in the ${timeout}s pause since ${pause.sinceSeconds}s at this weight`;
        if (action === "rollback") {
          verdict = Verdict.Rollback;
          pauseTimedOut = true;
          reason = `${ended}: the pause timed out into a rollback (pause.onTimeout); ${judgement.reason}`;
        } else {
          next = { ...next, pause: null, acknowledged: true };
          reason = `${ended}: resuming the plan (pause.onTimeout is resume); ${judgement.reason}`;
        }
        break;
      }
      verdict = Verdict.Pause;
      next = { ...next, pause };
      pauseValues = { ...pause, timeoutSeconds: timeout };
      // Waits grow with the pause (a quarter of it so far, at most 30 minutes), so that a pause of days
      // stays far below Step Functions' 25,000 history events; a timeout is still met to the second.
      const growing = Math.min(
        Math.max(settings.intervalSeconds, Math.floor(pausedFor / 4)),
        maxPauseWaitSeconds,
      );
      pauseWait = timeout === null ? growing : Math.min(growing, timeout - pausedFor);
      reason =
        state.pause === null
          ? `${judgement.reason}: paused for a human (onFail pause)`
          : `paused at this weight since ${pause.sinceSeconds}s by ${pause.by === "human" ? "a human" : "a check"}, waiting for resume, promote or abort (${timeout === null ? "no timeout" : `${timeout - pausedFor}s before pause.onTimeout`}); ${judgement.reason}`;
      complete = false;
      break;
    }
    case "pass":
      complete = true;
      if (!bakeOver) reason = `${reason}; the bake ends at ${bake.elapsedSeconds}s of ${bake.bakeSeconds}s`;
      break;
    case "undecided":
      if (bakeOver && judgement.leaning && !extensionOver && !input.watch) {
        verdict = Verdict.Extend;
        reason = `${reason}; leaning towards a degradation: baking on, up to ${maxBakeExtension * bake.bakeSeconds}s`;
      } else if (bakeOver && bake.bakeSeconds > 0) {
        reason = `${reason}; no significant degradation ${extensionOver && judgement.leaning ? `after ${bake.elapsedSeconds}s, ${maxBakeExtension}x the planned bake` : "in the planned bake"}`;
      }
      break;
    case "insufficient":
      if (!bakeOver) {
        verdict = Verdict.Extend;
      } else if (bake.bakeSeconds === 0 || settings.missingData === "notBreaching" || input.watch) {
        reason = `${reason}; treated as healthy (${bake.bakeSeconds === 0 ? "no bake planned" : input.watch ? "the watch window is over" : "missingData is notBreaching"})`;
      } else if (settings.missingData === "breaching" || extensionOver) {
        verdict = Verdict.Rollback;
        reason =
          settings.missingData === "breaching"
            ? `${reason}; missingData is breaching`
            : `${reason} after ${bake.elapsedSeconds}s, ${maxBakeExtension}x the planned bake: cannot judge the release`;
      } else {
        verdict = Verdict.Extend;
      }
      break;
  }
  complete = verdict === Verdict.Continue && complete;
  const bakeWait = bakeWaitSeconds(bake.elapsedSeconds, settings);
  const waitSeconds = Math.max(1, pauseWait ?? Math.min(bakeWait, waitLimit === 0 ? bakeWait : waitLimit));
  return {
    verdict,
    reason,
    values: {
      ...values,
      pause: pauseValues,
      checks: sustained.outcomes.map(({ check, onFail, failing, since, failed }) => ({
        check,
        onFail,
        failing,
        since,
        failed,
      })),
    },
    bake: { elapsedSeconds: bake.elapsedSeconds, waitSeconds, complete },
    state: next,
    pauseTimedOut,
  };
}

/** The longest wait between two evaluations of a pause. */
const maxPauseWaitSeconds = 1800;

/** A pause waits an hour for a human unless the environment's `pause` says otherwise. */
const defaultPauseSeconds = 3600;

function judge(
  input: EvaluationInput,
  state: EvaluationState,
  values: EvaluationValues,
  analysis: Analysis,
  outcomes: readonly CheckOutcome[],
): Judgement {
  const elapsed = input.bake.elapsedSeconds;
  const counted = outcomes.filter((outcome) => outcome.failed);
  const rollbacks = counted.filter((outcome) => outcome.onFail === "rollback");
  if (rollbacks.length > 0)
    return { kind: "rollback", reason: rollbacks.map((outcome) => outcome.reason).join("; ") };
  const pauses = counted.filter((outcome) => outcome.onFail === "pause");
  const pending = outcomes.filter((outcome) => outcome.failing && !outcome.failed);
  const notes = [
    ...pending.map((outcome) => pendingReason(outcome, elapsed)),
    ...(state.acknowledged && state.pause === null
      ? pauses.map((outcome) => `${outcome.reason}, acknowledged by the resume`)
      : []),
  ];
  const withNotes = (reason: string) => (notes.length === 0 ? reason : `${reason}; ${notes.join("; ")}`);
  if (state.pause !== null) {
    const still = pauses.map((outcome) => outcome.reason);
    return {
      kind: "pause",
      reason: still.length === 0 ? "the checks pass now" : still.join("; "),
    };
  }
  if (pauses.length > 0 && !state.acknowledged) {
    return { kind: "pause", reason: pauses.map((outcome) => outcome.reason).join("; ") };
  }
  const fresh = values.new;
  const old = values.old;
  const { comparison } = analysis;
  if (!analysis.enoughRequests) {
    return {
      kind: "insufficient",
      reason: withNotes(
        `new version served ${fresh.requests} of the ${input.analysis.minRequests} requests needed to judge it`,
      ),
    };
  }
  const healthy = `healthy: 5xx ${percent(fresh.errorRate)} over ${fresh.requests} requests, no alarm firing`;
  const metricsPassed = values.businessMetrics.every((test) => test.verdict === "pass");
  if (comparison.verdict === "pass" && analysis.enoughRequests && metricsPassed && notes.length === 0) {
    const metrics = values.businessMetrics.map(
      (test) =>
        `${test.name} ${percent(test.new.rate)} against ${percent(test.old.rate)}, a drop of ${percent(test.maxDrop)} ruled out`,
    );
    return {
      kind: "pass",
      reason: `${healthy}; ${comparison.pass.ratio}x the old version's 5xx rate (${percent(old.errorRate)}) is ruled out (e-value ${number(comparison.pass.eValue)} ≥ ${number(comparison.pass.bound)} on ${comparison.errors} errors)${metrics.length === 0 ? "" : `; ${metrics.join("; ")}`}`,
    };
  }
  const detail = comparison.applicable
    ? comparison.errors === 0
      ? "no errors on either version to compare"
      : comparison.verdict === "pass"
        ? `${comparison.pass.ratio}x the old version's 5xx rate (${percent(old.errorRate)}) is ruled out`
        : `undecided on ${comparison.errors} errors (old version ${percent(old.errorRate)}; e-values: fail ${number(comparison.fail.eValue)} of ${number(comparison.fail.bound)}, pass ${number(comparison.pass.eValue)} of ${number(comparison.pass.bound)})`
    : "no old version's traffic to compare with";
  const undecidedMetrics = values.businessMetrics
    .filter((test) => test.verdict === "continue")
    .map(
      (test) =>
        `${test.name} undecided (${percent(test.new.rate)} against ${percent(test.old.rate)} on ${test.new.denominator} of the new version; e-value ${number(test.fail.eValue)} of ${number(test.fail.bound)})`,
    );
  return {
    kind: "undecided",
    reason: withNotes([`${healthy}; ${detail}`, ...undecidedMetrics].join("; ")),
    // A check failing but not yet for its forSeconds, or a business metric leaning towards a drop, bakes on
    // past the plan as a leaning 5xx analysis does.
    leaning:
      pending.length > 0 ||
      values.businessMetrics.some((test) => test.verdict === "continue" && test.fail.eValue > 1) ||
      (analysis.comparison.verdict === "continue" && analysis.comparison.fail.eValue > 1),
  };
}
