import { createHash } from "node:crypto";
import type { AliasConfiguration, FunctionConfiguration } from "@aws-sdk/client-lambda";
import type { WindowMetrics } from "../functions/domain/alarm-datapoints.ts";
import { type CodeProcess, startCodeProcess } from "./lambda-code-process.ts";
import { RecordLog, recordRetentionMs } from "./record-log.ts";

/** A zip in the local bucket, as UpdateFunctionCode names it. */
export interface ZipLocation {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
}

/** A refusal of the Lambda API: its HTTP status, its error type (the SDK's exception name) and message. */
export class LambdaApiError extends Error {
  readonly status: number;
  readonly type: string;

  constructor(status: number, type: string, message: string) {
    super(message);
    this.name = "LambdaApiError";
    this.status = status;
    this.type = type;
  }
}

export interface LocalFunctionProps {
  readonly name: string;
  /** `arn:aws:lambda:<region>:<account>:function:<name>`. */
  readonly arn: string;
  /** The handler module every code of the function runs (what the local bucket's zips hold). */
  readonly handler: string;
  /** The environment of a code's process, from the zip it runs. */
  readonly environmentOf: (zip: ZipLocation) => Readonly<Record<string, string>>;
  /** Milliseconds an invocation may run before it fails as timed out, as the function's timeout. @default 3000 */
  readonly timeoutMs?: number;
  /** Uniform [0, 1) source that picks an alias's version per invocation. @default Math.random */
  readonly random?: () => number;
  /** @default Date.now */
  readonly clock?: () => number;
}

interface Code {
  readonly zip: ZipLocation;
  readonly sha: string;
  readonly process: CodeProcess;
}

interface Latest {
  readonly code: Code;
  status: "InProgress" | "Successful" | "Failed";
  reason?: string;
}

interface PublishedVersion {
  readonly version: string;
  readonly code: Code;
  readonly description: string;
}

interface Alias {
  readonly functionVersion: string;
  readonly additional: Readonly<Record<string, number>>;
  readonly revisionId: number;
}

interface InvocationRecord {
  /** Epoch ms at which the invocation ended. */
  readonly at: number;
  readonly failed: boolean;
  readonly ms: number;
}

/** What an invocation answered: the version that ran it and the payload, a function error's when it failed. */
export interface Invocation {
  readonly executedVersion: string;
  readonly functionError: boolean;
  readonly payload: unknown;
}

/**
 * One Lambda function of the local cloud: `$LATEST`, its published versions (immutable, numbered from 1) and
 * its aliases with their routing, as the Lambda API shows them. Each distinct code runs in its own process
 * (lambda-code-process.ts) from the moment the function is updated to it; an alias sends each invocation to
 * its version or, by weighted random choice, to its additional version, and every invocation is recorded per
 * version (failed or not, and its duration), as CloudWatch's `AWS/Lambda` metrics count them per
 * `ExecutedVersion`.
 */
export class LocalFunction {
  readonly #props: LocalFunctionProps;
  #latest: Latest;
  readonly #versions: PublishedVersion[] = [];
  readonly #aliases = new Map<string, Alias>();
  readonly #codes = new Map<string, Code>();
  readonly #records = new Map<string, RecordLog<InvocationRecord>>();
  readonly #totals = new Map<string, { invocations: number; errors: number }>();
  readonly #tags = new Map<string, string>();

  constructor(props: LocalFunctionProps, zip: ZipLocation) {
    this.#props = props;
    this.#latest = { code: this.#codeOf(zip), status: "InProgress" };
    this.#settle(this.#latest);
  }

  /** Resolves once `$LATEST`'s update is no longer in progress. */
  async settled(): Promise<FunctionConfiguration> {
    await this.#latest.code.process.started.catch(() => undefined);
    return this.configuration();
  }

  updateCode(zip: ZipLocation): FunctionConfiguration {
    if (this.#latest.status === "InProgress") {
      throw new LambdaApiError(
        409,
        "ResourceConflictException",
        `The operation cannot be performed at this time. An update is in progress for resource: ${this.#props.arn}`,
      );
    }
    this.#latest = { code: this.#codeOf(zip), status: "InProgress" };
    this.#settle(this.#latest);
    return this.configuration();
  }

  configuration(): FunctionConfiguration {
    const latest = this.#latest;
    return {
      ...this.#describe("$LATEST", latest.code, ""),
      LastUpdateStatus: latest.status,
      ...(latest.status === "Failed"
        ? { LastUpdateStatusReasonCode: "FunctionError", LastUpdateStatusReason: latest.reason ?? "" }
        : {}),
    };
  }

  /** PublishVersion: a snapshot of `$LATEST`, or the newest version when its code has not changed since. */
  publish(input: { readonly CodeSha256?: string; readonly Description?: string }): FunctionConfiguration {
    const latest = this.#latest;
    if (latest.status === "InProgress") {
      throw new LambdaApiError(
        409,
        "ResourceConflictException",
        `The operation cannot be performed at this time. An update is in progress for resource: ${this.#props.arn}`,
      );
    }
    if (input.CodeSha256 !== undefined && input.CodeSha256 !== latest.code.sha) {
      throw new LambdaApiError(
        412,
        "PreconditionFailedException",
        `CodeSHA256 (${input.CodeSha256}) is different from current CodeSHA256 in $LATEST (${latest.code.sha}). Please try again with the CodeSHA256 in $LATEST.`,
      );
    }
    const newest = this.#versions.at(-1);
    if (newest !== undefined && newest.code.sha === latest.code.sha)
      return this.#describe(newest.version, newest.code, newest.description);
    const published: PublishedVersion = {
      version: String(this.#versions.length + 1),
      code: latest.code,
      description: input.Description ?? "",
    };
    this.#versions.push(published);
    return this.#describe(published.version, published.code, published.description);
  }

  /**
   * `$LATEST` first, then the versions oldest first, as ListVersionsByFunction pages them: there every entry's
   * ARN is qualified, `$LATEST`'s too.
   */
  versions(): FunctionConfiguration[] {
    return [
      { ...this.configuration(), FunctionArn: `${this.#props.arn}:$LATEST` },
      ...this.#versions.map((entry) => this.#describe(entry.version, entry.code, entry.description)),
    ];
  }

  alias(name: string): AliasConfiguration {
    const alias = this.#aliases.get(name);
    if (alias === undefined)
      throw new LambdaApiError(
        404,
        "ResourceNotFoundException",
        `Alias not found: ${this.#props.arn}:${name}`,
      );
    return this.#describeAlias(name, alias);
  }

  createAlias(name: string, functionVersion: string): AliasConfiguration {
    this.#version(functionVersion);
    const alias = { functionVersion, additional: {}, revisionId: 1 };
    this.#aliases.set(name, alias);
    return this.#describeAlias(name, alias);
  }

  /** UpdateAlias: routing left out keeps the alias's routing; `{ AdditionalVersionWeights: {} }` clears it. */
  updateAlias(
    name: string,
    input: {
      readonly FunctionVersion?: string;
      readonly RoutingConfig?: { readonly AdditionalVersionWeights?: Record<string, number> };
      readonly RevisionId?: string;
    },
  ): AliasConfiguration {
    const current = this.#aliases.get(name);
    if (current === undefined)
      throw new LambdaApiError(
        404,
        "ResourceNotFoundException",
        `Alias not found: ${this.#props.arn}:${name}`,
      );
    if (input.RevisionId !== undefined && input.RevisionId !== String(current.revisionId)) {
      throw new LambdaApiError(
        412,
        "PreconditionFailedException",
        "The Revision Id provided does not match the latest Revision Id. Call the GetAlias API to retrieve the latest Revision Id",
      );
    }
    const functionVersion = input.FunctionVersion ?? current.functionVersion;
    this.#version(functionVersion);
    const additional = input.RoutingConfig?.AdditionalVersionWeights ?? current.additional;
    const entries = Object.entries(additional);
    const invalid = (message: string) => new LambdaApiError(400, "InvalidParameterValueException", message);
    if (entries.length > 1) throw invalid("Only one additional version may be configured for an alias");
    for (const [version, weight] of entries) {
      if (!(weight >= 0 && weight <= 1))
        throw invalid(`The weight of version ${version} must be between 0.0 and 1.0, got ${weight}`);
      if (version === functionVersion || !/^\d+$/.test(version))
        throw invalid(
          `Version ${version} must be a published version other than the alias's own (${functionVersion})`,
        );
      this.#version(version);
    }
    const alias = { functionVersion, additional: { ...additional }, revisionId: current.revisionId + 1 };
    this.#aliases.set(name, alias);
    return this.#describeAlias(name, alias);
  }

  /** TagResource: adds the tags, replacing the values of keys it has. */
  tag(tags: Readonly<Record<string, unknown>>): void {
    for (const [key, value] of Object.entries(tags)) {
      if (typeof value !== "string")
        throw new LambdaApiError(
          400,
          "InvalidParameterValueException",
          `The value of tag ${key} must be a string`,
        );
      this.#tags.set(key, value);
    }
  }

  /** ListTags: the function's tags. */
  tags(): Record<string, string> {
    return Object.fromEntries(this.#tags);
  }

  /** Invokes `$LATEST`, a version or an alias (by its weights) with the event, and records the outcome. */
  async invoke(qualifier: string | undefined, event: string): Promise<Invocation> {
    const executedVersion = this.#pick(qualifier ?? "$LATEST");
    const code = executedVersion === "$LATEST" ? this.#latest.code : this.#version(executedVersion).code;
    const clock = this.#props.clock ?? Date.now;
    const started = performance.now();
    const outcome = await code.process.invoke(event, executedVersion, this.#props.timeoutMs ?? 3000);
    const at = clock();
    const failed = "error" in outcome;
    let records = this.#records.get(executedVersion);
    if (records === undefined) {
      records = new RecordLog();
      this.#records.set(executedVersion, records);
    }
    records.add({ at, failed, ms: performance.now() - started }, at - recordRetentionMs);
    const totals = this.#totals.get(executedVersion) ?? { invocations: 0, errors: 0 };
    this.#totals.set(executedVersion, {
      invocations: totals.invocations + 1,
      errors: totals.errors + (failed ? 1 : 0),
    });
    return { executedVersion, functionError: failed, payload: failed ? outcome.error : outcome.result };
  }

  /** A version's invocations that ended in [start, end) (epoch ms): failures are its errors, durations its latencies. */
  invocations(version: string, window: { readonly start: number; readonly end: number }): WindowMetrics {
    const metrics = { requests: 0, errors: 0, latenciesMs: [] as number[] };
    for (const record of this.#records.get(version)?.between(window.start, window.end) ?? []) {
      metrics.requests += 1;
      if (record.failed) metrics.errors += 1;
      metrics.latenciesMs.push(record.ms);
    }
    return metrics;
  }

  /** Every invocation a version ran since the function was created. */
  totals(version: string): { readonly invocations: number; readonly errors: number } {
    return { ...(this.#totals.get(version) ?? { invocations: 0, errors: 0 }) };
  }

  /** The process ids of the codes' processes that run. */
  pids(): number[] {
    return [...this.#codes.values()].flatMap((code) => code.process.pid ?? []);
  }

  /** Stops every code's process; safe to call twice. */
  async stop(): Promise<void> {
    await Promise.all([...this.#codes.values()].map((code) => code.process.stop()));
  }

  #codeOf(zip: ZipLocation): Code {
    const sha = codeSha256(zip);
    const known = this.#codes.get(sha);
    if (known !== undefined) return known;
    let environment: Readonly<Record<string, string>>;
    try {
      environment = this.#props.environmentOf(zip);
    } catch (error) {
      // As Lambda answers a zip it cannot get from S3.
      throw new LambdaApiError(400, "InvalidParameterValueException", (error as Error).message);
    }
    const process = startCodeProcess({
      handler: this.#props.handler,
      environment: { AWS_LAMBDA_FUNCTION_NAME: this.#props.name, ...environment },
    });
    const code = { zip, sha, process };
    this.#codes.set(sha, code);
    return code;
  }

  /**
   * The update ends once the code's process started or failed to. As on Lambda, code that fails to load is
   * still a `Successful` update: its init error fails every invocation instead.
   */
  #settle(latest: Latest): void {
    const done = () => {
      latest.status = "Successful";
    };
    latest.code.process.started.then(done, done);
  }

  #pick(qualifier: string): string {
    if (qualifier === "$LATEST" || /^\d+$/.test(qualifier)) return qualifier;
    const alias = this.#aliases.get(qualifier);
    if (alias === undefined)
      throw new LambdaApiError(
        404,
        "ResourceNotFoundException",
        `Function not found: ${this.#props.arn}:${qualifier}`,
      );
    let draw = (this.#props.random ?? Math.random)();
    for (const [version, weight] of Object.entries(alias.additional)) {
      if (draw < weight) return version;
      draw -= weight;
    }
    return alias.functionVersion;
  }

  #version(version: string): PublishedVersion | { readonly code: Code } {
    if (version === "$LATEST") return this.#latest;
    const found = this.#versions.find((entry) => entry.version === version);
    if (found === undefined)
      throw new LambdaApiError(
        404,
        "ResourceNotFoundException",
        `Function not found: ${this.#props.arn}:${version}`,
      );
    return found;
  }

  #describe(version: string, code: Code, description: string): FunctionConfiguration {
    return {
      FunctionName: this.#props.name,
      FunctionArn: version === "$LATEST" ? this.#props.arn : `${this.#props.arn}:${version}`,
      Version: version,
      CodeSha256: code.sha,
      Description: description,
      Handler: "handler.handler",
      Runtime: "nodejs22.x",
      State: "Active",
      LastUpdateStatus: "Successful",
    };
  }

  #describeAlias(name: string, alias: Alias): AliasConfiguration {
    return {
      AliasArn: `${this.#props.arn}:${name}`,
      Name: name,
      FunctionVersion: alias.functionVersion,
      Description: "",
      ...(Object.keys(alias.additional).length === 0
        ? {}
        : { RoutingConfig: { AdditionalVersionWeights: { ...alias.additional } } }),
      RevisionId: String(alias.revisionId),
    };
  }
}

/** Lambda's `CodeSha256` (base64 of the SHA-256 of the zip); locally, of where the zip is. */
function codeSha256(zip: ZipLocation): string {
  return createHash("sha256")
    .update(`${zip.bucket}/${zip.key}?${zip.versionId ?? ""}`)
    .digest("base64");
}
