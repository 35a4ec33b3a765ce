import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Slack's request signing, version 0: `X-Slack-Signature` is `v0=` followed by the hex HMAC-SHA256, keyed with the
 * app's signing secret, of `v0:{X-Slack-Request-Timestamp}:{raw body}`. The body must be the bytes as received,
 * before any form or JSON parsing, or a valid request fails to verify.
 */

export const SignatureHeader = "X-Slack-Signature";
export const TimestampHeader = "X-Slack-Request-Timestamp";

/** Slack's advice: refuse requests whose timestamp is more than five minutes away from the local clock. */
export const maxClockSkewSeconds = 5 * 60;

const version = "v0";

export type SlackRequestBody = string | Uint8Array;

export type VerifyResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export interface VerifySlackRequestInput {
  readonly signingSecret: string;
  /** Header names in any case, as a Lambda function URL or a Node server hands them over. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly rawBody: SlackRequestBody;
  readonly now: Date;
}

export interface SignSlackRequestInput {
  readonly signingSecret: string;
  /** Unix time in seconds. */
  readonly timestamp: number;
  readonly rawBody: SlackRequestBody;
}

export type SlackSignatureHeaders = {
  readonly "X-Slack-Request-Timestamp": string;
  readonly "X-Slack-Signature": string;
};

function header(headers: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

function signature(signingSecret: string, timestamp: string, rawBody: SlackRequestBody): string {
  const hmac = createHmac("sha256", signingSecret);
  hmac.update(`${version}:${timestamp}:`);
  hmac.update(rawBody);
  return `${version}=${hmac.digest("hex")}`;
}

/** The headers Slack would send with this body: for tests, the local approval page and the CLI. */
export function signSlackRequest(input: SignSlackRequestInput): SlackSignatureHeaders {
  const timestamp = String(input.timestamp);
  return {
    [TimestampHeader]: timestamp,
    [SignatureHeader]: signature(input.signingSecret, timestamp, input.rawBody),
  };
}

/**
 * Checks that a request comes from Slack and is fresh. The timestamp is checked before the signature so that a
 * replayed request is reported as a replay; the signatures are compared in constant time.
 */
export function verifySlackRequest(input: VerifySlackRequestInput): VerifyResult {
  const received = header(input.headers, SignatureHeader);
  if (received === undefined || received === "") {
    return { ok: false, reason: `missing ${SignatureHeader} header` };
  }
  const timestamp = header(input.headers, TimestampHeader);
  if (timestamp === undefined || timestamp === "") {
    return { ok: false, reason: `missing ${TimestampHeader} header` };
  }
  if (!/^\d{1,12}$/.test(timestamp)) {
    return {
      ok: false,
      reason: `${TimestampHeader} is not a Unix time in seconds: '${timestamp.slice(0, 40)}'`,
    };
  }
  const age = Math.floor(input.now.getTime() / 1000) - Number(timestamp);
  if (age > maxClockSkewSeconds) {
    return { ok: false, reason: `timestamp is ${age} s old: older than 5 minutes, possibly a replay` };
  }
  if (-age > maxClockSkewSeconds) {
    return {
      ok: false,
      reason: `timestamp is ${-age} s in the future: more than 5 minutes ahead of this clock`,
    };
  }
  if (!received.startsWith(`${version}=`)) {
    return { ok: false, reason: `${SignatureHeader} is not a ${version} signature` };
  }
  const expected = Buffer.from(signature(input.signingSecret, timestamp, input.rawBody));
  const actual = Buffer.from(received);
  // timingSafeEqual throws on buffers of different lengths; a wrong length is simply a wrong signature.
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    return { ok: false, reason: "signature does not match the body" };
  }
  return { ok: true };
}
