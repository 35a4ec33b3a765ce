import { ECSServiceException } from "@aws-sdk/client-ecs";
import { describe, expect, it, vi } from "vitest";
import { awsClientConfig, isRetryable, withRetry } from "../../functions/adapters/aws/retry.ts";
import { serviceError } from "../helpers/sdk-mock.ts";

function networkError(code: string): Error {
  return Object.assign(new Error(`socket hang up (${code})`), { code });
}

const retryable: ReadonlyArray<readonly [string, unknown]> = [
  ["ThrottlingException (ECS)", serviceError(ECSServiceException, "ThrottlingException", 400)],
  ["Throttling (ELBv2, CloudWatch)", serviceError(ECSServiceException, "Throttling", 400)],
  ["TooManyRequestsException", serviceError(ECSServiceException, "TooManyRequestsException", 429)],
  ["RequestLimitExceeded", serviceError(ECSServiceException, "RequestLimitExceeded", 400)],
  [
    "ProvisionedThroughputExceededException",
    serviceError(ECSServiceException, "ProvisionedThroughputExceededException", 400),
  ],
  ["ServiceUnavailable", serviceError(ECSServiceException, "ServiceUnavailable", 503)],
  ["InternalFailure", serviceError(ECSServiceException, "InternalFailure", 500)],
  ["InternalError", serviceError(ECSServiceException, "InternalError", 500)],
  ["RequestTimeout", serviceError(ECSServiceException, "RequestTimeout", 408)],
  ["an unnamed 5xx", serviceError(ECSServiceException, "ServerException", 502)],
  [
    "$retryable set by the service model",
    Object.assign(serviceError(ECSServiceException, "SomeThrottledCall", 400), {
      $retryable: { throttling: true },
    }),
  ],
  ["a reset connection", networkError("ECONNRESET")],
];

const notRetryable: ReadonlyArray<readonly [string, unknown]> = [
  ["ValidationError (ELBv2)", serviceError(ECSServiceException, "ValidationError", 400)],
  ["InvalidParameterException (ECS)", serviceError(ECSServiceException, "InvalidParameterException", 400)],
  ["AccessDeniedException", serviceError(ECSServiceException, "AccessDeniedException", 403)],
  ["ServiceNotFoundException", serviceError(ECSServiceException, "ServiceNotFoundException", 400)],
  ["a programming error", new TypeError("Cannot read properties of undefined")],
  ["a thrown string", "boom"],
];

describe("isRetryable", () => {
  it.each(retryable)("retries %s", (_label, error) => {
    // Assess
    expect(isRetryable(error)).toBe(true);
  });

  it.each(notRetryable)("does not retry %s", (_label, error) => {
    // Assess
    expect(isRetryable(error)).toBe(false);
  });
});

describe("withRetry", () => {
  it("returns the first success without sleeping", async () => {
    // Prepare
    const operation = vi.fn(async () => "ok");
    const sleep = vi.fn(async () => {});

    // Act
    const result = await withRetry(operation, { sleep });

    // Assess
    expect(result).toBe("ok");
    expect(operation).toHaveBeenCalledTimes(1);
    expect(sleep).not.toHaveBeenCalled();
  });

  it.each(retryable)("succeeds on the second attempt after %s", async (_label, error) => {
    // Prepare
    const operation = vi.fn<() => Promise<string>>().mockRejectedValueOnce(error).mockResolvedValueOnce("ok");
    const sleep = vi.fn(async (_ms: number) => {});

    // Act
    const result = await withRetry(operation, { sleep, random: () => 0.5 });

    // Assess
    expect(result).toBe("ok");
    expect(operation).toHaveBeenCalledTimes(2);
    expect(sleep).toHaveBeenCalledExactlyOnceWith(50);
  });

  it.each(notRetryable)("throws %s at once", async (_label, error) => {
    // Prepare
    const operation = vi.fn<() => Promise<string>>().mockRejectedValue(error);
    const sleep = vi.fn(async () => {});

    // Act
    const attempt = withRetry(operation, { sleep });

    // Assess
    await expect(attempt).rejects.toBe(error);
    expect(operation).toHaveBeenCalledTimes(1);
    expect(sleep).not.toHaveBeenCalled();
  });

  it("gives up after five attempts with the last error, backing off exponentially with full jitter", async () => {
    // Prepare
    const errors = [1, 2, 3, 4, 5].map((n) =>
      serviceError(ECSServiceException, "ThrottlingException", 400, `Rate exceeded (${n})`),
    );
    const operation = vi.fn<() => Promise<string>>();
    for (const error of errors) operation.mockRejectedValueOnce(error);
    const sleep = vi.fn(async (_ms: number) => {});

    // Act
    const attempt = withRetry(operation, { sleep, random: () => 0.5 });

    // Assess
    await expect(attempt).rejects.toBe(errors[4]);
    expect(operation).toHaveBeenCalledTimes(5);
    expect(sleep.mock.calls.map(([ms]) => ms)).toEqual([50, 100, 200, 400]);
  });

  it("caps the backoff at maxDelayMs", async () => {
    // Prepare
    const operation = vi
      .fn<() => Promise<string>>()
      .mockRejectedValue(serviceError(ECSServiceException, "ThrottlingException", 400));
    const sleep = vi.fn(async (_ms: number) => {});

    // Act
    const attempt = withRetry(operation, { sleep, random: () => 0.999, maxAttempts: 9 });

    // Assess
    await expect(attempt).rejects.toThrow("ThrottlingException from the service");
    expect(sleep.mock.calls.map(([ms]) => ms)).toEqual([99, 199, 399, 799, 1598, 3196, 4995, 4995]);
  });

  it("draws every delay from [0, ceiling): random 0 retries at once", async () => {
    // Prepare
    const operation = vi
      .fn<() => Promise<string>>()
      .mockRejectedValueOnce(serviceError(ECSServiceException, "Throttling", 400))
      .mockResolvedValueOnce("ok");
    const sleep = vi.fn(async (_ms: number) => {});

    // Act
    await withRetry(operation, { sleep, random: () => 0 });

    // Assess
    expect(sleep).toHaveBeenCalledExactlyOnceWith(0);
  });
});

describe("awsClientConfig", () => {
  it("leaves retries to withRetry: one attempt per SDK call", () => {
    // Assess
    expect(awsClientConfig).toEqual({ maxAttempts: 1 });
  });
});
