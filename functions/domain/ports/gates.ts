import type { GateDecisionEvent } from "../gates.ts";

/** Ends a waiting task: Step Functions' SendTaskSuccess / SendTaskFailure, or their local counterpart. */
export interface TaskCallbacks {
  succeed(taskToken: string, output: Record<string, unknown>): Promise<void>;
  /** Throws `GateExpiredError` when the task is no longer waiting (timed out, execution ended). */
  fail(taskToken: string, error: string, cause: string): Promise<void>;
}

/** Puts gate decisions on the Glidepath bus (EventBridge PutEvents, or the local bus). */
export interface DecisionBus {
  putDecision(decision: GateDecisionEvent): Promise<void>;
}
