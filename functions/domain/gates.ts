import { z } from "zod";
import { DeploymentIdSchema } from "./deployment.ts";
import { ErrorNames } from "./errors.ts";

/**
 * Where a deployment waits. A bake waits for its timer between evaluations; an approval for a human; a
 * pause (asked for by a human or by a check whose `onFail` is "pause") for a human to resume, promote or
 * abort, evaluated at every interval meanwhile. Every gate is a Step Functions task token kept in the state
 * store.
 */
export const GateKind = { Bake: "bake", Approval: "approval", Pause: "pause" } as const;
export type GateKind = (typeof GateKind)[keyof typeof GateKind];

/** What a human (Slack, CLI) or an event (alarm) can do to an open gate. */
export const GateAction = {
  Approve: "approve",
  Reject: "reject",
  Promote: "promote",
  Pause: "pause",
  Resume: "resume",
  Abort: "abort",
  Alarm: "alarm",
  /** The gate's own timer: a bake's wait is over, an approval has timed out. */
  Timer: "timer",
} as const;
export type GateAction = (typeof GateAction)[keyof typeof GateAction];

export const humanActions = [
  "approve",
  "reject",
  "promote",
  "pause",
  "resume",
  "abort",
] as const satisfies readonly GateAction[];
export type HumanAction = (typeof humanActions)[number];

/** Whether a string names something a human may do to a gate (a CLI argument, a button's action id). */
export const isHumanAction = (action: string): action is HumanAction =>
  (humanActions as readonly string[]).includes(action);

const accepted: Readonly<
  Record<GateKind, { readonly human: readonly HumanAction[]; readonly events: readonly GateAction[] }>
> = {
  bake: { human: ["promote", "pause", "abort"], events: ["alarm", "timer"] },
  approval: { human: ["approve", "reject", "abort"], events: ["alarm", "timer"] },
  // A pause's timer rings the next evaluation, which may roll back, time the pause out, or hold on.
  pause: { human: ["resume", "promote", "abort"], events: ["alarm", "timer"] },
};

/**
 * The human actions a gate accepts, in button order: its Slack buttons, and what every refusal (Slack, CLI,
 * local page) lists as possible.
 */
export function gateActions(gate: Pick<Gate, "kind">): readonly HumanAction[] {
  return accepted[gate.kind].human;
}

/** Whether a gate accepts `action`: one of its human actions, or an event (alarm, timer) it waits for. */
export function acceptsAction(gate: Pick<Gate, "kind">, action: GateAction): boolean {
  const { human, events } = accepted[gate.kind];
  return (human as readonly GateAction[]).includes(action) || events.includes(action);
}

/**
 * Whether `actor` (`slack:U024BE7LH`, `cli:arn:aws:sts::…:assumed-role/Deployer/alice`) may decide the gate. A
 * gate with no approvers lets anyone who can reach the bus decide. An approver is listed with its channel
 * (`slack:U024BE7LH`) or bare (`U024BE7LH`), which matches that id from Slack or the CLI.
 */
export function mayDecide(gate: Pick<Gate, "approvers">, actor: string): boolean {
  if (gate.approvers.length === 0) return true;
  const id = actor.replace(/^(slack|cli):/, "");
  return gate.approvers.some((approver) => approver === actor || approver === id);
}

/** An open or decided gate, as the state store keeps it. The task token is never part of what leaves the store. */
export interface Gate {
  readonly deploymentId: string;
  /** Deterministic from where the execution is (`bake-2-at-60s`), so a redelivered open is the same gate. */
  readonly gateId: string;
  readonly kind: GateKind;
  /** Who may decide: Slack user ids or CLI identities; empty means anyone who can reach the bus. */
  readonly approvers: readonly string[];
  readonly openedAt: string;
  /** When the gate stops accepting decisions (its task's timeout), ISO-8601. */
  readonly expiresAt: string;
  readonly status: "open" | "decided";
  readonly decision?: GateDecision;
  /** A human-readable label for messages: "10% bake", "approval before 50%". */
  readonly label: string;
}

export interface GateDecision {
  readonly action: GateAction;
  /** `slack:U024BE7LH`, `cli:arn:aws:iam::…:user/alice`, `alarm:api-5xx`. */
  readonly actor: string;
  readonly at: string;
  readonly reason?: string;
}

/**
 * A human's decision that arrived while no gate was open (a bake or a pause is a gate per evaluation interval,
 * with a moment between two): the next gate that opens applies it, if it accepts it and it is recent.
 */
export interface HeldDecision extends GateDecision {
  readonly action: HumanAction;
  readonly responseUrl?: string;
}

/** A held decision older than this is dropped: the human decided about a moment that has passed. */
export const heldDecisionSeconds = 120;

/**
 * Names that end a timed gate early. A bake or approval gate waits in a Parallel beside its timer, and a
 * Parallel only ends early when a branch fails: so a human's early decision fails the gate with one of these
 * names, which the state machine catches to move on. They are outcomes, not faults.
 */
export const GateSignal = {
  Promoted: "GatePromoted",
  Paused: "GatePaused",
  Approved: "GateApproved",
  Resumed: "GateResumed",
} as const;
export type GateSignal = (typeof GateSignal)[keyof typeof GateSignal];

/** How a decision ends the gate's task: success with an outcome, or a named error (a signal or a real failure). */
export type GateResolution =
  | { readonly type: "success"; readonly outcome: "timer" }
  | {
      readonly type: "failure";
      readonly error: GateSignal | typeof ErrorNames.GateRejected | typeof ErrorNames.AlarmFired;
      readonly cause: string;
    };

export function resolutionOf(
  kind: GateKind,
  action: GateAction,
  decision: GateDecision,
  label: string,
): GateResolution {
  const by = `${decision.actor}${suffix(decision)}`;
  switch (action) {
    case "timer":
      return kind === "approval"
        ? {
            type: "failure",
            error: ErrorNames.GateRejected,
            cause: `the ${label} timed out with no decision: counted as rejected`,
          }
        : { type: "success", outcome: "timer" };
    case "resume":
      return {
        type: "failure",
        error: GateSignal.Resumed,
        cause: `${by} resumed the deployment at the ${label}`,
      };
    case "promote":
      return { type: "failure", error: GateSignal.Promoted, cause: `${by} promoted past the ${label}` };
    case "pause":
      return {
        type: "failure",
        error: GateSignal.Paused,
        cause: `${by} paused the deployment at the ${label}`,
      };
    case "approve":
      return { type: "failure", error: GateSignal.Approved, cause: `${by} approved the ${label}` };
    case "reject":
      return { type: "failure", error: ErrorNames.GateRejected, cause: `${by} rejected the ${label}` };
    case "abort":
      return {
        type: "failure",
        error: ErrorNames.GateRejected,
        cause: `${by} aborted the deployment at the ${label}`,
      };
    case "alarm":
      return {
        type: "failure",
        error: ErrorNames.AlarmFired,
        cause: `alarm in ALARM: ${decision.actor.replace(/^alarm:/, "")}${suffix(decision)}`,
      };
  }
}

const suffix = (decision: GateDecision) => (decision.reason === undefined ? "" : `: ${decision.reason}`);

/**
 * The detail of a "Glidepath Gate Decision" event on the Glidepath bus: what Slack callbacks and the CLI put,
 * and what resolve-gate consumes. No task token: the gate is found by deployment (and gate) id.
 */
export const GateDecisionEventSchema = z.strictObject({
  deploymentId: DeploymentIdSchema,
  /** The gate the human saw; omitted by the CLI, which acts on whatever gate is open. */
  gateId: z.string().min(1).optional(),
  action: z.enum(humanActions),
  actor: z.string().min(1),
  reason: z.string().max(500).optional(),
  /** Slack's response_url of the message the button was on, to update it with the outcome. */
  responseUrl: z.url().optional(),
});
export type GateDecisionEvent = z.output<typeof GateDecisionEventSchema>;

/** The EventBridge `source` and `detail-type` of gate decisions. */
export const GateDecisionSource = "glidepath.gates";
export const GateDecisionDetailType = "Glidepath Gate Decision";

/** Where in the execution a gate is; the same position always gives the same gate id. */
export interface GatePosition {
  readonly kind: GateKind;
  readonly phaseIndex: number;
  /** Times the phase was resumed after a pause: a bake resumed at the same second opens a new gate. */
  readonly resumes: number;
  /** Seconds baked at this weight when the gate's wait ends. */
  readonly elapsedSeconds: number;
}

/** `bake-p1-r0-60s`: deterministic, so a redelivered open and the timer that rings it name the same gate. */
export function gateIdOf(position: GatePosition): string {
  return `${position.kind}-p${position.phaseIndex + 1}-r${position.resumes}-${position.elapsedSeconds}s`;
}

export function gateLabel(position: GatePosition, weight: number): string {
  switch (position.kind) {
    case "bake":
      return `bake at ${weight}%`;
    case "approval":
      return `approval at ${weight}%`;
    case "pause":
      return `pause at ${weight}%`;
  }
}
