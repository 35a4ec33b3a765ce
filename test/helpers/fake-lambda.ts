import {
  type AliasConfiguration,
  type FunctionConfiguration,
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  ResourceConflictException,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
} from "@aws-sdk/client-lambda";
import { type AwsClientStub, mockClient } from "aws-sdk-client-mock";

export interface FakeLambdaOptions {
  readonly updateFails?: boolean;
  /** The first this many UpdateFunctionCode calls meet someone else's update in progress. */
  readonly busyUpdates?: number;
  readonly onNewWeight?: (percent: number) => void;
}

export const lambdaFunction = { type: "lambda", functionName: "checkout-api", alias: "live" } as const;

/**
 * A small, stateful imitation of one Lambda function behind aws-sdk-client-mock: versions 40 and 41, the
 * alias on 41; an UpdateFunctionCode is InProgress at the first look and Successful (or Failed) after;
 * PublishVersion adds a version once per code; the alias's weights follow UpdateAlias and are reported to
 * `onNewWeight` (the new version's percent), which drives the fake CloudWatch's traffic.
 */
export class FakeLambda {
  readonly client: AwsClientStub<LambdaClient>;
  readonly versions: FunctionConfiguration[] = [
    { Version: "$LATEST" },
    { Version: "40", CodeSha256: "code-40" },
    { Version: "41", CodeSha256: "code-41" },
  ];
  alias: AliasConfiguration = { Name: lambdaFunction.alias, FunctionVersion: "41", RoutingConfig: {} };
  /** Every alias shape UpdateAlias set, in order: [version, additional weights]. */
  readonly aliasHistory: [string, Record<string, number>][] = [];
  #code = "code-41";
  #looks = 0;

  readonly #options: FakeLambdaOptions;
  #busyUpdates: number;

  constructor(options: FakeLambdaOptions = {}) {
    this.#busyUpdates = options.busyUpdates ?? 0;
    this.#options = options;
    this.client = mockClient(LambdaClient);
    this.client
      .on(ListVersionsByFunctionCommand)
      .callsFake(() => ({ Versions: structuredClone(this.versions) }));
    this.client.on(GetAliasCommand).callsFake(() => structuredClone(this.alias));
    this.client.on(UpdateFunctionCodeCommand).callsFake((input) => {
      if (this.#busyUpdates > 0) {
        this.#busyUpdates -= 1;
        throw new ResourceConflictException({
          message:
            "The operation cannot be performed at this time. An update is in progress for resource: checkout-api",
          $metadata: {},
        });
      }
      this.#code = `code-of-${input.ImageUri ?? input.S3Key}`;
      this.#looks = 0;
      return { LastUpdateStatus: "InProgress" };
    });
    this.client.on(GetFunctionConfigurationCommand).callsFake(() => {
      this.#looks += 1;
      const status = this.#looks < 2 ? "InProgress" : this.#options.updateFails ? "Failed" : "Successful";
      return {
        Version: "$LATEST",
        CodeSha256: this.#code,
        LastUpdateStatus: status,
        ...(status === "Failed"
          ? {
              LastUpdateStatusReasonCode: "ImageAccessDenied",
              LastUpdateStatusReason: "no access to the image",
            }
          : {}),
      };
    });
    this.client.on(PublishVersionCommand).callsFake((input) => {
      const existing = this.versions.find((entry) => entry.CodeSha256 === input.CodeSha256);
      if (existing !== undefined) return existing;
      const version = {
        Version: String(this.versions.length + 39),
        CodeSha256: input.CodeSha256,
        Description: input.Description,
      };
      this.versions.push(version);
      return version;
    });
    this.client.on(UpdateAliasCommand).callsFake((input) => {
      const additional = input.RoutingConfig?.AdditionalVersionWeights ?? {};
      this.alias = {
        Name: input.Name,
        FunctionVersion: input.FunctionVersion,
        RoutingConfig: { AdditionalVersionWeights: additional },
      };
      this.aliasHistory.push([input.FunctionVersion ?? "", { ...additional }]);
      const published = this.versions.at(-1)?.Version;
      const share =
        input.FunctionVersion === published
          ? 100
          : Math.round((published === undefined ? 0 : (additional[published] ?? 0)) * 100);
      this.#options.onNewWeight?.(share);
      return this.alias;
    });
  }

  restore(): void {
    this.client.restore();
  }

  /** The versions Glidepath published (their descriptions name the deployment). */
  published(): FunctionConfiguration[] {
    return this.versions.filter((entry) => entry.Description?.startsWith("glidepath ") === true);
  }
}
