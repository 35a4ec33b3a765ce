import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import {
  emptyFlagDocument,
  evaluateFlag,
  type FlagDocument,
  FlagDocumentSchema,
} from "../functions/domain/flags.ts";

/** One deployment of a flag document, as AppConfig keeps them: numbered, described, DEPLOYING then COMPLETE. */
export interface LocalFlagDeployment {
  readonly deploymentNumber: number;
  readonly description: string;
  readonly state: "DEPLOYING" | "COMPLETE";
  readonly document: FlagDocument;
}

export interface LocalFlagStore {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  stop(): Promise<void>;
}

export interface LocalFlagStoreProps {
  /** Milliseconds a deployment takes to complete, as an AppConfig deployment with no bake. @default 200 */
  readonly deployMs?: number;
}

const StartDeploymentBody = z.strictObject({
  description: z.string().min(1).max(1024),
  document: FlagDocumentSchema,
});

/**
 * The local cloud's AppConfig: one feature-flag document per local cloud, changed only by deployments that
 * take `deployMs` to complete, over HTTP on 127.0.0.1:
 *
 * - `GET /flags/<flag>` with the header `Context: key=value,…` evaluates the flag for one request, as the
 *   application asks AppConfig Agent: `{ "enabled": bool, "variant"?: name }`;
 * - `GET /deployments` lists the deployments, newest first; `POST /deployments` `{ description, document }`
 *   starts one (409 while another is DEPLOYING, as AppConfig allows one at a time per environment).
 */
export async function startFlagStore(props: LocalFlagStoreProps = {}): Promise<LocalFlagStore> {
  const deployments: LocalFlagDeployment[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const live = (): FlagDocument =>
    deployments.find((deployment) => deployment.state === "COMPLETE")?.document ?? emptyFlagDocument();

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const json = (status: number, body: unknown) =>
      response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    const flag = /^\/flags\/([^/]+)$/.exec(url.pathname)?.[1];
    if (request.method === "GET" && flag !== undefined) {
      json(200, evaluateFlag(live(), decodeURIComponent(flag), parseContext(request.headers.context)));
      return;
    }
    if (url.pathname !== "/deployments") {
      json(404, { message: `no ${request.method} ${url.pathname} here` });
      return;
    }
    if (request.method === "GET") {
      json(200, { items: deployments });
      return;
    }
    if (request.method !== "POST") {
      json(405, { message: "GET or POST /deployments" });
      return;
    }
    const body = StartDeploymentBody.safeParse(await readJson(request));
    if (!body.success) {
      json(400, { message: body.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`) });
      return;
    }
    if (deployments[0]?.state === "DEPLOYING") {
      json(409, { message: `deployment ${deployments[0].deploymentNumber} is in progress` });
      return;
    }
    const deploymentNumber = (deployments[0]?.deploymentNumber ?? 0) + 1;
    deployments.unshift({ deploymentNumber, state: "DEPLOYING", ...body.data });
    const timer = setTimeout(() => {
      timers.delete(timer);
      const index = deployments.findIndex((deployment) => deployment.deploymentNumber === deploymentNumber);
      const started = deployments[index];
      if (started !== undefined) deployments[index] = { ...started, state: "COMPLETE" };
    }, props.deployMs ?? 200);
    timers.add(timer);
    json(201, { deploymentNumber });
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** `userId=u1,plan=pro` → `{ userId: "u1", plan: "pro" }`. */
function parseContext(header: string | string[] | undefined): Record<string, string> {
  const context: Record<string, string> = {};
  for (const pair of (Array.isArray(header) ? header.join(",") : (header ?? "")).split(",")) {
    const at = pair.indexOf("=");
    if (at > 0) context[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
  }
  return context;
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    return undefined;
  }
}
