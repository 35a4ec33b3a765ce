import { describe, expect, it } from "vitest";
import {
  emptyFlagDocument,
  evaluateFlag,
  type FlagDocument,
  flagDeploymentDescription,
  nextFlagStep,
  splitOf,
  splitOfDescription,
  verifiedShift,
  withSplit,
} from "../../functions/domain/flags.ts";

const rollout = { flag: "new-checkout", splitKey: "userId" } as const;

describe("withSplit and splitOf", () => {
  it.each([0, 1, 10, 50, 100])("reads back the %i% it wrote", (percent) => {
    // Act
    const reading = splitOf(withSplit(emptyFlagDocument(), rollout, percent), rollout);

    // Assess
    expect(reading).toEqual({ kind: "split", percent });
  });

  it("writes 0% as a plain disabled flag, and any other share as treatment then the default control", () => {
    // Act
    const off = withSplit(emptyFlagDocument(), rollout, 0);
    const on = withSplit(emptyFlagDocument(), rollout, 25);

    // Assess
    expect(off.values[rollout.flag]).toEqual({ enabled: false });
    expect(on.values[rollout.flag]).toEqual({
      _variants: [
        { name: "treatment", enabled: true, rule: "(split by::$userId pct::25)" },
        { name: "control", enabled: false },
      ],
    });
  });

  it("keeps every other flag and the flag's own definition as they were", () => {
    // Prepare
    const live: FlagDocument = {
      version: "1",
      flags: {
        "dark-mode": { name: "Dark mode" },
        [rollout.flag]: { name: "New checkout", description: "x" },
      },
      values: { "dark-mode": { enabled: true }, [rollout.flag]: { enabled: false } },
    };

    // Act
    const next = withSplit(live, rollout, 10);

    // Assess
    expect(next.flags).toEqual(live.flags);
    expect(next.values["dark-mode"]).toEqual({ enabled: true });
  });

  it.each([-1, 101, 2.5])("refuses a split of %s", (percent) => {
    // Act
    const act = () => withSplit(emptyFlagDocument(), rollout, percent);

    // Assess
    expect(act).toThrow(/whole percentage from 0 to 100/);
  });

  it.each<[string, FlagDocument["values"][string], string]>([
    [
      "variants someone else named",
      { _variants: [{ name: "beta", rule: "(split by::$userId pct::5)" }, { name: "default" }] },
      "has variants beta, default",
    ],
    [
      "a split by another key",
      { _variants: [{ name: "treatment", rule: "(split by::$accountId pct::5)" }, { name: "control" }] },
      "not a split by $userId",
    ],
  ])("cannot tell the split of %s", (_, value, reason) => {
    // Prepare
    const document = { ...emptyFlagDocument(), values: { [rollout.flag]: value } };

    // Act
    const reading = splitOf(document, rollout);

    // Assess
    expect(reading).toEqual({ kind: "unknown", reason: expect.stringContaining(reason) });
  });
});

describe("evaluateFlag", () => {
  const users = Array.from({ length: 10_000 }, (_, index) => `user-${index}`);

  it.each([10, 50, 90])(
    "gives about %i% of users the treatment, each user always the same one",
    (percent) => {
      // Prepare
      const document = withSplit(emptyFlagDocument(), rollout, percent);

      // Act
      const treated = users.filter(
        (userId) => evaluateFlag(document, rollout.flag, { userId }).variant === "treatment",
      );
      const again = users.filter(
        (userId) => evaluateFlag(document, rollout.flag, { userId }).variant === "treatment",
      );

      // Assess
      expect(Math.abs(treated.length / users.length - percent / 100)).toBeLessThan(0.02);
      expect(again).toEqual(treated);
    },
  );

  it("keeps the users it treated at 10% treated at 50%: growing the split only adds users", () => {
    // Prepare
    const at = (percent: number) =>
      new Set(
        users.filter(
          (userId) =>
            evaluateFlag(withSplit(emptyFlagDocument(), rollout, percent), rollout.flag, { userId })
              .variant === "treatment",
        ),
      );

    // Act
    const ten = at(10);
    const fifty = at(50);

    // Assess
    expect([...ten].filter((userId) => !fifty.has(userId))).toEqual([]);
  });

  it("puts a request without the split key, and a flag that is off, on no enabled variant", () => {
    // Act
    const withoutKey = evaluateFlag(withSplit(emptyFlagDocument(), rollout, 100), rollout.flag, {});
    const off = evaluateFlag(withSplit(emptyFlagDocument(), rollout, 0), rollout.flag, { userId: "u1" });

    // Assess
    expect(withoutKey).toEqual({ enabled: false, variant: "control" });
    expect(off).toEqual({ enabled: false });
  });
});

describe("flag deployment descriptions", () => {
  it("reads back the split of this deployment's own description only", () => {
    // Prepare
    const description = flagDeploymentDescription("d-abc", rollout.flag, 50);

    // Act
    const ours = splitOfDescription(description, "d-abc", rollout.flag);
    const another = splitOfDescription(description, "d-xyz", rollout.flag);
    const byHand = splitOfDescription("turned on by hand", "d-abc", rollout.flag);

    // Assess
    expect({ description, ours, another, byHand }).toEqual({
      description: "glidepath d-abc: new-checkout at 50%",
      ours: 50,
      another: undefined,
      byHand: undefined,
    });
  });
});

describe("nextFlagStep", () => {
  it.each<[string, ReturnType<typeof nextFlagStep>, Parameters<typeof nextFlagStep>[0]]>([
    ["no deployment yet", "start", undefined],
    ["somebody else's completed deployment", "start", { ours: undefined, state: "complete" }],
    ["somebody else's deployment in progress", "wait", { ours: undefined, state: "in-progress" }],
    ["our deployment of another split, completed", "start", { ours: 10, state: "complete" }],
    ["our deployment of another split, in progress", "wait", { ours: 10, state: "in-progress" }],
    ["our deployment of another split, undone by AppConfig", "start", { ours: 10, state: "undone" }],
    ["our deployment of this split, in progress", "wait", { ours: 50, state: "in-progress" }],
    ["our deployment of this split, completed", "verify", { ours: 50, state: "complete" }],
    ["our deployment of this split, undone by AppConfig", "undone", { ours: 50, state: "undone" }],
  ])("after %s, a shift to 50%% does: %s", (_, step, latest) => {
    // Act
    const next = nextFlagStep(latest, 50);

    // Assess
    expect(next).toBe(step);
  });
});

describe("verifiedShift", () => {
  const check = (document: FlagDocument) => ({
    router: "flag new-checkout",
    why: "Someone else wrote it.",
    document: async () => document,
  });

  it("settles a shift whose deployed document holds the split, and refuses one that does not", async () => {
    // Prepare
    const atTen = withSplit(emptyFlagDocument(), rollout, 10);
    const settings = { ...rollout, rollbackTo: "off" } as const;

    // Act
    const settled = await verifiedShift(settings, { blue: 90, green: 10 }, check(atTen));
    const refused = verifiedShift(settings, { blue: 50, green: 50 }, check(atTen));

    // Assess
    expect(settled).toEqual({ changed: true, weights: { blue: 90, green: 10 }, settled: true });
    await expect(refused).rejects.toThrow(/reports blue 90% \/ green 10%\. Someone else wrote it\./);
  });

  it("takes a restored previous version as it is, without reading it", async () => {
    // Prepare
    let read = false;
    const settings = { ...rollout, rollbackTo: "previous" } as const;

    // Act
    const settled = await verifiedShift(
      settings,
      { blue: 100, green: 0 },
      {
        router: "flag new-checkout",
        why: "unused",
        document: async () => {
          read = true;
          return withSplit(emptyFlagDocument(), rollout, 100);
        },
      },
    );

    // Assess
    expect({ settled: settled.settled, read }).toEqual({ settled: true, read: false });
  });
});
