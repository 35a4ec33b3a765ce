import type { Decision } from "../deployment.ts";

/**
 * The append-only decision log: why every continue, pause, rollback, gate and promotion step happened, with
 * the values that drove it. It is written for humans; nothing reads it to decide what to do next.
 */
export interface DecisionLog {
  /**
   * Recording the same decision again (same deployment, `at` and `id`) is a no-op. Both are part of the key,
   * so a retrying caller must reuse them rather than take a fresh timestamp.
   */
  append(decision: Decision): Promise<{ readonly appended: boolean }>;

  /** Oldest first. */
  list(deploymentId: string): Promise<readonly Decision[]>;
}
