import {
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  type InvokeCommandOutput,
  LambdaClient,
  ListTagsCommand,
  ListVersionsByFunctionCommand,
  PreconditionFailedException,
  PublishVersionCommand,
  ResourceConflictException,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
} from "@aws-sdk/client-lambda";
import { afterEach, describe, expect, it } from "vitest";
import { LambdaAliasRouter } from "../../functions/adapters/aws/lambda-alias-router.ts";
import { LambdaDeployTarget } from "../../functions/adapters/aws/lambda-deploy-target.ts";
import type { LocalFunction } from "../../local/lambda-function.ts";
import { type LocalLambdaService, startLambdaService } from "../../local/lambda-service.ts";
import { localBucket, localZip, zipUri, zipVersion } from "../../local/local-bucket.ts";

const handler = "examples/sample-fn/handler.ts";
/** How each version of the sample function behaves: 1.2.0 fails every invocation, 1.3.0 cannot load. */
const environmentOf = (zip: Parameters<typeof zipVersion>[0]) => {
  const version = zipVersion(zip);
  return {
    SAMPLE_VERSION: version,
    SAMPLE_ERROR_RATE: version === "1.2.0" ? "1" : "0",
    SAMPLE_INIT_FAILS: String(version === "1.3.0"),
  };
};

const services: LocalLambdaService[] = [];
afterEach(async () => {
  await Promise.all(services.splice(0).map((service) => service.stop()));
});

/** The local Lambda service with sample-fn 1.0.0 as version 1 behind `live`, and a real LambdaClient of it. */
async function sampleFunction(random?: () => number): Promise<{
  service: LocalLambdaService;
  fn: LocalFunction;
  client: LambdaClient;
}> {
  const service = await startLambdaService({
    account: "000000000000",
    region: "eu-west-1",
    environmentOf,
    ...(random === undefined ? {} : { random }),
  });
  services.push(service);
  const fn = await service.createFunction({
    name: "sample-fn",
    handler,
    zip: localZip("sample-fn", "1.0.0"),
    alias: "live",
  });
  const client = new LambdaClient({
    region: "eu-west-1",
    endpoint: service.url,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts: 1,
  });
  return { service, fn, client };
}

const zipOf = (version: string) => {
  const zip = localZip("sample-fn", version);
  return { S3Bucket: zip.bucket, S3Key: zip.key, S3ObjectVersion: zip.versionId };
};

async function untilUpdated(client: LambdaClient): Promise<string> {
  for (let look = 0; look < 100; look++) {
    const config = await client.send(new GetFunctionConfigurationCommand({ FunctionName: "sample-fn" }));
    if (config.LastUpdateStatus !== "InProgress") return config.LastUpdateStatus ?? "";
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("the update never ended");
}

describe("the local Lambda service, through the SDK's LambdaClient", () => {
  it("an update is InProgress until its code's process runs, then Successful; publishing it twice makes one version 2", {
    timeout: 20_000,
  }, async () => {
    // Arrange
    const { client } = await sampleFunction();

    // Act
    const update = await client.send(
      new UpdateFunctionCodeCommand({ FunctionName: "sample-fn", ...zipOf("1.1.0") }),
    );
    const status = await untilUpdated(client);
    const publish = () =>
      client.send(
        new PublishVersionCommand({
          FunctionName: "sample-fn",
          CodeSha256: update.CodeSha256,
          Description: "glidepath d-0123abcd replaces 1",
        }),
      );
    const first = await publish();
    const second = await publish();
    const versions = await client.send(new ListVersionsByFunctionCommand({ FunctionName: "sample-fn" }));

    // Assess
    expect(update.LastUpdateStatus).toBe("InProgress");
    expect(status).toBe("Successful");
    expect([first.Version, second.Version]).toEqual(["2", "2"]);
    expect(versions.Versions?.map((entry) => [entry.Version, entry.Description])).toEqual([
      ["$LATEST", ""],
      ["1", "the live version before Glidepath"],
      ["2", "glidepath d-0123abcd replaces 1"],
    ]);
  });

  it("refuses an update while one is in progress (ResourceConflictException) and a publish of other code (PreconditionFailedException)", {
    timeout: 20_000,
  }, async () => {
    // Arrange
    const { client } = await sampleFunction();
    await client.send(new UpdateFunctionCodeCommand({ FunctionName: "sample-fn", ...zipOf("1.1.0") }));

    // Act
    const again = client.send(
      new UpdateFunctionCodeCommand({ FunctionName: "sample-fn", ...zipOf("1.2.0") }),
    );
    await expect(again).rejects.toBeInstanceOf(ResourceConflictException);
    await untilUpdated(client);
    const stale = client.send(
      new PublishVersionCommand({ FunctionName: "sample-fn", CodeSha256: "c29tZXRoaW5nIGVsc2U=" }),
    );

    // Assess
    await expect(again).rejects.toThrow(
      /An update is in progress for resource: arn:aws:lambda:eu-west-1:000000000000:function:sample-fn/,
    );
    await expect(stale).rejects.toBeInstanceOf(PreconditionFailedException);
  });

  it("an alias with version 2 at 0.25 sends a quarter of its invocations to version 2, and counts each version's errors", {
    timeout: 20_000,
  }, async () => {
    // Arrange: draws 0.00, 0.01, … 0.99, so exactly the draws below 0.25 pick the additional version
    let draw = 0;
    const { client, fn } = await sampleFunction(() => (draw++ % 100) / 100);
    await client.send(new UpdateFunctionCodeCommand({ FunctionName: "sample-fn", ...zipOf("1.2.0") }));
    await untilUpdated(client);
    await client.send(new PublishVersionCommand({ FunctionName: "sample-fn" }));
    await client.send(
      new UpdateAliasCommand({
        FunctionName: "sample-fn",
        Name: "live",
        FunctionVersion: "1",
        RoutingConfig: { AdditionalVersionWeights: { "2": 0.25 } },
      }),
    );

    // Act
    const answers: InvokeCommandOutput[] = [];
    for (let invocation = 0; invocation < 100; invocation++) {
      answers.push(
        await client.send(
          new InvokeCommand({
            FunctionName: "sample-fn",
            Qualifier: "live",
            Payload: JSON.stringify({ name: "ana" }),
          }),
        ),
      );
    }

    // Assess
    const byVersion = (version: string) => answers.filter((answer) => answer.ExecutedVersion === version);
    expect(byVersion("2").length).toBe(25);
    expect(byVersion("2").every((answer) => answer.FunctionError === "Unhandled")).toBe(true);
    expect(JSON.parse(Buffer.from(byVersion("1")[0]?.Payload ?? []).toString())).toEqual({
      version: "1.0.0",
      greeting: "hello, ana",
    });
    expect([fn.totals("1"), fn.totals("2")]).toEqual([
      { invocations: 75, errors: 0 },
      { invocations: 25, errors: 25 },
    ]);
    const metrics = fn.invocations("2", { start: 0, end: Date.now() + 1 });
    expect({
      requests: metrics.requests,
      errors: metrics.errors,
      durations: metrics.latenciesMs.length,
    }).toEqual({
      requests: 25,
      errors: 25,
      durations: 25,
    });
  });

  it("code whose init fails is still a Successful update, and every invocation of it is a Runtime.ExitError", {
    timeout: 20_000,
  }, async () => {
    // Arrange
    const { client } = await sampleFunction();
    await client.send(new UpdateFunctionCodeCommand({ FunctionName: "sample-fn", ...zipOf("1.3.0") }));

    // Act
    const status = await untilUpdated(client);
    const answer = await client.send(new InvokeCommand({ FunctionName: "sample-fn", Payload: "{}" }));

    // Assess
    expect(status).toBe("Successful");
    expect(answer.FunctionError).toBe("Unhandled");
    expect(JSON.parse(Buffer.from(answer.Payload ?? []).toString())).toMatchObject({
      errorType: "Runtime.ExitError",
      errorMessage: expect.stringContaining("version 1.3.0 cannot start: init failed"),
    });
  });

  it("UpdateAlias refuses two additional versions, a weight above 1 and a version that does not exist, and keeps the alias", {
    timeout: 20_000,
  }, async () => {
    // Arrange
    const { client } = await sampleFunction();
    const update = (input: { FunctionVersion: string; weights: Record<string, number> }) =>
      client.send(
        new UpdateAliasCommand({
          FunctionName: "sample-fn",
          Name: "live",
          FunctionVersion: input.FunctionVersion,
          RoutingConfig: { AdditionalVersionWeights: input.weights },
        }),
      );

    // Act
    const inputs: { FunctionVersion: string; weights: Record<string, number> }[] = [
      { FunctionVersion: "1", weights: { "2": 0.1, "3": 0.1 } },
      { FunctionVersion: "1", weights: { "1": 1.5 } },
      { FunctionVersion: "7", weights: {} },
    ];
    const refusals = await Promise.all(
      inputs.map((input) =>
        update(input).then(
          () => "accepted",
          (error: Error) => `${error.name}: ${error.message}`,
        ),
      ),
    );
    const alias = await client.send(new GetAliasCommand({ FunctionName: "sample-fn", Name: "live" }));

    // Assess
    expect(refusals).toEqual([
      "InvalidParameterValueException: Only one additional version may be configured for an alias",
      "InvalidParameterValueException: The weight of version 1 must be between 0.0 and 1.0, got 1.5",
      "ResourceNotFoundException: Function not found: arn:aws:lambda:eu-west-1:000000000000:function:sample-fn:7",
    ]);
    expect({ version: alias.FunctionVersion, routing: alias.RoutingConfig }).toEqual({
      version: "1",
      routing: undefined,
    });
  });

  it("ListVersionsByFunction pages by MaxItems with NextMarker", { timeout: 20_000 }, async () => {
    // Arrange
    const { client } = await sampleFunction();

    // Act
    const first = await client.send(
      new ListVersionsByFunctionCommand({ FunctionName: "sample-fn", MaxItems: 1 }),
    );
    const second = await client.send(
      new ListVersionsByFunctionCommand({ FunctionName: "sample-fn", MaxItems: 1, Marker: first.NextMarker }),
    );

    // Assess
    expect([first.Versions?.map((entry) => entry.Version), first.NextMarker]).toEqual([["$LATEST"], "1"]);
    expect([second.Versions?.map((entry) => entry.Version), second.NextMarker]).toEqual([["1"], undefined]);
  });

  it("the AWS adapters deploy a zip of the local bucket: LambdaDeployTarget publishes it once, LambdaAliasRouter splits and reads back", {
    timeout: 20_000,
  }, async () => {
    // Arrange
    const { client, service } = await sampleFunction();
    const deployment = { client, functionName: "sample-fn", alias: "live", deploymentId: "d-0123abcd" };
    const target = new LambdaDeployTarget(deployment);
    const router = new LambdaAliasRouter(deployment);

    // Act
    await target.prepare({
      colour: "green",
      version: "1.1.0",
      artifactUri: zipUri(localZip("sample-fn", "1.1.0")),
      baseRevision: "1",
      desiredCount: 1,
    });
    await untilUpdated(client);
    const published = await target.status("green");
    const retried = await target.status("green");
    const split = await router.setWeights({ blue: 90, green: 10 });
    const full = await router.setWeights({ blue: 0, green: 100 });

    // Assess
    expect(zipUri(localZip("sample-fn", "1.1.0"))).toMatch(
      new RegExp(`^s3://${localBucket}/sample-fn/1\\.1\\.0\\.zip\\?versionId=[0-9a-f]{32}$`),
    );
    expect([published.revision, published.stable, retried.revision]).toEqual(["2", true, "2"]);
    expect([split.weights, full.weights]).toEqual([
      { blue: 90, green: 10 },
      { blue: 0, green: 100 },
    ]);
    const alias = await client.send(new GetAliasCommand({ FunctionName: "sample-fn", Name: "live" }));
    expect([alias.FunctionVersion, alias.RoutingConfig]).toEqual(["2", undefined]);
    expect(
      service
        .function("sample-fn")
        ?.versions()
        .map((entry) => entry.Version),
    ).toEqual(["$LATEST", "1", "2"]);
  });

  it("a version published before is deployed by its ARN: the function is tagged with the deployment, and the router splits to it from the tag", {
    timeout: 20_000,
  }, async () => {
    // Arrange: version 2 published by the team's own pipeline, the alias still on 1
    const { client } = await sampleFunction();
    await client.send(new UpdateFunctionCodeCommand({ FunctionName: "sample-fn", ...zipOf("1.1.0") }));
    await untilUpdated(client);
    const { FunctionArn } = await client.send(new PublishVersionCommand({ FunctionName: "sample-fn" }));
    const deployment = { client, functionName: "sample-fn", alias: "live", deploymentId: "d-4567ef01" };
    const target = new LambdaDeployTarget(deployment);
    const router = new LambdaAliasRouter(deployment);

    // Act
    const prepared = await target.prepare({
      colour: "green",
      version: "1.1.0",
      artifactUri: FunctionArn ?? "",
      baseRevision: "1",
      desiredCount: 1,
    });
    const split = await router.setWeights({ blue: 75, green: 25 });
    const back = await router.setWeights({ blue: 100, green: 0 });

    // Assess
    const arn = "arn:aws:lambda:eu-west-1:000000000000:function:sample-fn";
    expect(FunctionArn).toBe(`${arn}:2`);
    expect(prepared.revision).toBe("2");
    expect((await client.send(new ListTagsCommand({ Resource: arn }))).Tags).toEqual({
      "glidepath:live": "d-4567ef01 replaces 1 with 2",
    });
    expect([split.weights, back.weights]).toEqual([
      { blue: 75, green: 25 },
      { blue: 100, green: 0 },
    ]);
    const alias = await client.send(new GetAliasCommand({ FunctionName: "sample-fn", Name: "live" }));
    expect([alias.FunctionVersion, alias.RoutingConfig]).toEqual(["1", undefined]);
  });
});
