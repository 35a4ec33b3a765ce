import {
  type FunctionConfiguration,
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
  type LastUpdateStatus,
  ListTagsCommand,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  ResourceConflictException,
  TagResourceCommand,
  UpdateFunctionCodeCommand,
} from "@aws-sdk/client-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { codeOf, LambdaDeployTarget } from "../../functions/adapters/aws/lambda-deploy-target.ts";
import { awsClientConfig } from "../../functions/adapters/aws/retry.ts";
import { DeployFailedError, ErrorNames } from "../../functions/domain/errors.ts";
import "../helpers/sdk-mock.ts";

const functionName = "checkout-api";
const deploymentId = "d-0123456789abcdef0123";
const image = `111122223333.dkr.ecr.eu-west-1.amazonaws.com/shop/checkout-api@sha256:${"c".repeat(64)}`;
const codeSha = "n8bRQvIgEYtfCdSOGwx8KMHeFJ0Aq2dS1LbSpn4ZD3s=";

const lambda = mockClient(LambdaClient);
const client = new LambdaClient({ ...awsClientConfig, region: "eu-west-1" });

/**
 * The function as Lambda keeps it: versions 40 and 41, the alias `live` on 41, and $LATEST whose last update
 * has `updateStatus`. PublishVersion adds a version, or returns the one already published for this code.
 */
function fakeFunction(props: { updateStatus?: LastUpdateStatus; reason?: string } = {}) {
  const versions: FunctionConfiguration[] = [{ Version: "$LATEST" }, { Version: "40" }, { Version: "41" }];
  lambda.on(ListVersionsByFunctionCommand).callsFake(() => ({ Versions: structuredClone(versions) }));
  lambda.on(GetAliasCommand).resolves({ Name: "live", FunctionVersion: "41" });
  lambda.on(UpdateFunctionCodeCommand).resolves({ LastUpdateStatus: "InProgress" });
  lambda.on(GetFunctionConfigurationCommand).resolves({
    FunctionName: functionName,
    Version: "$LATEST",
    CodeSha256: codeSha,
    LastUpdateStatus: props.updateStatus ?? "Successful",
    ...(props.reason === undefined
      ? {}
      : { LastUpdateStatusReason: props.reason, LastUpdateStatusReasonCode: "ImageAccessDenied" }),
  });
  lambda.on(PublishVersionCommand).callsFake((input) => {
    const existing = versions.find((entry) => entry.CodeSha256 === input.CodeSha256);
    if (existing !== undefined) return existing;
    const published = { Version: "42", Description: input.Description, CodeSha256: input.CodeSha256 };
    versions.push(published);
    return published;
  });
  return versions;
}

const target = () => new LambdaDeployTarget({ client, functionName, alias: "live", deploymentId });
const prepare = (artifactUri: string) =>
  target().prepare({ colour: "green", artifactUri, version: "2.4.0", baseRevision: "41", desiredCount: 1 });

beforeEach(() => {
  lambda.reset();
});

describe("LambdaDeployTarget", () => {
  it("updates the function's code to an ECR image", async () => {
    // Prepare
    fakeFunction();

    // Act
    const prepared = await prepare(image);

    // Assess
    expect(lambda.commandCalls(UpdateFunctionCodeCommand).map((call) => call.args[0].input)).toEqual([
      { FunctionName: functionName, ImageUri: image },
    ]);
    expect(prepared).toEqual({ revision: "$LATEST", desiredCount: 0 });
  });

  it("updates the function's code to a versioned zip in S3", async () => {
    // Prepare
    fakeFunction();

    // Act
    await prepare("s3://shop-artifacts/checkout-api/2.4.0.zip?versionId=3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY");

    // Assess
    expect(lambda).toHaveReceivedCommandWith(UpdateFunctionCodeCommand, {
      FunctionName: functionName,
      S3Bucket: "shop-artifacts",
      S3Key: "checkout-api/2.4.0.zip",
      S3ObjectVersion: "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY",
    });
  });

  it("does not take an update in progress as its own: TargetBusyError, for the step to retry", async () => {
    // Prepare
    fakeFunction();
    lambda
      .on(UpdateFunctionCodeCommand)
      .rejects(new ResourceConflictException({ message: "An update is in progress", $metadata: {} }));

    // Act
    const preparing = prepare(image);

    // Assess
    await expect(preparing).rejects.toMatchObject({
      name: ErrorNames.TargetBusy,
      message:
        "an update of checkout-api is in progress (An update is in progress): deploying once it is done",
    });
    expect(lambda.commandCalls(PublishVersionCommand)).toHaveLength(0);
  });

  it("updates nothing once a version was published for the deployment", async () => {
    // Prepare
    fakeFunction();
    await target().status("green");

    // Act
    const prepared = await prepare(image);

    // Assess
    expect(prepared).toEqual({ revision: "42", desiredCount: 0 });
    expect(lambda.commandCalls(UpdateFunctionCodeCommand)).toHaveLength(0);
  });

  it("reports the new version not stable while its code update is in progress, and publishes nothing", async () => {
    // Prepare
    fakeFunction({ updateStatus: "InProgress" });

    // Act
    const status = await target().status("green");

    // Assess
    expect(status).toMatchObject({
      stable: false,
      failed: false,
      reason: "the code update of checkout-api is InProgress",
    });
    expect(status.revision).toBeUndefined();
    expect(lambda.commandCalls(PublishVersionCommand)).toHaveLength(0);
  });

  it("reports a failed code update as a failed rollout, with Lambda's reason", async () => {
    // Prepare
    fakeFunction({
      updateStatus: "Failed",
      reason: "Lambda does not have permission to access the ECR image.",
    });

    // Act
    const status = await target().status("green");

    // Assess
    expect(status).toMatchObject({
      stable: false,
      failed: true,
      reason:
        "the code update of checkout-api failed: ImageAccessDenied Lambda does not have permission to access the ECR image.",
    });
  });

  it("publishes the version once the update succeeded, described with the deployment and the live version", async () => {
    // Prepare
    fakeFunction();

    // Act
    const status = await target().status("green");

    // Assess
    expect(lambda.commandCalls(PublishVersionCommand).map((call) => call.args[0].input)).toEqual([
      {
        FunctionName: functionName,
        CodeSha256: codeSha,
        Description: `glidepath ${deploymentId} replaces 41`,
      },
    ]);
    expect(status).toMatchObject({ colour: "green", revision: "42", stable: true, failed: false });
  });

  it("publishes one version however often the check is retried", async () => {
    // Prepare
    const versions = fakeFunction();

    // Act
    const statuses = [await target().status("green"), await target().status("green")];

    // Assess
    expect(statuses.map((status) => status.revision)).toEqual(["42", "42"]);
    expect(lambda.commandCalls(PublishVersionCommand)).toHaveLength(1);
    expect(versions.map((entry) => entry.Version)).toEqual(["$LATEST", "40", "41", "42"]);
  });

  it("reports blue as the alias's version before publishing, and as the version replaced after", async () => {
    // Prepare
    fakeFunction();
    const before = await target().status("blue");
    await target().status("green");
    lambda.on(GetAliasCommand).resolves({ Name: "live", FunctionVersion: "42" });

    // Act
    const after = await target().status("blue");

    // Assess
    expect([before.revision, after.revision]).toEqual(["41", "41"]);
    expect(after.stable).toBe(true);
  });
});

describe("LambdaDeployTarget, with an artifact that is a version published before", () => {
  const functionArn = `arn:aws:lambda:eu-west-1:111122223333:function:${functionName}`;

  /**
   * Versions 41 (on the alias) and 42, published by the team's own pipeline, each ARN qualified as
   * ListVersionsByFunction lists them; TagResource and ListTags kept.
   */
  function publishedFunction() {
    const versions: FunctionConfiguration[] = ["$LATEST", "41", "42"].map((version) => ({
      Version: version,
      FunctionArn: `${functionArn}:${version}`,
      Description: version === "42" ? "built by ci #812" : "",
    }));
    const tags: Record<string, string> = {};
    lambda.on(ListVersionsByFunctionCommand).callsFake(() => ({ Versions: structuredClone(versions) }));
    lambda.on(GetAliasCommand).resolves({ Name: "live", FunctionVersion: "41" });
    lambda.on(TagResourceCommand).callsFake((input) => Object.assign(tags, input.Tags));
    lambda.on(ListTagsCommand).callsFake(() => ({ Tags: { ...tags } }));
  }

  it("updates and publishes nothing: it tags the function with the deployment's versions, which status finds", async () => {
    // Prepare
    publishedFunction();

    // Act
    const prepared = await prepare(`${functionArn}:42`);
    const again = await prepare(`${functionArn}:42`);
    const green = await target().status("green");
    const blue = await target().status("blue");

    // Assess
    expect(lambda.commandCalls(TagResourceCommand).map((call) => call.args[0].input)).toEqual([
      { Resource: functionArn, Tags: { "glidepath:live": `${deploymentId} replaces 41 with 42` } },
    ]);
    expect(lambda.commandCalls(ListTagsCommand).map((call) => call.args[0].input)[0]).toEqual({
      Resource: functionArn,
    });
    expect([prepared, again]).toEqual([
      { revision: "42", desiredCount: 0 },
      { revision: "42", desiredCount: 0 },
    ]);
    expect([green.revision, green.stable, blue.revision]).toEqual(["42", true, "41"]);
    expect(lambda.commandCalls(UpdateFunctionCodeCommand)).toEqual([]);
    expect(lambda.commandCalls(PublishVersionCommand)).toEqual([]);
  });

  it.each([
    [
      "a version of the function in another region",
      "arn:aws:lambda:eu-central-1:111122223333:function:checkout-api:42",
      `arn:aws:lambda:eu-central-1:111122223333:function:checkout-api:42 is not a published version of ${functionArn}, this wave's function`,
    ],
    [
      "a version that does not exist",
      `${functionArn}:43`,
      `${functionArn}:43 is not a published version of ${functionArn}, this wave's function`,
    ],
    [
      "the version the alias serves",
      `${functionArn}:41`,
      "alias live of checkout-api serves version 41 already: there is nothing to deploy",
    ],
  ])("refuses %s and tags nothing", async (_, artifactUri, message) => {
    // Prepare
    publishedFunction();

    // Act
    const preparing = prepare(artifactUri);

    // Assess
    await expect(preparing).rejects.toThrow(DeployFailedError);
    await expect(preparing).rejects.toThrow(message);
    expect(lambda.commandCalls(TagResourceCommand)).toEqual([]);
  });
});

describe("codeOf", () => {
  it("refuses an artifact that is neither an ECR image, an s3:// zip nor a version's ARN, saying what a deployment takes", () => {
    // Act
    const code = () => codeOf("docker.io/library/nginx:latest");

    // Assess
    expect(code).toThrow(DeployFailedError);
    expect(code).toThrow(
      "docker.io/library/nginx:latest is neither an ECR image URI, an s3:// zip nor a published version's ARN: a Lambda deployment takes one of the three",
    );
  });

  it("refuses an s3:// URI without a key", () => {
    // Act
    const code = () => codeOf("s3://shop-artifacts/");

    // Assess
    expect(code).toThrow(
      "s3://shop-artifacts/ names no bucket and key: expected s3://bucket/key[?versionId=…]",
    );
  });
});
