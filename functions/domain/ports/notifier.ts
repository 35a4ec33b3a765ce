import type { ExperimentVerdict } from "../analysis/experiment.ts";
import type { ExposureTotal } from "../exposure.ts";
import type { GateDecision, GateKind, HumanAction } from "../gates.ts";

/** Everything a human needs to decide at a gate, and nothing secret (never the task token). */
export interface GateNotice {
  readonly deploymentId: string;
  readonly gateId: string;
  readonly kind: GateKind;
  readonly label: string;
  readonly service: string;
  readonly environment: string;
  readonly version: string;
  readonly weights: { readonly old: number; readonly new: number };
  /** One line on health, e.g. "5xx 0.1% · p95 48 ms over 1,204 requests, no alarm firing". */
  readonly health: string;
  /** The human actions this gate accepts, in button order. */
  readonly actions: readonly HumanAction[];
  /** Link to the execution in the Step Functions console (or the local equivalent). */
  readonly executionUrl: string;
  readonly expiresAt: string;
}

/** Where humans hear about gates: Slack on AWS, the terminal and a local approval page locally. */
export interface Notifier {
  gateOpened(notice: GateNotice): Promise<void>;
  /** Updates the gate's message to show who decided what; `responseUrl` is Slack's, when the decision came from Slack. */
  gateDecided(notice: GateNotice, decision: GateDecision, responseUrl?: string): Promise<void>;
  /** A promotion ended, or froze: a message that pages whoever watches the channel when it did not succeed. */
  promotionEnded(notice: PromotionNotice): Promise<void>;
  /** An experiment was judged: the verdict per arm, and what happens next. */
  experimentJudged(notice: ExperimentNotice): Promise<void>;
}

/** An experiment's verdict, once, when its planned duration is over (or a human ended it early). */
export interface ExperimentNotice {
  readonly deploymentId: string;
  readonly service: string;
  readonly environment: string;
  readonly version: string;
  readonly verdict: ExperimentVerdict;
  /** What follows: "promoting the treatment to 100%", "waiting for an approval to promote", "the flag goes back". */
  readonly next: string;
  readonly executionUrl: string;
}

/** The end of a promotion, or an environment frozen on the way: humans hear about every one. */
export interface PromotionNotice {
  readonly promotionId: string;
  readonly service: string;
  readonly version: string;
  /** `frozen`: an irreversible hook ran before the failure; traffic stays on the old version, someone must act. */
  readonly outcome: "promoted" | "stopped" | "frozen";
  /** The environment it stopped or froze in, or the last one it reached. */
  readonly environment: string;
  readonly reason: string;
  readonly executionUrl: string;
  /** What the new version served over the waves that started; absent when none recorded it. */
  readonly exposure?: ExposureTotal;
}
