import { describe, expect, it } from "vitest";
import { ErrorNames } from "../../functions/domain/errors.ts";
import { decide } from "../../functions/domain/promotion/controller.ts";
import type { PromotionEvent } from "../../functions/domain/promotion/events.ts";
import type { Promotion, PromotionEnvironmentRecord } from "../../functions/domain/promotion/record.ts";

const at = "2026-12-01T10:00:00.000Z";
const arn = "arn:aws:states:eu-west-1:123456789012:execution:Glidepath-pipeline:api-promote-1-4-0-0a1b2c3d";

/** A promotion of api 1.4.0 through dev (one wave) and production (two waves), as the trigger creates it. */
function promotion(change: Partial<Promotion> = {}): Promotion {
  return {
    id: "p-0a1b2c3d4e5f60718293",
    service: "api",
    artifact: { uri: "repo@sha256:1", digest: "sha256:1", version: "1.4.0" },
    publishedAt: "2026-12-01T09:59:59.000Z",
    status: "QUEUED",
    environments: [
      { name: "dev", status: "PENDING", waves: [{ deploymentId: "d-dev" }] },
      {
        name: "production",
        status: "PENDING",
        waves: [
          { deploymentId: "d-prod-eu", region: "eu-west-1" },
          { deploymentId: "d-prod-us", region: "us-east-1" },
        ],
      },
    ],
    hooks: [],
    lock: "none",
    createdAt: "2026-12-01T10:00:00.000Z",
    updatedAt: "2026-12-01T10:00:00.000Z",
    revision: 3,
    ...change,
  };
}

const running = (change: Partial<Promotion> = {}) =>
  promotion({ status: "RUNNING", lock: "holder", executionArn: arn, ...change });

/** The promotion's environments with the given statuses (and fields), in order. */
function environments(
  ...changes: readonly Partial<PromotionEnvironmentRecord>[]
): PromotionEnvironmentRecord[] {
  return promotion().environments.map((environment, index) => ({ ...environment, ...changes[index] }));
}

const inDev = (change: Partial<Promotion> = {}) =>
  running({
    current: "dev",
    environments: environments({ status: "IN_PROGRESS", enteredAt: at }),
    ...change,
  });

const inProduction = (change: Partial<Promotion> = {}) =>
  running({
    current: "production",
    environments: environments(
      { status: "SUCCEEDED", waves: [{ deploymentId: "d-dev", outcome: "SUCCEEDED" }] },
      { status: "IN_PROGRESS", enteredAt: at },
    ),
    ...change,
  });

const migrated = (irreversible: boolean, status: PromotionEnvironmentRecord["status"] = "IN_PROGRESS") =>
  inProduction({
    environments: environments({ status: "SUCCEEDED" }, { status, enteredAt: at }),
    hooks: [
      {
        environment: "production",
        stage: "preDeploy",
        hook: "schema",
        passed: true,
        reason: "ok",
        irreversible,
        at,
      },
      {
        environment: "production",
        stage: "preDeploy",
        hook: "seed",
        passed: true,
        reason: "ok",
        irreversible: false,
        at,
      },
    ],
  });

const hook = (stage: "preDeploy" | "postDeploy" | "undo", passed: boolean): PromotionEvent => ({
  type: "hook-answered",
  environment: "production",
  stage,
  hook: "schema",
  actor: "arn:aws:lambda:eu-west-1:123456789012:function:schema",
  irreversibleByConfig: false,
  answer: { passed, reason: passed ? "ok" : "column exists", irreversible: false },
  at,
});

interface Expected {
  readonly status?: string;
  readonly lock?: string;
  readonly environments?: readonly string[];
  readonly commands: readonly string[];
  readonly output?: Record<string, unknown>;
  readonly failure?: string;
  /** The record is written (its revision bumped), or left as it was. */
  readonly written: boolean;
}

describe("promotion controller: transitions", () => {
  it.each<[string, Promotion, PromotionEvent, Expected]>([
    [
      "a new artifact tries the lock",
      promotion(),
      { type: "arrived", lock: {}, concurrency: "queue" },
      { commands: ["acquire-lock"], written: false },
    ],
    [
      "a redelivery after the lock was taken starts it",
      promotion({ lock: "holder" }),
      { type: "arrived", lock: { holder: "p-0a1b2c3d4e5f60718293" }, concurrency: "queue" },
      { commands: ["start-pipeline"], written: false },
    ],
    [
      "a redelivery of a waiting one under supersede asks the holder again",
      promotion({ lock: "queued" }),
      { type: "arrived", lock: { holder: "p-holder" }, concurrency: "supersede" },
      { commands: ["request-abort"], written: false },
    ],
    [
      "a redelivery of a waiting one under queue does nothing",
      promotion({ lock: "queued" }),
      { type: "arrived", lock: { holder: "p-holder" }, concurrency: "queue" },
      { commands: [], written: false },
    ],
    [
      "a redelivery of a running one is a duplicate",
      running(),
      { type: "arrived", lock: {}, concurrency: "queue" },
      { commands: [], written: false },
    ],
    [
      "the lock taken: start",
      promotion(),
      { type: "lock-acquired" },
      { lock: "holder", commands: ["start-pipeline"], written: true },
    ],
    [
      "the lock busy: join the queue",
      promotion(),
      { type: "lock-busy" },
      { commands: ["enqueue"], written: false },
    ],
    [
      "the lock busy, but superseded meanwhile",
      promotion({ status: "SUPERSEDED" }),
      { type: "lock-busy" },
      { commands: [], written: false },
    ],
    [
      "queued behind a holder, replacing an older waiting one",
      promotion(),
      { type: "enqueued", holder: "p-holder", superseded: "p-older", concurrency: "queue" },
      { lock: "queued", commands: ["supersede"], written: true },
    ],
    [
      "queued on a lock freed meanwhile: take the queue",
      promotion(),
      { type: "enqueued", concurrency: "queue" },
      { lock: "queued", commands: ["take-queue"], written: true },
    ],
    [
      "queued under supersede: ask the holder to stop",
      promotion(),
      { type: "enqueued", holder: "p-holder", concurrency: "supersede" },
      { lock: "queued", commands: ["request-abort"], written: true },
    ],
    [
      "a newer artifact already waits: superseded at once",
      promotion(),
      { type: "enqueued", holder: "p-holder", superseded: "p-0a1b2c3d4e5f60718293", concurrency: "queue" },
      { status: "SUPERSEDED", lock: "none", commands: ["log"], written: true },
    ],
    [
      "the queue's answer after a release handed it the lock",
      promotion({ lock: "holder" }),
      { type: "enqueued", holder: "p-holder", concurrency: "queue" },
      { lock: "holder", commands: [], written: false },
    ],
    [
      "the lock refused it as older than the newest that took it: superseded, logged",
      promotion(),
      { type: "outdated", newer: { promotionId: "p-newer", version: "1.5.0" } },
      { status: "SUPERSEDED", lock: "none", commands: ["log"], written: true },
    ],
    [
      "the queue refused it as older than the newest that took the lock: superseded, logged",
      promotion(),
      {
        type: "enqueued",
        holder: "p-newer",
        outdatedBy: { promotionId: "p-newer", version: "1.5.0" },
        concurrency: "queue",
      },
      { status: "SUPERSEDED", lock: "none", commands: ["log"], written: true },
    ],
    [
      "outdated again (a redelivery): nothing to do",
      promotion({ status: "SUPERSEDED", reason: "published before 1.5.0" }),
      { type: "outdated", newer: { promotionId: "p-newer", version: "1.5.0" } },
      { status: "SUPERSEDED", commands: [], written: false },
    ],
    [
      "handed the lock: start",
      promotion({ lock: "queued" }),
      { type: "lock-handed" },
      { lock: "holder", commands: ["start-pipeline"], written: true },
    ],
    [
      "handed the lock a second time before it started (two hand-overs raced): start, which is idempotent",
      promotion({ lock: "holder" }),
      { type: "lock-handed" },
      { lock: "holder", commands: ["start-pipeline"], written: false },
    ],
    [
      "handed the lock a second time after it started: nothing to do",
      running(),
      { type: "lock-handed" },
      { status: "RUNNING", lock: "holder", commands: [], written: false },
    ],
    [
      "started",
      promotion({ lock: "holder" }),
      { type: "started", executionArn: arn, at },
      { status: "RUNNING", commands: [], written: true },
    ],
    [
      "started again by the pipeline's first step",
      running(),
      { type: "started", executionArn: arn, at },
      { status: "RUNNING", commands: [], written: false },
    ],
    [
      "unstartable as the holder: stop and hand the lock on",
      promotion({ lock: "holder" }),
      { type: "unstartable", reason: "gone", at },
      { status: "STOPPED", lock: "none", commands: ["release-lock", "take-queue"], written: true },
    ],
    [
      "superseded in the queue",
      promotion({ lock: "queued" }),
      { type: "superseded", by: "p-newer", version: "1.5.0", digest: "sha256:15", at },
      { status: "SUPERSEDED", lock: "none", commands: ["log"], written: true },
    ],
    [
      "asked to stop while running: abort its live deployment",
      running(),
      { type: "abort-requested", by: "p-newer", version: "1.5.0", at },
      { status: "RUNNING", commands: ["abort"], written: true },
    ],
    [
      "enters its first environment",
      running(),
      { type: "entered", environment: "dev", at },
      {
        environments: ["IN_PROGRESS", "PENDING"],
        commands: ["create-deployments", "log"],
        output: { deployments: ["d-dev"] },
        written: true,
      },
    ],
    [
      "a redelivered entry repeats its idempotent commands only",
      inDev(),
      { type: "entered", environment: "dev", at: "2026-12-01T11:00:00.000Z" },
      {
        environments: ["IN_PROGRESS", "PENDING"],
        commands: ["create-deployments", "log"],
        output: { deployments: ["d-dev"] },
        written: false,
      },
    ],
    [
      "enters production after dev succeeded",
      inProduction({ current: "dev", environments: environments({ status: "SUCCEEDED" }) }),
      { type: "entered", environment: "production", at },
      {
        environments: ["SUCCEEDED", "IN_PROGRESS"],
        commands: ["create-deployments", "log"],
        output: { deployments: ["d-prod-eu", "d-prod-us"] },
        written: true,
      },
    ],
    [
      "approved",
      inProduction(),
      { type: "approved", environment: "production", by: "slack:U1", at },
      { commands: [], written: true },
    ],
    [
      "no freeze",
      inProduction(),
      { type: "freeze-checked", environment: "production", onFreeze: "wait", at },
      { commands: [], output: { frozen: false }, written: false },
    ],
    [
      "a freeze to wait for",
      inProduction(),
      {
        type: "freeze-checked",
        environment: "production",
        freeze: { window: "xmas", until: "2026-12-27T00:00:00.000Z" },
        onFreeze: "wait",
        at,
      },
      {
        commands: ["log"],
        output: { frozen: true, window: "xmas", until: "2026-12-27T00:00:00.000Z" },
        written: false,
      },
    ],
    [
      "a freeze that fails the environment",
      inProduction(),
      {
        type: "freeze-checked",
        environment: "production",
        freeze: { window: "xmas", until: "2026-12-27T00:00:00.000Z" },
        onFreeze: "fail",
        at,
      },
      {
        commands: ["log"],
        failure: ErrorNames.FreezeWindow,
        output: { frozen: true, window: "xmas", until: "2026-12-27T00:00:00.000Z" },
        written: false,
      },
    ],
    [
      "a pre-deploy hook passed",
      inProduction(),
      hook("preDeploy", true),
      { commands: ["log"], output: { passed: true }, written: true },
    ],
    [
      "a pre-deploy hook failed",
      inProduction(),
      hook("preDeploy", false),
      { commands: ["log"], output: { passed: true }, failure: ErrorNames.HookFailed, written: true },
    ],
    [
      "an undo that failed stops nothing",
      migrated(false, "ROLLED_BACK"),
      hook("undo", false),
      { commands: ["log"], output: { passed: true }, written: true },
    ],
    [
      "a wave ended",
      inProduction(),
      { type: "wave-ended", environment: "production", deploymentId: "d-prod-eu", at },
      { commands: [], written: true },
    ],
    [
      "a redelivered wave end changes nothing",
      inProduction({
        environments: environments(
          { status: "SUCCEEDED" },
          {
            status: "IN_PROGRESS",
            waves: [{ deploymentId: "d-prod-eu", outcome: "SUCCEEDED" }, { deploymentId: "d-prod-us" }],
          },
        ),
      }),
      { type: "wave-ended", environment: "production", deploymentId: "d-prod-eu", at },
      { commands: [], written: false },
    ],
    [
      "every wave succeeded",
      inProduction({
        environments: environments(
          { status: "SUCCEEDED" },
          {
            status: "IN_PROGRESS",
            waves: [
              { deploymentId: "d-prod-eu", outcome: "SUCCEEDED" },
              { deploymentId: "d-prod-us", outcome: "SUCCEEDED" },
            ],
          },
        ),
      }),
      { type: "environment-succeeded", environment: "production", at },
      { environments: ["SUCCEEDED", "SUCCEEDED"], commands: ["log"], written: true },
    ],
    [
      "a wave rolled back: undo the reversible hooks, newest first",
      migrated(false),
      {
        type: "environment-failed",
        environment: "production",
        error: ErrorNames.AlarmFired,
        reason: "5xx",
        waves: [
          { deploymentId: "d-prod-eu", status: "ROLLED_BACK" },
          { deploymentId: "d-prod-us", status: "QUEUED" },
        ],
        at,
      },
      {
        environments: ["SUCCEEDED", "ROLLED_BACK"],
        commands: ["fail-not-deployed"],
        output: { frozen: false, undo: ["seed", "schema"] },
        written: true,
      },
    ],
    [
      "failed before any wave deployed",
      inProduction(),
      {
        type: "environment-failed",
        environment: "production",
        error: ErrorNames.GateRejected,
        reason: "rejected",
        waves: [
          { deploymentId: "d-prod-eu", status: "QUEUED" },
          { deploymentId: "d-prod-us", status: "QUEUED" },
        ],
        at,
      },
      {
        environments: ["SUCCEEDED", "NOT_DEPLOYED"],
        commands: ["fail-not-deployed"],
        output: { frozen: false, undo: [] },
        written: true,
      },
    ],
    [
      "failed after an irreversible hook: frozen, humans told",
      migrated(true),
      {
        type: "environment-failed",
        environment: "production",
        error: ErrorNames.AlarmFired,
        reason: "5xx",
        waves: [{ deploymentId: "d-prod-eu", status: "ROLLED_BACK" }, { deploymentId: "d-prod-us" }],
        at,
      },
      {
        environments: ["SUCCEEDED", "FROZEN"],
        commands: ["log", "notify"],
        output: { frozen: true, undo: [] },
        written: true,
      },
    ],
    [
      "the failure of an environment never entered records nothing",
      inDev(),
      {
        type: "environment-failed",
        environment: "production",
        error: ErrorNames.PromotionBlocked,
        reason: "blocked",
        waves: [],
        at,
      },
      {
        environments: ["IN_PROGRESS", "PENDING"],
        commands: [],
        output: { frozen: false, undo: [] },
        written: false,
      },
    ],
    [
      "promoted: release the lock with the live version, hand it on, tell humans",
      running({
        current: "production",
        environments: environments({ status: "SUCCEEDED" }, { status: "SUCCEEDED" }),
      }),
      { type: "finished", outcome: "promoted", at },
      {
        status: "PROMOTED",
        lock: "none",
        commands: ["log", "release-lock", "take-queue", "notify"],
        output: { outcome: "promoted" },
        written: true,
      },
    ],
    [
      "stopped after a freeze: FROZEN",
      running({
        current: "production",
        environments: environments({ status: "SUCCEEDED" }, { status: "FROZEN" }),
      }),
      { type: "finished", outcome: "stopped", reason: "5xx", at },
      {
        status: "FROZEN",
        lock: "none",
        commands: ["log", "release-lock", "take-queue", "notify"],
        output: { outcome: "stopped" },
        written: true,
      },
    ],
    [
      "a redelivered finish only repeats the release and the hand-over",
      running({ status: "STOPPED", lock: "none" }),
      { type: "finished", outcome: "stopped", reason: "5xx", at },
      {
        status: "STOPPED",
        commands: ["release-lock", "take-queue"],
        output: { outcome: "stopped" },
        written: false,
      },
    ],
  ])("%s", (_name, before, event, expected) => {
    // Prepare
    const snapshot = structuredClone(before);

    // Act
    const transition = decide(before, event);

    // Assess
    expect(before).toEqual(snapshot);
    expect(transition.commands.map((command) => command.type)).toEqual(expected.commands);
    expect(transition.promotion.revision).toBe(expected.written ? before.revision + 1 : before.revision);
    if (expected.status !== undefined) expect(transition.promotion.status).toBe(expected.status);
    if (expected.lock !== undefined) expect(transition.promotion.lock).toBe(expected.lock);
    if (expected.environments !== undefined) {
      expect(transition.promotion.environments.map((environment) => environment.status)).toEqual(
        expected.environments,
      );
    }
    expect(transition.output).toEqual(expected.output);
    expect(transition.failure?.name).toBe(expected.failure);
  });

  it("keeps a hook's typed answer on the promotion, replacing an earlier answer of the same hook", () => {
    // Prepare
    const answered = decide(inProduction(), hook("preDeploy", false)).promotion;

    // Act
    const again = decide(answered, hook("preDeploy", true)).promotion;

    // Assess
    expect(again.hooks).toEqual([
      {
        environment: "production",
        stage: "preDeploy",
        hook: "schema",
        passed: true,
        reason: "ok",
        irreversible: false,
        at,
      },
    ]);
  });

  it("logs the superseded waiting promotion's decision at the newcomer's publication time", () => {
    // Act
    const { commands } = decide(promotion({ lock: "queued" }), {
      type: "superseded",
      by: "p-newer",
      version: "1.5.0",
      digest: "sha256:15",
      at: "2026-12-01T10:00:05.000Z",
    });

    // Assess
    expect(commands).toEqual([
      {
        type: "log",
        decision: {
          deploymentId: "p-0a1b2c3d4e5f60718293",
          id: "superseded-by-p-newer",
          at: "2026-12-01T10:00:05.000Z",
          action: "supersede",
          actor: "glidepath:supersede",
          reason: "superseded by 1.5.0 (p-newer) before it started",
          values: { newcomer: "p-newer", version: "1.5.0", digest: "sha256:15" },
        },
      },
    ]);
  });
});

describe("promotion controller: refusals change nothing", () => {
  it.each<[string, Promotion, PromotionEvent, string, RegExp]>([
    [
      "a start by a promotion that does not hold the lock",
      promotion({ lock: "queued" }),
      { type: "started", executionArn: arn, at },
      ErrorNames.PromotionEventRefused,
      /only the holder of the lock starts/,
    ],
    [
      "the lock taken by a running promotion",
      running(),
      { type: "lock-acquired" },
      ErrorNames.PromotionEventRefused,
      /it is not waiting/,
    ],
    [
      "the lock handed to a promotion that has ended",
      promotion({ status: "PROMOTED", lock: "none" }),
      { type: "lock-handed" },
      ErrorNames.PromotionEventRefused,
      /it is not waiting/,
    ],
    [
      "outdating the holder",
      running(),
      { type: "outdated", newer: { promotionId: "p-newer", version: "1.5.0" } },
      ErrorNames.PromotionEventRefused,
      /only a waiting promotion is outdated/,
    ],
    [
      "superseding the holder",
      promotion({ lock: "holder" }),
      { type: "superseded", by: "p-newer", version: "1.5.0", digest: "sha256:15", at },
      ErrorNames.PromotionEventRefused,
      /only a waiting promotion is superseded/,
    ],
    [
      "entering while still waiting for the lock",
      promotion({ lock: "queued" }),
      { type: "entered", environment: "dev", at },
      ErrorNames.PromotionBlocked,
      /dev is not entered: the promotion is QUEUED/,
    ],
    [
      "entering production before dev succeeded",
      inDev(),
      { type: "entered", environment: "production", at },
      ErrorNames.PromotionBlocked,
      /production is not entered: dev is IN_PROGRESS, not SUCCEEDED/,
    ],
    [
      "entering after a newer artifact asked it to stop",
      running({ abortRequested: { by: "p-newer", reason: "superseded by 1.5.0 (p-newer)", at } }),
      { type: "entered", environment: "dev", at },
      ErrorNames.PromotionBlocked,
      /dev is not entered: superseded by 1.5.0/,
    ],
    [
      "entering an environment it does not have",
      running(),
      { type: "entered", environment: "qa", at },
      ErrorNames.PromotionEventRefused,
      /it has no environment qa/,
    ],
    [
      "entering an environment again after it ended",
      inProduction(),
      { type: "entered", environment: "dev", at },
      ErrorNames.PromotionEventRefused,
      /dev is SUCCEEDED already/,
    ],
    [
      "an approval for an environment not entered",
      inDev(),
      { type: "approved", environment: "production", by: "slack:U1", at },
      ErrorNames.PromotionEventRefused,
      /production is PENDING, not IN_PROGRESS/,
    ],
    [
      "a pre-deploy answer after the environment ended",
      running({ environments: environments({ status: "SUCCEEDED" }, { status: "SUCCEEDED" }) }),
      hook("preDeploy", true),
      ErrorNames.PromotionEventRefused,
      /does not run while production is SUCCEEDED/,
    ],
    [
      "the end of a wave of another environment",
      inProduction(),
      { type: "wave-ended", environment: "production", deploymentId: "d-dev", at },
      ErrorNames.PromotionEventRefused,
      /d-dev is no wave of production/,
    ],
    [
      "success while a wave has not succeeded",
      inProduction(),
      { type: "environment-succeeded", environment: "production", at },
      ErrorNames.PromotionEventRefused,
      /wave d-prod-eu of production has not succeeded/,
    ],
    [
      "promoted while an environment has not succeeded",
      inProduction(),
      { type: "finished", outcome: "promoted", at },
      ErrorNames.PromotionEventRefused,
      /production is IN_PROGRESS/,
    ],
    [
      "finishing a promotion that never started",
      promotion({ lock: "queued" }),
      { type: "finished", outcome: "stopped", at },
      ErrorNames.PromotionEventRefused,
      /it never started/,
    ],
  ])("%s", (_name, before, event, name, message) => {
    // Prepare
    const snapshot = structuredClone(before);

    // Act
    const act = () => decide(before, event);

    // Assess
    expect(act).toThrow(expect.objectContaining({ name, message: expect.stringMatching(message) }));
    expect(before).toEqual(snapshot);
  });
});
