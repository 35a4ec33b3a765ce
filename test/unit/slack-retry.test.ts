import { describe, expect, it, vi } from "vitest";
import { withRetry } from "../../functions/adapters/slack/retry.ts";

class Flaky extends Error {
  readonly transient: boolean;

  constructor(message: string, transient = true) {
    super(message);
    this.transient = transient;
  }
}

const retryable = (error: unknown) => error instanceof Flaky && error.transient;

describe("withRetry", () => {
  it("returns the first success without sleeping", async () => {
    // Prepare
    const operation = vi.fn(async () => "ok");
    const sleep = vi.fn(async () => {});

    // Act
    const result = await withRetry(operation, { sleep, retryable });

    // Assess
    expect(result).toBe("ok");
    expect(operation).toHaveBeenCalledTimes(1);
    expect(sleep).not.toHaveBeenCalled();
  });

  it("succeeds on the second attempt after an error it may retry", async () => {
    // Prepare
    const operation = vi
      .fn<() => Promise<string>>()
      .mockRejectedValueOnce(new Flaky("503"))
      .mockResolvedValueOnce("ok");
    const sleep = vi.fn(async (_ms: number) => {});

    // Act
    const result = await withRetry(operation, { sleep, random: () => 0.5, retryable });

    // Assess
    expect(result).toBe("ok");
    expect(operation).toHaveBeenCalledTimes(2);
    expect(sleep).toHaveBeenCalledExactlyOnceWith(50);
  });

  it("throws an error it may not retry at once", async () => {
    // Prepare
    const error = new Flaky("invalid_auth", false);
    const operation = vi.fn<() => Promise<string>>().mockRejectedValue(error);
    const sleep = vi.fn(async () => {});

    // Act
    const attempt = withRetry(operation, { sleep, retryable });

    // Assess
    await expect(attempt).rejects.toBe(error);
    expect(operation).toHaveBeenCalledTimes(1);
    expect(sleep).not.toHaveBeenCalled();
  });

  it("gives up after five attempts with the last error, backing off exponentially with full jitter", async () => {
    // Prepare
    const errors = [1, 2, 3, 4, 5].map((n) => new Flaky(`503 (${n})`));
    const operation = vi.fn<() => Promise<string>>();
    for (const error of errors) operation.mockRejectedValueOnce(error);
    const sleep = vi.fn(async (_ms: number) => {});

    // Act
    const attempt = withRetry(operation, { sleep, random: () => 0.5, retryable });

    // Assess
    await expect(attempt).rejects.toBe(errors[4]);
    expect(operation).toHaveBeenCalledTimes(5);
    expect(sleep.mock.calls.map(([ms]) => ms)).toEqual([50, 100, 200, 400]);
  });

  it("caps the backoff at maxDelayMs", async () => {
    // Prepare
    const operation = vi.fn<() => Promise<string>>().mockRejectedValue(new Flaky("503"));
    const sleep = vi.fn(async (_ms: number) => {});

    // Act
    const attempt = withRetry(operation, { sleep, random: () => 0.999, maxAttempts: 9, retryable });

    // Assess
    await expect(attempt).rejects.toThrow("503");
    expect(sleep.mock.calls.map(([ms]) => ms)).toEqual([99, 199, 399, 799, 1598, 3196, 4995, 4995]);
  });

  it("draws every delay from [0, ceiling): random 0 retries at once", async () => {
    // Prepare
    const operation = vi
      .fn<() => Promise<string>>()
      .mockRejectedValueOnce(new Flaky("503"))
      .mockResolvedValueOnce("ok");
    const sleep = vi.fn(async (_ms: number) => {});

    // Act
    await withRetry(operation, { sleep, random: () => 0, retryable });

    // Assess
    expect(sleep).toHaveBeenCalledExactlyOnceWith(0);
  });

  it("waits what the service asked for instead of backing off", async () => {
    // Prepare
    const operation = vi
      .fn<() => Promise<string>>()
      .mockRejectedValueOnce(new Flaky("429"))
      .mockResolvedValueOnce("ok");
    const sleep = vi.fn(async (_ms: number) => {});

    // Act
    await withRetry(operation, { sleep, random: () => 0.5, retryable, requestedDelayMs: () => 3000 });

    // Assess
    expect(sleep).toHaveBeenCalledExactlyOnceWith(3000);
  });
});
