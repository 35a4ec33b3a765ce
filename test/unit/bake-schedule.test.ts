import { describe, expect, it } from "vitest";
import { bakeEvaluations, bakeWaitSeconds } from "../../functions/domain/bake-schedule.ts";

const defaults = { intervalSeconds: 30, maxIntervalSeconds: 600 };

describe("bakeWaitSeconds", () => {
  it("waits the interval for the first 300 seconds of a bake (a tenth of it is less)", () => {
    expect([0, 30, 299, 300].map((elapsed) => bakeWaitSeconds(elapsed, defaults))).toEqual([30, 30, 30, 30]);
  });

  it("then waits a tenth of the time baked so far, whole seconds", () => {
    expect([310, 1000, 4567].map((elapsed) => bakeWaitSeconds(elapsed, defaults))).toEqual([31, 100, 456]);
  });

  it("never waits longer than maxIntervalSeconds", () => {
    expect([6000, 86_400].map((elapsed) => bakeWaitSeconds(elapsed, defaults))).toEqual([600, 600]);
  });

  it("keeps evenly spaced looks when maxIntervalSeconds is at or below the interval", () => {
    expect(bakeWaitSeconds(86_400, { intervalSeconds: 30, maxIntervalSeconds: 30 })).toBe(30);
    expect(bakeWaitSeconds(86_400, { intervalSeconds: 60, maxIntervalSeconds: 10 })).toBe(60);
  });
});

describe("bakeEvaluations", () => {
  it("counts the look at once and one per interval for a short bake: 300 s at 30 s is 11", () => {
    expect(bakeEvaluations(300, defaults)).toBe(11);
  });

  it("cuts the last wait to the time left: 45 s at 30 s is looks at 0, 30 and 45", () => {
    expect(bakeEvaluations(45, defaults)).toBe(3);
  });

  it("looks once at a bake of none", () => {
    expect(bakeEvaluations(0, defaults)).toBe(1);
  });

  it("takes 177 looks for 24 hours with the defaults, against 2,881 evenly spaced", () => {
    expect(bakeEvaluations(86_400, defaults)).toBe(177);
    expect(bakeEvaluations(86_400, { intervalSeconds: 30, maxIntervalSeconds: 30 })).toBe(2881);
  });
});
