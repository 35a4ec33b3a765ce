import { describe, expect, it } from "vitest";
import { executionName, maxExecutionNameLength } from "../../functions/domain/execution-name.ts";

const id = "d-0123456789abcdef0123";

describe("executionName", () => {
  it.each([
    ["checkout", "production", "1.4.0", "checkout-production-1-4-0-01234567"],
    ["checkout", "prod", "v2.0.0+build.7/arm64", "checkout-prod-v2-0-0-build-7-arm64-01234567"],
    ["web", "dev", "feature/ünïcode tag", "web-dev-feature-n-code-tag-01234567"],
    ["web", "dev", "...", "web-dev-v-01234567"],
  ])("%s %s %s → %s", (service, environment, version, expected) => {
    expect(executionName({ service, environment, version, deploymentId: id })).toBe(expected);
  });

  it("shortens the version, never the service, environment or id, to stay within 80 characters", () => {
    // Act
    const name = executionName({
      service: "a".repeat(24),
      environment: "b".repeat(24),
      version: "9".repeat(60),
      deploymentId: id,
    });

    // Assess
    expect(name).toHaveLength(maxExecutionNameLength);
    expect(name).toMatch(/^a{24}-b{24}-9+-01234567$/);
  });
});
