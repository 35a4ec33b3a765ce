import { type ExperimentVerdict, recordedVerdict } from "./analysis/experiment.ts";
import type { Decision } from "./deployment.ts";

/** What the checks of one deployment said, from its decision log: for summaries, reports and `--json`. */
export interface CheckVerdicts {
  /** The action of its last evaluation (continue, extend, pause, rollback), or null when none ran. */
  readonly last: string | null;
  /** Every check of the last evaluation, with what failing meant and whether it counted. */
  readonly checks: readonly { readonly check: string; readonly onFail: string; readonly failed: boolean }[];
  /** Each business metric as the last evaluation tested it. */
  readonly businessMetrics: readonly {
    readonly name: string;
    readonly verdict: string;
    readonly oldRate: number | null;
    readonly newRate: number | null;
    readonly lift: number | null;
    readonly eValue: number;
    readonly bound: number;
  }[];
  /** The first pause a check asked for, with its reason; null when none did. */
  readonly paused: { readonly at: string; readonly reason: string } | null;
  /** An experiment's verdict, with each arm's counts and the lift's interval; null for other strategies. */
  readonly experiment: ExperimentVerdict | null;
}

interface LoggedValues {
  readonly checks?: readonly { check: string; onFail: string; failed: boolean }[];
  readonly businessMetrics?: readonly {
    name: string;
    verdict: string;
    old: { rate: number | null };
    new: { rate: number | null };
    lift: number | null;
    fail: { eValue: number; bound: number };
  }[];
}

/** The evaluations are the decisions of the analysis and of the alarms (`alarm:<names>`) with a check list. */
export function checkVerdicts(decisions: readonly Decision[]): CheckVerdicts {
  const evaluations = decisions.filter(
    (decision) => (decision.values as LoggedValues).checks !== undefined && decision.id.startsWith("phase-"),
  );
  const last = evaluations.at(-1);
  const values = (last?.values ?? {}) as LoggedValues;
  const pause = evaluations.find((decision) => decision.action === "pause" && decision.actor === "analysis");
  return {
    last: last?.action ?? null,
    checks: (values.checks ?? []).map(({ check, onFail, failed }) => ({ check, onFail, failed })),
    businessMetrics: (values.businessMetrics ?? []).map((test) => ({
      name: test.name,
      verdict: test.verdict,
      oldRate: test.old.rate,
      newRate: test.new.rate,
      lift: test.lift,
      eValue: test.fail.eValue,
      bound: test.fail.bound,
    })),
    paused: pause === undefined ? null : { at: pause.at, reason: pause.reason },
    experiment: recordedVerdict(decisions) ?? null,
  };
}
