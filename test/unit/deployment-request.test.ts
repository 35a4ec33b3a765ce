import { describe, expect, it } from "vitest";
import { Strategy, type StrategyInput } from "../../functions/domain/config/index.ts";
import { deploymentRequest, parseDeploymentRequest } from "../../functions/domain/deployment-request.ts";
import { configWith, firstWave } from "../statemachines/harness.ts";

const deployment = {
  id: "d-0123456789abcdef0123",
  artifact: {
    uri: "111122223333.dkr.ecr.eu-west-1.amazonaws.com/shop/checkout@sha256:ab",
    digest: "sha256:ab",
    version: "1.4.0",
  },
};

function requestFor(strategy: StrategyInput) {
  const service = configWith(strategy).services[0];
  const environment = service?.environments[0];
  if (service === undefined || environment === undefined) throw new Error("bad config");
  return deploymentRequest({ service, environment, wave: firstWave(service, environment), deployment });
}

describe("deploymentRequest", () => {
  it("resolves the environment into the execution input", () => {
    // Act
    const request = requestFor(Strategy.linear({ stepPercent: 50, intervalSeconds: 60 }));

    // Assess
    expect(request).toMatchObject({
      deploymentId: deployment.id,
      service: "checkout",
      environment: "production",
      strategy: "linear",
      plan: {
        phases: [
          { weight: 50, bakeSeconds: 60 },
          { weight: 100, bakeSeconds: 0 },
        ],
        phaseCount: 2,
        totalSeconds: 60,
      },
      alarms: ["checkout-5xx"],
      smokeTest: null,
      timing: { deployCheckSeconds: 15, deployMaxChecks: 80 },
    });
    expect(parseDeploymentRequest(request)).toEqual(request);
  });

  it("smoke-tests blue-green before its phases instead of shifting to 0%", () => {
    // Act
    const request = requestFor(Strategy.blueGreen({ smokeTest: "smoke", bakeSeconds: 60 }));

    // Assess
    expect(request.plan.phases).toEqual([{ weight: 100, bakeSeconds: 60, gates: [] }]);
    expect(request.smokeTest).toEqual({
      function: expect.stringContaining(":function:checkout-smoke"),
      timeoutSeconds: 60,
    });
  });
});

describe("parseDeploymentRequest", () => {
  it("marks a phase that ends at an approval with its timeout", () => {
    // Act
    const request = requestFor(
      Strategy.canary({ steps: [{ setWeight: 10 }, { approval: { timeoutSeconds: 600 } }] }),
    );

    // Assess
    expect(parseDeploymentRequest(request).plan.phases).toEqual([
      { weight: 10, bakeSeconds: 0, gates: ["approval"], approvalTimeoutSeconds: 600 },
      { weight: 100, bakeSeconds: 0, gates: [] },
    ]);
  });

  it("lists every invalid field", () => {
    expect(() => parseDeploymentRequest({ deploymentId: "nope" })).toThrow(
      /^the execution input is invalid: deploymentId: must be a deployment id .*; service: /,
    );
  });
});
