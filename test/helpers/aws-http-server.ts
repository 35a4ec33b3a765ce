import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach } from "vitest";
import { awsClientConfig } from "../../functions/adapters/aws/retry.ts";

/** One answer of the server: an HTTP status and a JSON body, as the AWS JSON protocols send them. */
export interface AwsReply {
  readonly status: number;
  readonly body: unknown;
}

/** What the server saw of one request. */
export interface AwsRequest {
  /** The `x-amz-target` header: `AWSStepFunctions.SendTaskSuccess`. */
  readonly target: string;
  /** The SDK's `amz-sdk-request` header: `attempt=2; max=5`. */
  readonly attempt: string;
}

export interface AwsServer {
  /** The configuration of a client that talks to this server, with the adapters' retry configuration. */
  readonly clientConfig: typeof awsClientConfig & {
    readonly region: string;
    readonly endpoint: string;
    readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  };
  readonly requests: readonly AwsRequest[];
}

/**
 * A stand-in for an AWS JSON-protocol endpoint on 127.0.0.1 (SFN, EventBridge, CloudWatch), for what
 * aws-sdk-client-mock cannot show because it replaces the SDK's middleware: the SDK's own retries. It answers
 * `replies` in order and repeats the last one. Call at the top level of a test file; servers close after each test.
 */
export function useAwsServers(): (replies: readonly AwsReply[]) => Promise<AwsServer> {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
  });
  return async (replies) => {
    const requests: AwsRequest[] = [];
    const server = createServer((request, response) => {
      request.resume();
      request.on("end", () => {
        requests.push({
          target: String(request.headers["x-amz-target"]),
          attempt: String(request.headers["amz-sdk-request"]),
        });
        const reply = replies[Math.min(requests.length, replies.length) - 1] as AwsReply;
        response.writeHead(reply.status, { "content-type": "application/x-amz-json-1.0" });
        response.end(JSON.stringify(reply.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    closers.push(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    return {
      clientConfig: {
        ...awsClientConfig,
        region: "eu-west-1",
        endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        credentials: {
          accessKeyId: "AKIDEXAMPLE",
          secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        },
      },
      requests,
    };
  };
}
