import { describe, expect, it } from "vitest";
import { LocalTaskCallbacks } from "../../functions/adapters/local/local-task-callbacks.ts";
import { GateExpiredError } from "../../functions/domain/errors.ts";

describe("LocalTaskCallbacks", () => {
  it("settles a task that is failed before anyone awaits it, without an unhandled rejection", async () => {
    // Prepare
    const callbacks = new LocalTaskCallbacks();
    const { taskToken, result } = callbacks.issue();

    // Act
    await callbacks.fail(taskToken, "GateApproved", "slack:ULOCALOPS approved the approval at 10%");
    await new Promise((resolve) => setTimeout(resolve, 10));

    // Assess
    await expect(result).rejects.toMatchObject({
      name: "GateApproved",
      message: "slack:ULOCALOPS approved the approval at 10%",
    });
  });

  it("resolves with the output, once: a second decision finds no waiting task", async () => {
    // Prepare
    const callbacks = new LocalTaskCallbacks();
    const { taskToken, result } = callbacks.issue();

    // Act
    await callbacks.succeed(taskToken, { outcome: "timer" });
    const second = callbacks.succeed(taskToken, { outcome: "resume" });

    // Assess
    await expect(result).resolves.toEqual({ outcome: "timer" });
    await expect(second).rejects.toThrow(GateExpiredError);
  });
});
