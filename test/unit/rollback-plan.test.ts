import { describe, expect, it } from "vitest";
import type { Deployment, DeploymentStatus } from "../../functions/domain/deployment.ts";
import { planRollback, type RollbackWaveHistory } from "../../functions/domain/rollback.ts";

let counter = 0;
/** A deployment of `version` with `status`; histories list them newest first. */
function deployment(version: string, status: DeploymentStatus, region?: string): Deployment {
  counter += 1;
  const digest = `sha256:${version.replaceAll(".", "").padStart(64, "0")}`;
  return {
    id: `d-${counter.toString(16).padStart(20, "0")}`,
    service: "checkout",
    environment: "production",
    artifact: { uri: `shop/checkout@${digest}`, digest, version },
    strategy: "canary",
    status,
    weights: { old: 0, new: 100 },
    createdAt: "2026-12-01T10:00:00.000Z",
    updatedAt: "2026-12-01T10:00:00.000Z",
    approvals: [],
    attempt: 1,
    ...(region === undefined ? {} : { region }),
  };
}

const plan = (waves: RollbackWaveHistory[], extra: { to?: string; lockHolder?: string } = {}) =>
  planRollback({ service: "checkout", environment: "production", waves, ...extra });

describe("planRollback", () => {
  it("goes back to the newest SUCCEEDED artifact before the live one, past failed ones", () => {
    // Act
    const result = plan([
      {
        deployments: [
          deployment("1.3.0", "SUCCEEDED"),
          deployment("1.2.0", "ROLLED_BACK"),
          deployment("1.1.0", "SUCCEEDED"),
          deployment("1.0.0", "SUCCEEDED"),
        ],
      },
    ]);

    // Assess
    expect(result).toMatchObject({
      kind: "rollback",
      target: { version: "1.1.0" },
      waves: [{ index: 0, live: { version: "1.3.0" } }],
    });
  });

  it("with --to, goes to that version; every wave not already on it moves", () => {
    // Act
    const result = plan(
      [
        {
          region: "eu-west-1",
          deployments: [
            deployment("1.3.0", "SUCCEEDED", "eu-west-1"),
            deployment("1.0.0", "SUCCEEDED", "eu-west-1"),
          ],
        },
        { region: "us-east-1", deployments: [deployment("1.0.0", "SUCCEEDED", "us-east-1")] },
      ],
      { to: "1.0.0" },
    );

    // Assess
    expect(result).toMatchObject({
      kind: "rollback",
      target: { version: "1.0.0" },
      waves: [{ index: 0, region: "eu-west-1", live: { version: "1.3.0" } }],
    });
  });

  it.each([
    [
      "a deployment runs",
      [{ deployments: [deployment("1.4.0", "IN_PROGRESS"), deployment("1.3.0", "SUCCEEDED")] }],
      {},
      /^checkout has a deployment running in production \(d-\w+, 1\.4\.0, IN_PROGRESS\): to stop it and put traffic back, abort it: glidepath abort d-\w+$/,
    ],
    [
      "a promotion holds the lock",
      [{ deployments: [deployment("1.3.0", "SUCCEEDED"), deployment("1.2.0", "SUCCEEDED")] }],
      { lockHolder: "p-0123456789abcdef0123" },
      /^p-0123456789abcdef0123 holds checkout's lock and may deploy production next: abort the deployment it runs \(glidepath status p-0123456789abcdef0123\)/,
    ],
    [
      "nothing succeeded",
      [{ deployments: [deployment("1.3.0", "FAILED")] }],
      {},
      /^checkout has no SUCCEEDED deployment in production: nothing to roll back from$/,
    ],
    [
      "only the live one is good",
      [{ deployments: [deployment("1.3.0", "SUCCEEDED"), deployment("1.2.0", "ROLLED_BACK")] }],
      {},
      /^nothing good is known before checkout 1\.3\.0 in production: it is the only SUCCEEDED artifact there \(name one with --to\)$/,
    ],
    [
      "--to names the live version",
      [{ deployments: [deployment("1.3.0", "SUCCEEDED"), deployment("1.2.0", "SUCCEEDED")] }],
      { to: "1.3.0" },
      /^checkout 1\.3\.0 is already live in production$/,
    ],
    [
      "--to names no good version",
      [{ deployments: [deployment("1.3.0", "SUCCEEDED"), deployment("1.2.0", "SUCCEEDED")] }],
      { to: "0.9.0" },
      /^no SUCCEEDED deployment of checkout 0\.9\.0 in production to go back to \(known good: 1\.3\.0, 1\.2\.0\)$/,
    ],
  ])("refuses when %s, saying what to do", (_, waves, extra, reason) => {
    // Act
    const result = plan(waves as RollbackWaveHistory[], extra);

    // Assess
    expect(result.kind).toBe("refused");
    expect(result.kind === "refused" ? result.reason : "").toMatch(reason);
  });
});
