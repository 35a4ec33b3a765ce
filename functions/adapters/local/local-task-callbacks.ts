import { randomUUID } from "node:crypto";
import { GateExpiredError } from "../../domain/errors.ts";
import type { TaskCallbacks } from "../../domain/ports/gates.ts";

interface Waiting {
  resolve(output: Record<string, unknown>): void;
  reject(error: Error): void;
}

/**
 * The local counterpart of a waitForTaskToken task: the local runtime gives each waiting task a fresh token
 * and a promise that `succeed` or `fail` settles, as SendTaskSuccess / SendTaskFailure end the task on AWS.
 */
export class LocalTaskCallbacks implements TaskCallbacks {
  readonly #waiting = new Map<string, Waiting>();

  /** A new token and the promise its task waits on. */
  issue(): { readonly taskToken: string; readonly result: Promise<Record<string, unknown>> } {
    const taskToken = `local-${randomUUID()}`;
    const result = new Promise<Record<string, unknown>>((resolve, reject) =>
      this.#waiting.set(taskToken, { resolve, reject }),
    );
    // A decision can come before the task awaits its result (open-gate notifies, and a human or --auto-approve
    // answers at once), as SendTaskSuccess can on AWS: the rejection is the task's, not an unhandled one.
    result.catch(() => undefined);
    return { taskToken, result };
  }

  async succeed(taskToken: string, output: Record<string, unknown>): Promise<void> {
    this.#take(taskToken).resolve(output);
  }

  async fail(taskToken: string, error: string, cause: string): Promise<void> {
    // The engine matches Catch and Retry on the error's name and reports its message as the Cause.
    this.#take(taskToken).reject(Object.assign(new Error(cause), { name: error }));
  }

  /** Forgets every waiting task, as the end of an execution does. */
  clear(): void {
    this.#waiting.clear();
  }

  #take(taskToken: string): Waiting {
    const waiting = this.#waiting.get(taskToken);
    if (waiting === undefined)
      throw new GateExpiredError("no task waits on this token (its execution ended or it was resolved)");
    this.#waiting.delete(taskToken);
    return waiting;
  }
}
