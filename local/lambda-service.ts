import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  LambdaApiError,
  LocalFunction,
  type LocalFunctionProps,
  type ZipLocation,
} from "./lambda-function.ts";

export interface LocalLambdaServiceProps {
  /** The account and region its ARNs name: the local cloud's. */
  readonly account: string;
  readonly region: string;
  readonly environmentOf: LocalFunctionProps["environmentOf"];
  readonly random?: () => number;
  readonly clock?: () => number;
}

export interface LocalLambdaService {
  /** `http://127.0.0.1:<port>`: the endpoint of a LambdaClient of the local cloud. */
  readonly url: string;
  /**
   * Creates a function as it is before Glidepath's first deployment: its code at `zip`, published as version 1,
   * and `alias` on it. Resolves once the code's process has started (or failed to).
   */
  createFunction(props: {
    readonly name: string;
    readonly handler: string;
    readonly zip: ZipLocation;
    readonly alias: string;
  }): Promise<LocalFunction>;
  function(name: string): LocalFunction | undefined;
  /** The process ids of every function's code processes that run. */
  pids(): number[];
  /** Stops listening and every process; safe to call twice. */
  stop(): Promise<void>;
}

/** TagResource and ListTags, on the function's (URL-encoded) ARN. */
const tagsRoute = /^\/2017-03-31\/tags\/([^/]+)$/;
const route =
  /^\/2015-03-31\/functions\/([^/]+)\/(code|configuration|versions|invocations|aliases\/([^/]+))$/;

/**
 * The local cloud's AWS Lambda: the part of the Lambda API (REST-JSON, as the SDK's LambdaClient speaks it) that
 * a deployment of a function uses, over HTTP on 127.0.0.1, so the same LambdaDeployTarget and LambdaAliasRouter
 * as on AWS run against it: UpdateFunctionCode (a zip in the local bucket), GetFunctionConfiguration,
 * PublishVersion, ListVersionsByFunction (paged), GetAlias, UpdateAlias, TagResource, ListTags, and Invoke
 * through `$LATEST`, a version or an alias. Refusals come as Lambda's (`x-amzn-ErrorType`, status and message).
 */
export async function startLambdaService(props: LocalLambdaServiceProps): Promise<LocalLambdaService> {
  const functions = new Map<string, LocalFunction>();
  const arnOf = (name: string) => `arn:aws:lambda:${props.region}:${props.account}:function:${name}`;

  const handle = async (request: IncomingMessage, response: ServerResponse, body: string) => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const json = (status: number, value: unknown) =>
      response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
    const tagged = tagsRoute.exec(url.pathname);
    if (tagged !== null) {
      const arn = decodeURIComponent(tagged[1] ?? "");
      const fn = functions.get(functionNameOf(arn).name);
      if (fn === undefined || arn !== arnOf(functionNameOf(arn).name))
        throw new LambdaApiError(404, "ResourceNotFoundException", `Function not found: ${arn}`);
      if (request.method === "GET") return json(200, { Tags: fn.tags() });
      if (request.method === "POST") {
        const { Tags } = parse(body);
        fn.tag(typeof Tags === "object" && Tags !== null ? (Tags as Record<string, unknown>) : {});
        return response.writeHead(204).end();
      }
    }
    const match = route.exec(url.pathname);
    if (match === null) {
      throw new LambdaApiError(
        404,
        "UnknownOperationException",
        `the local Lambda service has no ${request.method} ${url.pathname}`,
      );
    }
    const { name, qualifier: pathQualifier } = functionNameOf(decodeURIComponent(match[1] ?? ""));
    const fn = functions.get(name);
    if (fn === undefined)
      throw new LambdaApiError(404, "ResourceNotFoundException", `Function not found: ${arnOf(name)}`);
    const qualifier = url.searchParams.get("Qualifier") ?? pathQualifier;
    const operation = `${request.method} ${match[3] === undefined ? match[2] : "alias"}`;
    switch (operation) {
      case "PUT code":
        return json(200, fn.updateCode(zipOf(parse(body))));
      case "GET configuration": {
        const configuration = fn.versions().find((entry) => entry.Version === (qualifier ?? "$LATEST"));
        if (configuration === undefined)
          throw new LambdaApiError(
            404,
            "ResourceNotFoundException",
            `Function not found: ${arnOf(name)}:${qualifier}`,
          );
        return json(200, configuration);
      }
      case "POST versions":
        return json(201, fn.publish(parse(body) as { CodeSha256?: string; Description?: string }));
      case "GET versions": {
        const all = fn.versions();
        const from = Number(url.searchParams.get("Marker") ?? "0");
        const size = Math.min(Number(url.searchParams.get("MaxItems") ?? "50"), 50);
        const next = from + size;
        return json(200, {
          Versions: all.slice(from, next),
          ...(next < all.length ? { NextMarker: String(next) } : {}),
        });
      }
      case "GET alias":
        return json(200, fn.alias(decodeURIComponent(match[3] ?? "")));
      case "PUT alias":
        return json(200, fn.updateAlias(decodeURIComponent(match[3] ?? ""), parse(body) as never));
      case "POST invocations": {
        const type = request.headers["x-amz-invocation-type"] ?? "RequestResponse";
        if (type === "DryRun") return response.writeHead(204).end();
        const invocation = fn.invoke(qualifier ?? undefined, body);
        if (type === "Event") {
          invocation.catch(() => undefined);
          return response.writeHead(202).end();
        }
        const { executedVersion, functionError, payload } = await invocation;
        return response
          .writeHead(200, {
            "content-type": "application/json",
            "x-amz-executed-version": executedVersion,
            ...(functionError ? { "x-amz-function-error": "Unhandled" } : {}),
          })
          .end(JSON.stringify(payload));
      }
      default:
        throw new LambdaApiError(
          404,
          "UnknownOperationException",
          `the local Lambda service has no ${request.method} ${url.pathname}`,
        );
    }
  };

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      handle(request, response, Buffer.concat(chunks).toString()).catch((error: unknown) => {
        const refusal =
          error instanceof LambdaApiError
            ? error
            : new LambdaApiError(500, "ServiceException", (error as Error).message);
        if (response.headersSent) return;
        response
          .writeHead(refusal.status, { "content-type": "application/json", "x-amzn-errortype": refusal.type })
          .end(JSON.stringify({ Type: refusal.status < 500 ? "User" : "Service", message: refusal.message }));
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  let stopped = false;
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async createFunction({ name, handler, zip, alias }) {
      if (functions.has(name)) throw new Error(`the local Lambda service already has a function ${name}`);
      const fn = new LocalFunction({ ...props, name, arn: arnOf(name), handler }, zip);
      functions.set(name, fn);
      await fn.settled();
      fn.publish({ Description: "the live version before Glidepath" });
      fn.createAlias(alias, "1");
      return fn;
    },
    function: (name) => functions.get(name),
    pids: () => [...functions.values()].flatMap((fn) => fn.pids()),
    async stop() {
      if (stopped) return;
      stopped = true;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await Promise.all([...functions.values()].map((fn) => fn.stop()));
    },
  };
}

/** A function's name from the path: a name, `name:qualifier`, or its ARN with or without a qualifier. */
function functionNameOf(value: string): { name: string; qualifier?: string } {
  const parts = value.startsWith("arn:") ? value.split(":").slice(6) : value.split(":");
  const [name = "", qualifier] = parts;
  return qualifier === undefined ? { name } : { name, qualifier };
}

function parse(body: string): Record<string, unknown> {
  try {
    const value: unknown = body === "" ? {} : JSON.parse(body);
    if (typeof value === "object" && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // Answered below.
  }
  throw new LambdaApiError(400, "InvalidRequestContentException", "Could not parse request body into json");
}

/** The zip an UpdateFunctionCode names: the local cloud runs zips from its bucket, not images or inline zips. */
function zipOf(input: Record<string, unknown>): ZipLocation {
  const { S3Bucket, S3Key, S3ObjectVersion } = input;
  if (typeof S3Bucket !== "string" || typeof S3Key !== "string") {
    throw new LambdaApiError(
      400,
      "InvalidParameterValueException",
      "the local Lambda service runs zips from the local bucket: give S3Bucket and S3Key (an s3:// artifact)",
    );
  }
  return {
    bucket: S3Bucket,
    key: S3Key,
    ...(typeof S3ObjectVersion === "string" ? { versionId: S3ObjectVersion } : {}),
  };
}
