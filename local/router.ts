import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import type { Colour, ColourWeights } from "../functions/domain/ports/traffic-router.ts";
import { RecordLog, recordRetentionMs } from "./record-log.ts";

export interface WeightedRouterProps {
  /** Port on 127.0.0.1. @default 0 (a free port) */
  readonly port?: number;
  /** Epoch milliseconds stamped on each request record. @default Date.now */
  readonly clock?: () => number;
  /** Uniform [0, 1) source that picks the colour of each request. @default Math.random */
  readonly random?: () => number;
  /** Milliseconds an upstream may take to answer before the router answers 504. @default 30000 */
  readonly upstreamTimeoutMs?: number;
}

/** Requests of one colour completed in a window; 5xx (the router's own 502/504 included) are errors. */
export interface RouterMetrics {
  requests: number;
  errors: number;
  latenciesMs: number[];
}

interface RequestRecord {
  /** Epoch ms at which the response completed. */
  readonly at: number;
  readonly status: number;
  readonly ms: number;
}

const colours = ["blue", "green"] as const satisfies readonly Colour[];

/** Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection and are never forwarded. */
const hopByHop = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/**
 * The local stand-in for the ALB listener: a reverse proxy on 127.0.0.1 that sends each request to blue or
 * green by weighted random choice, and records every completed request per colour so alarms can be
 * evaluated over real traffic. A colour without an upstream gets no traffic; with none at all the router
 * answers 503.
 */
export class WeightedRouter {
  readonly #port: number;
  readonly #clock: () => number;
  readonly #random: () => number;
  readonly #upstreamTimeoutMs: number;
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 256 });
  readonly #upstreams: Record<Colour, URL | undefined> = { blue: undefined, green: undefined };
  #weights: ColourWeights = { blue: 100, green: 0 };
  readonly #records: Record<Colour, RecordLog<RequestRecord>> = {
    blue: new RecordLog(),
    green: new RecordLog(),
  };
  readonly #totals: Record<Colour, { requests: number; errors: number }> = {
    blue: { requests: 0, errors: 0 },
    green: { requests: 0, errors: 0 },
  };
  #server: Server | undefined;

  constructor(props: WeightedRouterProps = {}) {
    this.#port = props.port ?? 0;
    this.#clock = props.clock ?? Date.now;
    this.#random = props.random ?? Math.random;
    this.#upstreamTimeoutMs = props.upstreamTimeoutMs ?? 30_000;
  }

  /** Starts listening; resolves with the port. */
  async start(): Promise<number> {
    if (this.#server !== undefined) throw new Error("the router is already started");
    const server = createServer((request, response) => this.#route(request, response));
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.#port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    return (server.address() as AddressInfo).port;
  }

  /** Stops listening, closes client and upstream keep-alive sockets; safe to call twice. */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    this.#agent.destroy();
    if (server === undefined) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** Where a colour's version listens (`http://127.0.0.1:port`), or undefined when the colour runs nothing. */
  setUpstream(colour: Colour, url: string | undefined): void {
    if (url === undefined) {
      this.#upstreams[colour] = undefined;
      return;
    }
    const parsed = new URL(url);
    if (parsed.protocol !== "http:") throw new RangeError(`upstream ${url} must be an http:// URL`);
    this.#upstreams[colour] = parsed;
  }

  /** Whole percents from 0 to 100 that add up to 100; anything else is a RangeError. */
  setWeights(weights: ColourWeights): void {
    const valid = colours.every(
      (colour) => Number.isInteger(weights[colour]) && weights[colour] >= 0 && weights[colour] <= 100,
    );
    if (!valid || weights.blue + weights.green !== 100) {
      throw new RangeError(
        `weights must be whole percents from 0 to 100 adding up to 100, got blue ${weights.blue} and green ${weights.green}`,
      );
    }
    this.#weights = { blue: weights.blue, green: weights.green };
  }

  weights(): ColourWeights {
    return { ...this.#weights };
  }

  /** Requests of a colour completed in [start, end) (epoch ms), from the last 15 minutes. */
  metrics(colour: Colour, window: { start: number; end: number }): RouterMetrics {
    const result: RouterMetrics = { requests: 0, errors: 0, latenciesMs: [] };
    for (const record of this.#records[colour].between(window.start, window.end)) {
      result.requests += 1;
      if (record.status >= 500) result.errors += 1;
      result.latenciesMs.push(record.ms);
    }
    return result;
  }

  /** Every request completed since the router was created, per colour. */
  totals(): Record<Colour, { requests: number; errors: number }> {
    return { blue: { ...this.#totals.blue }, green: { ...this.#totals.green } };
  }

  #pick(): Colour | undefined {
    const eligible = colours.filter(
      (colour) => this.#upstreams[colour] !== undefined && this.#weights[colour] > 0,
    );
    if (eligible.length < 2) return eligible[0];
    // Both colours are eligible, so their weights add up to 100.
    return this.#random() * 100 < this.#weights.blue ? "blue" : "green";
  }

  #route(request: IncomingMessage, response: ServerResponse): void {
    const colour = this.#pick();
    const upstream = colour === undefined ? undefined : this.#upstreams[colour];
    if (colour === undefined || upstream === undefined) {
      request.resume();
      sendJson(response, 503, {
        message: "no upstream: neither colour has a running version with a weight above 0",
      });
      return;
    }
    const started = performance.now();
    let settled = false;
    const record = (status: number) => {
      if (settled) return;
      settled = true;
      this.#record(colour, status, performance.now() - started);
    };
    response.once("finish", () => record(response.statusCode));
    response.setHeader("x-glidepath-colour", colour);

    const proxied = httpRequest({
      agent: this.#agent,
      host: upstream.hostname,
      port: Number(upstream.port) || 80,
      method: request.method,
      path: request.url,
      headers: forwardHeaders(request.headers, request.socket.remoteAddress),
      timeout: this.#upstreamTimeoutMs,
    });
    proxied.on("response", (upstreamResponse) => {
      response.writeHead(upstreamResponse.statusCode ?? 502, forwardHeaders(upstreamResponse.headers));
      upstreamResponse.pipe(response);
      upstreamResponse.once("error", () => {
        record(502);
        response.destroy();
      });
    });
    proxied.on("timeout", () => proxied.destroy(new UpstreamTimeout()));
    proxied.on("error", (error) => {
      const status = error instanceof UpstreamTimeout ? 504 : 502;
      if (response.headersSent) {
        record(status);
        response.destroy();
        return;
      }
      sendJson(response, status, { message: `upstream ${colour} failed: ${error.message}` });
    });
    // A client that goes away before its answer cancels the upstream request and is not counted, as the
    // ALB counts it apart (460) from target errors.
    response.once("close", () => {
      if (response.writableFinished || settled) return;
      settled = true;
      proxied.destroy();
    });
    request.once("error", () => proxied.destroy());
    request.pipe(proxied);
  }

  #record(colour: Colour, status: number, ms: number): void {
    const at = this.#clock();
    this.#records[colour].add({ at, status, ms }, at - recordRetentionMs);
    this.#totals[colour].requests += 1;
    if (status >= 500) this.#totals[colour].errors += 1;
  }
}

class UpstreamTimeout extends Error {
  constructor() {
    super("no answer in time");
    this.name = "UpstreamTimeout";
  }
}

function forwardHeaders(headers: IncomingHttpHeaders, clientAddress?: string): IncomingHttpHeaders {
  const forwarded: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!hopByHop.has(name) && value !== undefined) forwarded[name] = value;
  }
  if (clientAddress !== undefined) {
    const previous = headers["x-forwarded-for"];
    forwarded["x-forwarded-for"] = previous === undefined ? clientAddress : `${previous}, ${clientAddress}`;
  }
  return forwarded;
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  if (response.destroyed) return;
  response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}
