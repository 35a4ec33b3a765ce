/**
 * Retries for Slack's Web API and response_url, which are not AWS calls: the SDK's retry strategy does not cover
 * them, so this loop does, honouring a 429's Retry-After.
 */

export interface RetryOptions {
  /**
   * Attempts in all, the first one included.
   * @default 5
   */
  readonly maxAttempts?: number;
  /**
   * Upper bound of the first backoff; it doubles with every attempt.
   * @default 100
   */
  readonly baseDelayMs?: number;
  /**
   * Upper bound of any backoff.
   * @default 5000
   */
  readonly maxDelayMs?: number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * Uniform in [0, 1).
   * @default Math.random
   */
  readonly random?: () => number;
  /** Which errors are worth another attempt. */
  readonly retryable: (error: unknown) => boolean;
  /**
   * A wait the service asked for (an HTTP 429's Retry-After), used instead of the backoff; return undefined to
   * back off as usual. Throwing from it gives up at once.
   * @default none
   */
  readonly requestedDelayMs?: (error: unknown) => number | undefined;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `operation`, retrying retryable errors with exponential backoff and full jitter: before retry n (from 0)
 * it sleeps a uniform random time in [0, min(maxDelayMs, baseDelayMs * 2^n)). Anything else, or the last
 * attempt's error, is thrown unchanged.
 */
export async function withRetry<T>(operation: () => Promise<T>, options: RetryOptions): Promise<T> {
  const maxAttempts = options.maxAttempts ?? 5;
  const baseDelayMs = options.baseDelayMs ?? 100;
  const maxDelayMs = options.maxDelayMs ?? 5000;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await operation();
    } catch (error) {
      if (attempt >= maxAttempts || !options.retryable(error)) throw error;
      const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
      await sleep(options.requestedDelayMs?.(error) ?? Math.floor(random() * ceiling));
    }
  }
}
