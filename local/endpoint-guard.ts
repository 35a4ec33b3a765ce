import { timingSafeEqual } from "node:crypto";

/** The header a decision (or a deploy request) carries the run's token in. */
export const tokenHeader = "x-glidepath-token";

/** What the guard reads of a request to the local endpoint. */
export interface GuardedRequest {
  readonly host?: string;
  readonly origin?: string;
  /** The browser's `Sec-Fetch-Site`: `same-origin`, `cross-site`, … (absent from other clients). */
  readonly fetchSite?: string;
  readonly token?: string;
}

/** The endpoint as it listens: its own origin (`http://127.0.0.1:<port>`) and the run's token. */
export interface GuardedEndpoint {
  readonly origin: string;
  readonly token: string;
}

/**
 * Why the local endpoint refuses a request, or undefined when it may go on. Every request must name this
 * endpoint as its Host (a page on another site that rebinds its name to 127.0.0.1 names its own) and, when
 * a browser says where it comes from, come from the endpoint's own page; a request that changes something
 * (`changes`) must carry the run's token, which only the state file and the page hold. Pure.
 */
export function refusal(
  request: GuardedRequest,
  endpoint: GuardedEndpoint,
  changes: boolean,
): string | undefined {
  const own = new URL(endpoint.origin);
  const hosts = [own.host, `localhost:${own.port}`];
  if (request.host === undefined || !hosts.includes(request.host)) {
    return `the Host header '${request.host ?? ""}' is not this endpoint's (${own.host}): only this machine's own clients may use it`;
  }
  const origins = hosts.map((host) => `${own.protocol}//${host}`);
  if (request.origin !== undefined && !origins.includes(request.origin)) {
    return `requests from ${request.origin} are refused: only the run's own page (${endpoint.origin}) may use this endpoint`;
  }
  if (request.fetchSite !== undefined && !["same-origin", "none"].includes(request.fetchSite)) {
    return `a ${request.fetchSite} request is refused: only the run's own page (${endpoint.origin}) may use this endpoint`;
  }
  if (changes && !sameToken(request.token, endpoint.token)) {
    return `${request.token === undefined ? "no" : "a wrong"} ${tokenHeader} header: a decision takes the run's token (in .glidepath/local.json, as the CLI sends it, and in the run's page)`;
  }
  return undefined;
}

function sameToken(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
