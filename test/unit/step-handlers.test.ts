import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ErrorNames } from "../../functions/domain/errors.ts";
import { fleetShare } from "../../functions/handlers/deploy.ts";
import { describeError, parseInput } from "../../functions/handlers/schemas.ts";

describe("describeError", () => {
  it.each([
    [
      "a Lambda error as Step Functions reports it",
      {
        Error: ErrorNames.AlarmFired,
        Cause: JSON.stringify({
          errorType: ErrorNames.AlarmFired,
          errorMessage: "alarm in ALARM: api-5xx",
          trace: [],
        }),
      },
      `${ErrorNames.AlarmFired}: alarm in ALARM: api-5xx`,
    ],
    [
      "a plain-text cause",
      { Error: "States.Timeout", Cause: "Task timed out" },
      "States.Timeout: Task timed out",
    ],
    ["no cause", { Error: "States.TaskFailed" }, "States.TaskFailed"],
    ["JSON without a message", { Error: "X", Cause: "[1,2]" }, "X: [1,2]"],
  ])("%s", (_case, error, expected) => {
    expect(describeError(error)).toBe(expected);
  });
});

describe("fleetShare", () => {
  it.each<["new" | "old", number, number, number]>([
    ["new", 10, 4, 1],
    ["old", 10, 4, 3],
    ["new", 50, 5, 3],
    ["old", 50, 5, 2],
    ["new", 0, 4, 0],
    ["old", 0, 4, 4],
    ["new", 100, 4, 4],
    ["old", 100, 4, 0],
  ])("%s version at %i%% of %i tasks runs %i", (role, weight, fleetSize, expected) => {
    expect(fleetShare(role, weight, fleetSize)).toBe(expected);
  });
});

describe("parseInput", () => {
  it("names every bad field and the step", () => {
    expect(() =>
      parseInput(
        z.object({ weight: z.number(), colour: z.enum(["blue", "green"]) }),
        { weight: "10" },
        "shift-traffic",
      ),
    ).toThrow(/^shift-traffic received an invalid input: weight: .*; colour: /);
  });
});
