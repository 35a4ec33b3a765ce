import { describe, expect, it } from "vitest";
import {
  allStatuses,
  canTransition,
  DeploymentIdSchema,
  DeploymentStatus,
  deploymentId,
  isTerminal,
  nextStatuses,
  predecessorsOf,
} from "../../functions/domain/deployment.ts";

// The life cycle as specified, written out independently of the implementation's table.
const allowed: readonly [DeploymentStatus, DeploymentStatus][] = [
  ["QUEUED", "IN_PROGRESS"],
  ["QUEUED", "SUPERSEDED"],
  ["QUEUED", "FAILED"],
  ["IN_PROGRESS", "PAUSED"],
  ["IN_PROGRESS", "ROLLING_BACK"],
  ["IN_PROGRESS", "SUCCEEDED"],
  ["IN_PROGRESS", "FAILED"],
  ["PAUSED", "IN_PROGRESS"],
  ["PAUSED", "ROLLING_BACK"],
  ["PAUSED", "FAILED"],
  ["ROLLING_BACK", "ROLLED_BACK"],
  ["ROLLING_BACK", "FAILED"],
];

const forbidden = allStatuses.flatMap((from) =>
  allStatuses
    .filter((to) => !allowed.some(([f, t]) => f === from && t === to))
    .map((to): [DeploymentStatus, DeploymentStatus] => [from, to]),
);

describe("canTransition", () => {
  it.each(allowed)("allows %s → %s", (from, to) => {
    // Act
    const result = canTransition(from, to);

    // Assess
    expect(result).toBe(true);
  });

  it.each(forbidden)("forbids %s → %s", (from, to) => {
    // Act
    const result = canTransition(from, to);

    // Assess
    expect(result).toBe(false);
  });

  it("covers every pair of statuses exactly once", () => {
    // Assess
    expect(allowed.length + forbidden.length).toBe(allStatuses.length ** 2);
  });
});

describe("predecessorsOf", () => {
  it.each([
    ["QUEUED", []],
    ["IN_PROGRESS", ["QUEUED", "PAUSED"]],
    ["PAUSED", ["IN_PROGRESS"]],
    ["ROLLING_BACK", ["IN_PROGRESS", "PAUSED"]],
    ["ROLLED_BACK", ["ROLLING_BACK"]],
    ["SUCCEEDED", ["IN_PROGRESS"]],
    ["FAILED", ["QUEUED", "IN_PROGRESS", "PAUSED", "ROLLING_BACK"]],
    ["SUPERSEDED", ["QUEUED"]],
  ] as const)("%s can be entered from %j", (to, expected) => {
    // Act
    const predecessors = predecessorsOf(to);

    // Assess
    expect([...predecessors].sort()).toEqual([...expected].sort());
  });
});

describe("isTerminal", () => {
  it.each([
    ["QUEUED", false],
    ["IN_PROGRESS", false],
    ["PAUSED", false],
    ["ROLLING_BACK", false],
    ["ROLLED_BACK", true],
    ["SUCCEEDED", true],
    ["FAILED", true],
    ["SUPERSEDED", true],
  ] as const)("%s → %s", (status, expected) => {
    // Act
    const terminal = isTerminal(status);

    // Assess
    expect(terminal).toBe(expected);
    expect(nextStatuses(status).length === 0).toBe(expected);
  });
});

describe("allStatuses", () => {
  it("lists every status of the const object", () => {
    // Assess
    expect(allStatuses).toEqual(Object.values(DeploymentStatus));
    expect(allStatuses).toHaveLength(8);
  });
});

describe("deploymentId", () => {
  const base = { service: "checkout", environment: "production", digest: "sha256:abc", attempt: 1 };

  it("is d- followed by 20 hex characters", () => {
    // Act
    const id = deploymentId(base);

    // Assess
    expect(DeploymentIdSchema.safeParse(id).success).toBe(true);
  });

  it("is the same for the same service, environment, digest and attempt", () => {
    // Act
    const first = deploymentId(base);
    const second = deploymentId({ ...base });

    // Assess
    expect(second).toBe(first);
  });

  it.each([
    ["service", { ...base, service: "payments" }],
    ["environment", { ...base, environment: "staging" }],
    ["digest", { ...base, digest: "sha256:abd" }],
    ["attempt", { ...base, attempt: 2 }],
  ])("changes with the %s", (_field, changed) => {
    // Act
    const id = deploymentId(changed);

    // Assess
    expect(id).not.toBe(deploymentId(base));
  });

  it("does not confuse fields whose concatenation is the same", () => {
    // Prepare
    const a = { ...base, service: "check", environment: "outproduction" };
    const b = { ...base, service: "checkout", environment: "production" };

    // Act / Assess
    expect(deploymentId(a)).not.toBe(deploymentId(b));
  });
});
