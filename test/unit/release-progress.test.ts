import { describe, expect, it } from "vitest";
import { ErrorNames } from "../../functions/domain/errors.ts";
import {
  progressRelease,
  type ReleaseEvent,
  type ReleaseTransition,
} from "../../functions/domain/release/progress.ts";
import type { Release } from "../../functions/domain/release/record.ts";

const at = "2026-12-03T09:00:00.000Z";
const arn = "arn:aws:states:eu-west-1:000000000000:execution:glidepath-release:r";

/** base first, then api and worker together, then web: a diamond, through dev and production. */
function release(changes: Partial<Release> = {}): Release {
  const services = { api: "PENDING", base: "PENDING", web: "PENDING", worker: "PENDING" } as const;
  return {
    id: "r-0123456789abcdef0123",
    artifacts: Object.fromEntries(
      ["api", "base", "web", "worker"].map((service) => [
        service,
        { uri: `local://${service}`, digest: `sha256:${service.padEnd(16, "0")}`, version: "1.0.0" },
      ]),
    ),
    groups: [["base"], ["api", "worker"], ["web"]],
    publishedAt: at,
    status: "RUNNING",
    environments: [
      { name: "dev", status: "PENDING", services },
      { name: "production", status: "PENDING", services },
    ],
    locks: ["api", "base", "web", "worker"],
    hooks: [],
    executionArn: arn,
    createdAt: at,
    updatedAt: at,
    revision: 3,
    ...changes,
  };
}

/** Applies events in order, each to the record the one before left. */
function apply(start: Release, events: readonly ReleaseEvent[]) {
  let last: ReleaseTransition = { release: start };
  for (const event of events) last = progressRelease(last.release, event);
  return last;
}

const entered = (environment: string): ReleaseEvent => ({ type: "environment-entered", environment, at });
const ended = (
  environment: string,
  service: string,
  status: "SUCCEEDED" | "FAILED" = "SUCCEEDED",
): ReleaseEvent => ({
  type: "service-ended",
  environment,
  service,
  status,
  at,
});
const failed = (environment: string): ReleaseEvent => ({
  type: "environment-failed",
  environment,
  reason: "web rolled back",
  at,
});

/** A service's pre-deploy hook answered in dev. */
const hook = (
  service: string,
  name: string,
  answer: { passed?: boolean; irreversible?: boolean } = {},
  stage: "preDeploy" | "postDeploy" | "undo" = "preDeploy",
): ReleaseEvent => ({
  type: "hook-answered",
  environment: "dev",
  service,
  stage,
  hook: name,
  actor: `arn:aws:lambda:eu-west-1:000000000000:function:${name}`,
  irreversibleByConfig: false,
  answer: {
    passed: answer.passed ?? true,
    reason: answer.passed === false ? "column exists" : "ok",
    irreversible: answer.irreversible ?? false,
  },
  at,
});

describe("progressRelease", () => {
  it.each([
    { name: "only base deployed", succeeded: ["base"], rollback: ["base"] },
    {
      name: "base and both middles deployed",
      succeeded: ["base", "api", "worker"],
      rollback: ["worker", "api", "base"],
    },
    { name: "nothing deployed yet", succeeded: [], rollback: [] },
  ])(
    "a failed environment rolls back what succeeded there, newest group first: $name",
    ({ succeeded, rollback }) => {
      // Act
      const transition = apply(release(), [
        entered("dev"),
        ...succeeded.map((service) => ended("dev", service)),
        failed("dev"),
      ]);

      // Assess
      expect(transition.rollback).toEqual(rollback);
      const dev = transition.release.environments[0];
      expect(dev?.status).toBe("FAILED");
      expect(Object.values(dev?.services ?? {}).filter((status) => status === "NOT_DEPLOYED")).toHaveLength(
        4 - succeeded.length,
      );
    },
  );

  it("a failure delivered again answers the same rollback and writes nothing", () => {
    // Prepare
    const first = apply(release(), [entered("dev"), ended("dev", "base"), failed("dev")]);

    // Act
    const again = progressRelease(first.release, failed("dev"));

    // Assess
    expect(again.release).toBe(first.release);
    expect(again.rollback).toEqual(["base"]);
  });

  it("marks a rolled-back service, and then answers only what is left to roll back", () => {
    // Prepare
    const failedDev = apply(release(), [
      entered("dev"),
      ended("dev", "base"),
      ended("dev", "api"),
      failed("dev"),
    ]);

    // Act
    const rolledBack = progressRelease(failedDev.release, {
      type: "service-rolled-back",
      environment: "dev",
      service: "api",
      at,
    });
    const retried = progressRelease(rolledBack.release, failed("dev"));

    // Assess
    expect(rolledBack.release.environments[0]?.services.api).toBe("ROLLED_BACK");
    expect(retried.rollback).toEqual(["base"]);
  });

  it("refuses to enter production before dev succeeded, naming dev's status", () => {
    // Act
    const enter = () => apply(release(), [entered("dev"), ended("dev", "base"), entered("production")]);

    // Assess
    expect(enter).toThrow(
      expect.objectContaining({
        name: ErrorNames.ReleaseEventRefused,
        message:
          "release r-0123456789abcdef0123 (RUNNING) refuses environment-entered in production: dev, before it, is IN_PROGRESS",
      }),
    );
  });

  it("refuses an environment's success while a service has not succeeded there, naming each", () => {
    // Act
    const succeed = () =>
      apply(release(), [
        entered("dev"),
        ended("dev", "base"),
        ended("dev", "api"),
        ended("dev", "worker", "FAILED"),
        { type: "environment-succeeded", environment: "dev", at },
      ]);

    // Assess
    expect(succeed).toThrow(/refuses environment-succeeded in dev: web is PENDING, worker is FAILED$/);
  });

  it("refuses to start while it holds only some of its locks", () => {
    // Act
    const start = () =>
      progressRelease(release({ status: "QUEUED", locks: ["api"] }), {
        type: "started",
        executionArn: arn,
        at,
      });

    // Assess
    expect(start).toThrow(/refuses started: it holds 1 of its 4 locks$/);
  });

  it("a stopped release leaves the environments it never entered NOT_DEPLOYED and gives its locks back", () => {
    // Prepare
    const failedDev = apply(release(), [entered("dev"), failed("dev")]);

    // Act
    const stopped = progressRelease(failedDev.release, {
      type: "finished",
      outcome: "stopped",
      reason: "dev failed",
      at,
    });

    // Assess
    expect(stopped.release).toMatchObject({ status: "STOPPED", reason: "dev failed" });
    expect(stopped.release.environments[1]).toMatchObject({
      status: "NOT_DEPLOYED",
      services: { api: "NOT_DEPLOYED", base: "NOT_DEPLOYED", web: "NOT_DEPLOYED", worker: "NOT_DEPLOYED" },
    });
    expect(stopped.returnLocks).toEqual({ succeeded: false });
  });

  it("a release through every environment is promoted, its versions live once the locks are back, at one revision per change", () => {
    // Prepare
    const services = ["base", "api", "worker", "web"];
    const through = (environment: string): ReleaseEvent[] => [
      entered(environment),
      ...services.map((service) => ended(environment, service)),
      { type: "environment-succeeded", environment, at },
    ];

    // Act
    const promoted = apply(release(), [
      ...through("dev"),
      ...through("production"),
      { type: "finished", outcome: "promoted", at },
    ]);
    const again = progressRelease(promoted.release, { type: "finished", outcome: "promoted", at });

    // Assess
    expect(promoted.release.status).toBe("PROMOTED");
    expect(promoted.release.revision).toBe(3 + 2 * 6 + 1);
    expect(promoted.returnLocks).toEqual({ succeeded: true });
    expect(again.release).toBe(promoted.release);
    expect(again.returnLocks).toEqual({ succeeded: true });
  });

  it("keeps each hook's answer once: the same answer again writes nothing", () => {
    // Prepare
    const answered = apply(release(), [entered("dev"), hook("base", "migrate")]);

    // Act
    const again = progressRelease(answered.release, hook("base", "migrate"));

    // Assess
    expect(answered.release.hooks).toEqual([
      {
        environment: "dev",
        service: "base",
        stage: "preDeploy",
        hook: "migrate",
        passed: true,
        reason: "ok",
        irreversible: false,
        at,
      },
    ]);
    expect(again.release).toBe(answered.release);
  });

  it("a pre-deploy hook that did not pass fails its service with HookFailedError", () => {
    // Act
    const transition = apply(release(), [entered("dev"), hook("base", "migrate", { passed: false })]);

    // Assess
    expect(transition.failure).toMatchObject({
      name: "HookFailedError",
      message:
        "base's preDeploy hook migrate (arn:aws:lambda:eu-west-1:000000000000:function:migrate) failed in dev: column exists",
    });
  });

  it("a failed environment undoes the reversible pre-deploy hooks that passed there, newest first, after the rollback", () => {
    // Act
    const transition = apply(release(), [
      entered("dev"),
      hook("base", "migrate"),
      ended("dev", "base"),
      hook("api", "seed"),
      hook("api", "smoke", {}, "postDeploy"),
      ended("dev", "api"),
      failed("dev"),
    ]);

    // Assess
    expect(transition.frozen).toBe(false);
    expect(transition.rollback).toEqual(["api", "base"]);
    expect(transition.undo).toEqual([
      { service: "api", hook: "seed" },
      { service: "base", hook: "migrate" },
    ]);
    expect(transition.release.environments[0]?.status).toBe("FAILED");
  });

  it("an irreversible hook that ran freezes the environment: nothing rolled back or undone, and the release ends FROZEN", () => {
    // Prepare
    const frozen = apply(release(), [
      entered("dev"),
      hook("base", "migrate", { irreversible: true }),
      ended("dev", "base"),
      hook("api", "seed"),
      failed("dev"),
    ]);

    // Act
    const end = progressRelease(frozen.release, {
      type: "finished",
      outcome: "stopped",
      reason: "web rolled back",
      at,
    });

    // Assess
    expect([frozen.frozen, frozen.rollback, frozen.undo]).toEqual([true, [], []]);
    expect(frozen.release.environments[0]).toMatchObject({
      status: "FROZEN",
      reason:
        "frozen: irreversible hook base migrate ran before web rolled back; nothing is rolled back or undone",
    });
    expect(end.release.status).toBe("FROZEN");
    expect(progressRelease(frozen.release, failed("dev")).frozen).toBe(true);
  });

  it("refuses a pre-deploy hook of a service that already ended there", () => {
    // Act
    const answering = () => apply(release(), [entered("dev"), ended("dev", "base"), hook("base", "migrate")]);

    // Assess
    expect(answering).toThrow(
      "release r-0123456789abcdef0123 (RUNNING) refuses hook-answered in dev: base is SUCCEEDED there",
    );
  });

  it("a failure of an environment never entered (the next Map iteration, refused at its entry) changes nothing", () => {
    // Prepare
    const stopped = apply(release(), [entered("dev"), failed("dev")]);

    // Act
    const next = progressRelease(stopped.release, failed("production"));

    // Assess
    expect(next).toEqual({ release: stopped.release, rollback: [], undo: [], frozen: false });
  });
});
