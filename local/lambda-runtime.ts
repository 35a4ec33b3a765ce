/**
 * One code of a Lambda function on this machine, as an execution environment runs it: imports the handler
 * module (its init code runs once) and answers invocations over HTTP on 127.0.0.1. The local Lambda service
 * (lambda-service.ts) starts one per code and sends each invocation of a version running that code here.
 *
 *   node local/lambda-runtime.ts <handler module>
 *
 * Prints one JSON line `{"event":"listening","port":…}` once the module has loaded and it listens; a module
 * that does not load (it throws, or exports no `handler` function) exits 1 with the reason on stderr, as a
 * Lambda init error. `POST /invoke` with the event as JSON (and the version in `x-glidepath-version`)
 * answers 200 `{ "result": … }`, or `{ "error": { "errorType", "errorMessage" } }` when the handler throws.
 */
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

type Handler = (event: unknown, context: Record<string, unknown>) => unknown;

const modulePath = process.argv[2];
if (modulePath === undefined) {
  process.stderr.write("usage: node local/lambda-runtime.ts <handler module>\n");
  process.exit(2);
}

let handler: Handler;
try {
  const loaded = (await import(pathToFileURL(resolve(modulePath)).href)) as { handler?: unknown };
  if (typeof loaded.handler !== "function") throw new Error(`${modulePath} exports no handler function`);
  handler = loaded.handler as Handler;
} catch (error) {
  process.stderr.write(`init error: ${(error as Error).message}\n`);
  process.exit(1);
}

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", async () => {
    const answer = (body: unknown) =>
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (request.method !== "POST" || request.url !== "/invoke") {
      response.writeHead(404).end();
      return;
    }
    const context = {
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
      functionVersion: request.headers["x-glidepath-version"],
      awsRequestId: randomUUID(),
    };
    try {
      const text = Buffer.concat(chunks).toString();
      const event: unknown = text === "" ? {} : JSON.parse(text);
      answer({ result: (await handler(event, context)) ?? null });
    } catch (error) {
      const thrown = error instanceof Error ? error : new Error(String(error));
      answer({ error: { errorType: thrown.name, errorMessage: thrown.message } });
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(
    `${JSON.stringify({ event: "listening", port: (server.address() as AddressInfo).port })}\n`,
  );
});
process.once("SIGTERM", () => server.close(() => process.exit(0)));
