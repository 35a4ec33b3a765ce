import type { Gate, GateDecision } from "../gates.ts";

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
}
