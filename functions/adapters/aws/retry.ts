/**
 * The one retry layer of the AWS adapters. SDK clients are created with `awsClientConfig` (one attempt) so that
 * a throttled call is retried here, where tests can see it and where the backoff is the same for every service.
 */

/** Client configuration for every SDK client the adapters receive: the adapters retry, the SDK does not. */
export const awsClientConfig = { maxAttempts: 1 } as const;

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
  /**
   * Which errors are worth another attempt.
   * @default isRetryable: AWS throttling, 5xx and network errors
   */
  readonly retryable?: (error: unknown) => boolean;
  /**
   * A wait the service asked for (an HTTP 429's Retry-After), used instead of the backoff; return undefined to
   * back off as usual. Throwing from it gives up at once.
   * @default none
   */
  readonly requestedDelayMs?: (error: unknown) => number | undefined;
}

const retryableNames: ReadonlySet<string> = new Set([
  "ThrottlingException",
  "Throttling",
  "ThrottledException",
  "RequestThrottled",
  "RequestThrottledException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "ProvisionedThroughputExceededException",
  "ServiceUnavailable",
  "InternalFailure",
  "InternalError",
  "RequestTimeout",
  "RequestTimeoutException",
  "TimeoutError",
]);

// Connection-level failures from Node's HTTP stack: the request may never have reached AWS.
const retryableCodes: ReadonlySet<string> = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
]);

interface ErrorShape {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly $retryable?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
}

/** Throttling and transient server or network errors; never a client error such as a 4xx validation error. */
export function isRetryable(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const shape = error as ErrorShape;
  if (typeof shape.name === "string" && retryableNames.has(shape.name)) return true;
  if (typeof shape.code === "string" && retryableCodes.has(shape.code)) return true;
  if (shape.$retryable !== undefined && shape.$retryable !== null) return true;
  const status = shape.$metadata?.httpStatusCode;
  return typeof status === "number" && status >= 500;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `operation`, retrying retryable errors with exponential backoff and full jitter: before retry n (from 0)
 * it sleeps a uniform random time in [0, min(maxDelayMs, baseDelayMs * 2^n)). Anything else, or the last
 * attempt's error, is thrown unchanged.
 */
export async function withRetry<T>(operation: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const maxAttempts = options.maxAttempts ?? 5;
  const baseDelayMs = options.baseDelayMs ?? 100;
  const maxDelayMs = options.maxDelayMs ?? 5000;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await operation();
    } catch (error) {
      if (attempt >= maxAttempts || !(options.retryable ?? isRetryable)(error)) throw error;
      const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
      await sleep(options.requestedDelayMs?.(error) ?? Math.floor(random() * ceiling));
    }
  }
}
