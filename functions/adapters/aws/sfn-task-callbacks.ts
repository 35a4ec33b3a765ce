import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from "@aws-sdk/client-sfn";
import { GateExpiredError } from "../../domain/errors.ts";
import type { TaskCallbacks } from "../../domain/ports/gates.ts";

/** What Step Functions answers for a token nothing waits on any more. */
const expired = new Set(["TaskTimedOut", "TaskDoesNotExist", "InvalidToken"]);

/** Step Functions' SendTaskSuccess / SendTaskFailure. A token is passed through, never logged. */
export class SfnTaskCallbacks implements TaskCallbacks {
  readonly #client: SFNClient;

  constructor(props: { readonly client: SFNClient }) {
    this.#client = props.client;
  }

  async succeed(taskToken: string, output: Record<string, unknown>): Promise<void> {
    await this.#send(() =>
      this.#client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) })),
    );
  }

  async fail(taskToken: string, error: string, cause: string): Promise<void> {
    // Step Functions caps error at 256 and cause at 32,768 characters.
    await this.#send(() =>
      this.#client.send(
        new SendTaskFailureCommand({ taskToken, error: error.slice(0, 256), cause: cause.slice(0, 32_768) }),
      ),
    );
  }

  async #send(call: () => Promise<unknown>): Promise<void> {
    try {
      await call();
    } catch (error) {
      const name = (error as { name?: string }).name ?? "";
      if (expired.has(name))
        throw new GateExpiredError(`Step Functions answered ${name}: the task no longer waits`);
      throw error;
    }
  }
}
