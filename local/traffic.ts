import { Agent, request as httpRequest } from "node:http";

export interface TrafficProps {
  /** Where to send requests, such as the router's `http://127.0.0.1:port/`. */
  readonly url: string;
  /** Each request's method and body: `POST` with an event invokes a function. @default GET with no body */
  readonly request?: { readonly method: "POST"; readonly body: string };
  /** Requests started per second, whether or not earlier ones were answered. */
  readonly rps: number;
  /** The generator stops by itself after this long. */
  readonly maxSeconds: number;
  /** Requests in flight beyond which a scheduled request is skipped (and counted). @default 200 */
  readonly maxInFlight?: number;
  /** Milliseconds after which a request in flight is abandoned as failed. @default 10000 */
  readonly requestTimeoutMs?: number;
}

export interface TrafficCounts {
  /** Requests started. */
  readonly sent: number;
  /** Answered with a status below 500. */
  readonly ok: number;
  /** Answered 5xx, or failed on the network, or timed out. */
  readonly failed: number;
  /** Scheduled but not sent: `maxInFlight` requests were already waiting, or the event loop stalled. */
  readonly skipped: number;
}

export interface Traffic {
  /** Stops scheduling, waits for the requests in flight (a bounded time), and returns the counts. */
  stop(): Promise<TrafficCounts>;
}

/** The users the requests come from (`x-user-id`), one drawn at random per request. */
const users = 10_000;
/** How often the scheduler catches up with the requests due. */
const tickMs = 10;
/** Requests in flight at stop() get this long to finish before they are cut. */
const drainMs = 2000;

/**
 * An open-loop load generator: requests are started at a steady `rps` (as real users arrive) instead of
 * after the previous answer, so a slow version shows as latency and errors rather than as less traffic.
 * Never throws on network errors; they are counted as failed.
 */
export function startTraffic(props: TrafficProps): Traffic {
  const url = new URL(props.url);
  if (url.protocol !== "http:") throw new RangeError(`traffic url ${props.url} must be an http:// URL`);
  if (!(props.rps > 0 && props.rps <= 10_000))
    throw new RangeError(`rps must be above 0 and at most 10000, got ${props.rps}`);
  if (!(props.maxSeconds > 0)) throw new RangeError(`maxSeconds must be above 0, got ${props.maxSeconds}`);
  const maxInFlight = props.maxInFlight ?? 200;
  const requestTimeoutMs = props.requestTimeoutMs ?? 10_000;
  const agent = new Agent({ keepAlive: true, maxSockets: maxInFlight });
  const counts = { sent: 0, ok: 0, failed: 0, skipped: 0 };
  const inFlight = new Set<() => void>();
  const idle: (() => void)[] = [];
  const started = performance.now();
  let scheduled = 0;
  let stopping: Promise<TrafficCounts> | undefined;

  const settle = (cancel: () => void, ok: boolean) => {
    if (!inFlight.delete(cancel)) return;
    if (ok) counts.ok += 1;
    else counts.failed += 1;
    if (inFlight.size === 0) for (const resolve of idle.splice(0)) resolve();
  };

  const send = () => {
    if (inFlight.size >= maxInFlight) {
      counts.skipped += 1;
      return;
    }
    counts.sent += 1;
    // Each request is one of many users, so that a flag's split by userId has users to split.
    const headers = { "x-user-id": `user-${Math.floor(Math.random() * users)}` };
    const outgoing = httpRequest(url, {
      agent,
      method: props.request?.method ?? "GET",
      timeout: requestTimeoutMs,
      headers: props.request === undefined ? headers : { ...headers, "content-type": "application/json" },
    });
    const cancel = () => outgoing.destroy();
    inFlight.add(cancel);
    outgoing.on("response", (response) => {
      response.resume();
      response.once("error", () => settle(cancel, false));
      response.once("close", () => settle(cancel, response.complete && (response.statusCode ?? 500) < 500));
    });
    outgoing.on("timeout", () => outgoing.destroy(new Error("timed out")));
    outgoing.on("error", () => settle(cancel, false));
    outgoing.end(props.request?.body);
  };

  // Request k is due at k / rps seconds; those due before maxSeconds make the whole run.
  const total = Math.ceil(props.maxSeconds * props.rps);
  const timer = setInterval(() => {
    const elapsedSeconds = (performance.now() - started) / 1000;
    const due = Math.min(Math.floor(elapsedSeconds * props.rps) + 1, total);
    // After a stalled event loop, catch up by at most one second of requests rather than a burst of all.
    const behind = due - scheduled - Math.ceil(props.rps);
    if (behind > 0) {
      counts.skipped += behind;
      scheduled += behind;
    }
    for (; scheduled < due; scheduled += 1) send();
    if (scheduled >= total) clearInterval(timer);
  }, tickMs);

  return {
    stop() {
      stopping ??= (async () => {
        clearInterval(timer);
        if (inFlight.size > 0) {
          await new Promise<void>((resolve) => {
            const cut = setTimeout(resolve, drainMs);
            idle.push(() => {
              clearTimeout(cut);
              resolve();
            });
          });
        }
        for (const cancel of [...inFlight]) {
          cancel();
          settle(cancel, false);
        }
        agent.destroy();
        return { ...counts };
      })();
      return stopping;
    },
  };
}
