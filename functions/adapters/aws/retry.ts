import type { Pluggable } from "@smithy/types";

/**
 * AWS calls have one retry layer: the SDK's standard retry strategy, configured here for every client. It backs
 * off exponentially with full jitter (from 50 ms, from 1 s when throttled, never more than 20 s a wait), stops
 * retrying when a client's retry quota runs dry, and knows which errors are throttling, transient or a
 * connection failure. Adapters do not retry on top of it.
 */
export const awsClientConfig = { maxAttempts: 5, retryMode: "standard" } as const;

/** Marks an error for the SDK's retry strategy the way the SDK marks the retryable errors of its models. */
export function retryable<T extends Error>(error: T, throttling: boolean): T {
  return Object.assign(error, { $retryable: { throttling } });
}

/**
 * Some calls answer 200 with a failure inside: PutEvents' FailedEntryCount, GetMetricData's results that
 * CloudWatch could not compute. Used on a command (`command.middlewareStack.use(…)`), this turns such an answer
 * into the error `failureOf` returns, thrown below the SDK's retry middleware: a `retryable` one is retried by
 * the same strategy, backoff and quota as any other failed call, anything else is thrown as it is.
 */
export function failOutputs<Input extends object, Output extends object>(
  failureOf: (output: Output) => Error | undefined,
): Pluggable<Input, Output> {
  return {
    applyToStack: (stack) =>
      stack.add(
        (next) => async (args) => {
          const result = await next(args);
          const failure = failureOf(result.output);
          if (failure !== undefined) throw failure;
          return result;
        },
        { step: "finalizeRequest", priority: "low", name: "glidepathOutputFailures" },
      ),
  };
}
