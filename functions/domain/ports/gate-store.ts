import type { Gate, GateDecision, HeldDecision } from "../gates.ts";

export type DecideGateResult =
  | { readonly decided: true; readonly taskToken: string; readonly gate: Gate }
  | { readonly decided: false; readonly gate: Gate | undefined };

/** Gates and their task tokens. A token never leaves the store except to resolve its task. */
export interface GateStore {
  /**
   * Keeps a gate and its task token, and makes it the deployment's open gate. Opening the same gate again
   * (a redelivered task) keeps the first record but takes the new token, which is the one Step Functions waits on.
   */
  open(gate: Gate, taskToken: string): Promise<void>;

  /** The gate as stored, without its token. */
  get(deploymentId: string, gateId: string): Promise<Gate | undefined>;

  /** The deployment's most recently opened gate, if it is still open. */
  getOpen(deploymentId: string): Promise<Gate | undefined>;

  /**
   * Decides an open gate: the first decision wins through a conditional update. Returns the token to resolve
   * the task with, or the decision that won before.
   */
  decide(deploymentId: string, gateId: string, decision: GateDecision): Promise<DecideGateResult>;

  /**
   * Keeps a human's decision that found no gate open (between two evaluations of a bake or a pause) for the
   * deployment's next gate. One at a time: false, keeping nothing, when one is already held.
   */
  hold(deploymentId: string, decision: HeldDecision): Promise<boolean>;

  /** Takes the held decision, if any: removed as it is returned, so only one gate ever gets it. */
  takeHeld(deploymentId: string): Promise<HeldDecision | undefined>;
}
