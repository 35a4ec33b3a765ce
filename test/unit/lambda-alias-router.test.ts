import {
  type AliasConfiguration,
  type FunctionConfiguration,
  GetAliasCommand,
  LambdaClient,
  ListVersionsByFunctionCommand,
  UpdateAliasCommand,
} from "@aws-sdk/client-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LambdaAliasRouter } from "../../functions/adapters/aws/lambda-alias-router.ts";
import { versionDescription } from "../../functions/adapters/aws/lambda-versions.ts";
import { awsClientConfig } from "../../functions/adapters/aws/retry.ts";
import { ErrorNames, ShiftFailedError } from "../../functions/domain/errors.ts";
import "../helpers/sdk-mock.ts";

const functionName = "checkout-api";
const alias = "live";
const deploymentId = "d-0123456789abcdef0123";

const lambda = mockClient(LambdaClient);
const client = new LambdaClient({ ...awsClientConfig, region: "eu-west-1" });

/**
 * A function with versions 40 to 42 (42 published for the deployment, replacing 41) and its alias, as Lambda
 * keeps them: GetAlias reports what UpdateAlias last set, unless `ignoreUpdates`; ListVersionsByFunction pages
 * two versions at a time, oldest first.
 */
function fakeFunction(options: { published?: boolean; ignoreUpdates?: boolean } = {}) {
  const versions: FunctionConfiguration[] = [
    { Version: "$LATEST" },
    { Version: "40", Description: "" },
    { Version: "41", Description: versionDescription("d-ffffffffffffffffffff", "40") },
    ...(options.published === false
      ? []
      : [{ Version: "42", Description: versionDescription(deploymentId, "41") }]),
  ];
  const state: { alias: AliasConfiguration } = {
    alias: { Name: alias, FunctionVersion: "41", RoutingConfig: { AdditionalVersionWeights: {} } },
  };
  lambda.on(ListVersionsByFunctionCommand).callsFake((input) => {
    const start = input.Marker === undefined ? 0 : Number(input.Marker);
    const end = start + 2;
    return {
      Versions: versions.slice(start, end),
      ...(end < versions.length ? { NextMarker: String(end) } : {}),
    };
  });
  lambda.on(GetAliasCommand).callsFake(() => structuredClone(state.alias));
  lambda.on(UpdateAliasCommand).callsFake((input) => {
    if (!options.ignoreUpdates) {
      state.alias = {
        Name: alias,
        FunctionVersion: input.FunctionVersion,
        RoutingConfig: input.RoutingConfig ?? {},
      };
    }
    return state.alias;
  });
  return state;
}

const router = () => new LambdaAliasRouter({ client, functionName, alias, deploymentId });
const updates = () => lambda.commandCalls(UpdateAliasCommand).map((call) => call.args[0].input);

beforeEach(() => {
  lambda.reset();
});

afterEach(() => {
  lambda.reset();
});

describe("LambdaAliasRouter", () => {
  it("reads everything on blue, the alias's version, before a version is published for the deployment", async () => {
    // Prepare
    fakeFunction({ published: false });

    // Act
    const weights = await router().readWeights();

    // Assess
    expect(weights).toEqual({ blue: 100, green: 0 });
  });

  it("splits with the new version's share as its additional weight on the old version, read back", async () => {
    // Prepare
    const state = fakeFunction();

    // Act
    const result = await router().setWeights({ blue: 90, green: 10 });

    // Assess
    expect(updates()).toEqual([
      {
        FunctionName: functionName,
        Name: alias,
        FunctionVersion: "41",
        RoutingConfig: { AdditionalVersionWeights: { "42": 0.1 } },
      },
    ]);
    expect(result).toEqual({ changed: true, weights: { blue: 90, green: 10 }, settled: true });
    expect(state.alias.FunctionVersion).toBe("41");
    expect(lambda).toHaveReceivedCommandWith(GetAliasCommand, { FunctionName: functionName, Name: alias });
  });

  it("at 100% points the alias at the new version with no routing, and a rollback points it back at the old one", async () => {
    // Prepare
    fakeFunction();

    // Act
    await router().setWeights({ blue: 50, green: 50 });
    const promoted = await router().setWeights({ blue: 0, green: 100 });
    const readAtFull = await router().readWeights();
    const rolledBack = await router().setWeights({ blue: 100, green: 0 });

    // Assess
    expect(updates().map((input) => [input.FunctionVersion, input.RoutingConfig])).toEqual([
      ["41", { AdditionalVersionWeights: { "42": 0.5 } }],
      ["42", { AdditionalVersionWeights: {} }],
      ["41", { AdditionalVersionWeights: {} }],
    ]);
    expect(promoted.weights).toEqual({ blue: 0, green: 100 });
    expect(readAtFull).toEqual({ blue: 0, green: 100 });
    expect(rolledBack.weights).toEqual({ blue: 100, green: 0 });
  });

  it("changes nothing when the alias already has the weights (a redelivered shift)", async () => {
    // Prepare
    fakeFunction();
    await router().setWeights({ blue: 75, green: 25 });

    // Act
    const again = await router().setWeights({ blue: 75, green: 25 });

    // Assess
    expect(again).toEqual({ changed: false, weights: { blue: 75, green: 25 }, settled: true });
    expect(updates()).toHaveLength(1);
  });

  it("finds the deployment's version on a later page of ListVersionsByFunction", async () => {
    // Prepare
    fakeFunction();

    // Act
    await router().setWeights({ blue: 90, green: 10 });

    // Assess
    expect(
      lambda.commandCalls(ListVersionsByFunctionCommand).map((call) => call.args[0].input.Marker),
    ).toEqual([undefined, "2"]);
    expect(updates()[0]?.RoutingConfig).toEqual({ AdditionalVersionWeights: { "42": 0.1 } });
  });

  it("fails with ShiftFailedError when the alias does not report the weights after the update", async () => {
    // Prepare
    fakeFunction({ ignoreUpdates: true });

    // Act
    const shifting = router().setWeights({ blue: 90, green: 10 });

    // Assess
    await expect(shifting).rejects.toBeInstanceOf(ShiftFailedError);
    await expect(shifting).rejects.toMatchObject({
      name: ErrorNames.ShiftFailed,
      message: expect.stringMatching(
        /^Shifting alias live of function checkout-api to blue 90% \/ green 10% did not take: it reports blue 100% \/ green 0%\. Something else may be changing the same alias/,
      ),
    });
  });

  it("refuses to shift before the deployment has a new version, published or tagged, and sends no update", async () => {
    // Prepare
    fakeFunction({ published: false });

    // Act
    const shifting = router().setWeights({ blue: 90, green: 10 });

    // Assess
    await expect(shifting).rejects.toThrow(
      `alias live of function checkout-api: deployment ${deploymentId} has no new version of checkout-api (none published or tagged for it), so there is nothing to shift to`,
    );
    expect(updates()).toEqual([]);
  });

  it("refuses weights that are not whole percents adding up to 100", async () => {
    // Prepare
    fakeFunction();

    // Act
    const shifting = router().setWeights({ blue: 80, green: 10 });

    // Assess
    await expect(shifting).rejects.toThrow(RangeError);
    expect(updates()).toEqual([]);
  });
});
