import type { GateDecision } from "../../domain/gates.ts";
import type { ExperimentNotice, GateNotice, Notifier, PromotionNotice } from "../../domain/ports/notifier.ts";
import {
  type Block,
  decidedBlocks,
  decidedText,
  experimentBlocks,
  experimentText,
  gateBlocks,
  gateText,
  promotionBlocks,
  promotionText,
} from "./blocks.ts";
import { type RetryOptions, withRetry } from "./retry.ts";

const slackApi = "https://slack.com/api";

/** Slack's own transient errors, besides HTTP 429 and 5xx. */
const retryableErrors: ReadonlySet<string> = new Set([
  "ratelimited",
  "internal_error",
  "fatal_error",
  "service_unavailable",
  "request_timeout",
]);

/** A 429 asking for a longer wait than this fails instead: the caller (a Lambda) has a timeout of its own. */
const maxRetryAfterMs = 30_000;

/**
 * A Slack Web API or response_url call that did not succeed. The message names the call and Slack's error code,
 * never the request: the bot token is in its headers.
 */
export class SlackApiError extends Error {
  override readonly name = "SlackApiError";
  /** `chat.postMessage`, or `response_url`. */
  readonly call: string;
  /** Slack's `error` (`channel_not_found`, `expired_url`, `ratelimited`…), or `HTTP <status>`. */
  readonly error: string;
  /** 0 when no HTTP answer arrived. */
  readonly status: number;
  /** From a 429's `Retry-After`. */
  readonly retryAfterSeconds: number | undefined;
  readonly retryable: boolean;

  constructor(call: string, error: string, status: number, options: SlackApiErrorOptions = {}) {
    const details =
      options.details === undefined || options.details.length === 0 ? "" : ` (${options.details.join("; ")})`;
    const http = status === 0 ? " (no HTTP answer)" : error === `HTTP ${status}` ? "" : ` (HTTP ${status})`;
    super(
      `Slack ${call} failed: ${error}${details}${http}`,
      options.cause === undefined ? {} : { cause: options.cause },
    );
    this.call = call;
    this.error = error;
    this.status = status;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.retryable = status === 429 || status >= 500 || status === 0 || retryableErrors.has(error);
  }
}

interface SlackApiErrorOptions {
  readonly details?: readonly string[];
  readonly retryAfterSeconds?: number;
  readonly cause?: unknown;
}

/** What a response_url accepts: a message, and whether it replaces the one the button was on. */
export interface ResponseUrlMessage {
  readonly text: string;
  readonly blocks?: readonly Block[];
  readonly replace_original?: boolean;
  readonly response_type?: "ephemeral" | "in_channel";
}

export interface PostToResponseUrlOptions {
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Abort the request after this long. @default no limit */
  readonly timeoutMs?: number;
}

interface SlackAnswer {
  readonly ok?: unknown;
  readonly error?: unknown;
  readonly response_metadata?: { readonly messages?: unknown };
}

function parseAnswer(text: string): SlackAnswer | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null ? (value as SlackAnswer) : undefined;
  } catch {
    return undefined;
  }
}

function retryAfter(response: Response): number | undefined {
  const header = response.headers.get("retry-after");
  if (header === null || !/^\d+$/.test(header.trim())) return undefined;
  return Number(header.trim());
}

async function send(call: string, request: () => Promise<Response>): Promise<void> {
  let response: Response;
  try {
    response = await request();
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new SlackApiError(call, `request failed: ${reason}`, 0, { cause });
  }
  const text = await response.text();
  const answer = parseAnswer(text);
  const messages = answer?.response_metadata?.messages;
  const details = Array.isArray(messages) ? messages.filter((m): m is string => typeof m === "string") : [];
  const retryAfterSeconds = retryAfter(response);
  const options = { details, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) };
  if (answer?.ok === false || !response.ok) {
    // A response_url answers errors in plain text (`expired_url`); the Web API in JSON.
    const code = typeof answer?.error === "string" ? answer.error : text.trim();
    const error = /^[a-z_]{1,64}$/.test(code) ? code : `HTTP ${response.status}`;
    throw new SlackApiError(call, error, response.status, options);
  }
}

/**
 * Posts to an interaction's response_url. It needs no token: the URL itself is the capability (valid 30 minutes,
 * for 5 responses), so the bot token never leaves for anything but slack.com/api.
 */
export async function postToResponseUrl(
  responseUrl: string,
  message: ResponseUrlMessage,
  options: PostToResponseUrlOptions = {},
): Promise<void> {
  const fetchFn = options.fetch ?? globalThis.fetch;
  await send("response_url", () =>
    fetchFn(responseUrl, {
      method: "POST",
      headers: { "content-type": "application/json; charset=utf-8" },
      body: JSON.stringify(message),
      ...(options.timeoutMs === undefined ? {} : { signal: AbortSignal.timeout(options.timeoutMs) }),
    }),
  );
}

/**
 * Retries Slack's transient failures: a 429 waits what its `Retry-After` says (up to 30 s, beyond which it gives
 * up), anything else retryable backs off with full jitter.
 */
function withSlackRetry<T>(operation: () => Promise<T>, options: SlackRetryOptions): Promise<T> {
  return withRetry(operation, {
    ...options,
    retryable: (error) => error instanceof SlackApiError && error.retryable,
    requestedDelayMs: (error) => {
      const askedMs =
        error instanceof SlackApiError && error.retryAfterSeconds !== undefined
          ? error.retryAfterSeconds * 1000
          : undefined;
      if (askedMs !== undefined && askedMs > maxRetryAfterMs) throw error;
      return askedMs;
    },
  });
}

/** How Slack calls back off; which errors are retried is Slack's to say (SlackApiError.retryable). */
export type SlackRetryOptions = Omit<RetryOptions, "retryable" | "requestedDelayMs">;

export interface SlackNotifierProps {
  /** The bot token (`xoxb-…`), read when needed: `cachedSecret` from Secrets Manager on AWS. */
  readonly botToken: () => Promise<string>;
  /** The channel id (`C…`) gate messages go to; the bot must be a member. */
  readonly channel: string;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** @default withRetry's defaults (5 attempts); a 429 waits for its Retry-After */
  readonly retry?: SlackRetryOptions;
}

/**
 * Gate messages in Slack: `chat.postMessage` when a gate opens; when it is decided, the message is replaced
 * through the clicked button's response_url, or a new message says who decided (a CLI, alarm or timer decision
 * has no response_url, and the original message's `ts` is not kept).
 */
export class SlackNotifier implements Notifier {
  readonly #botToken: () => Promise<string>;
  readonly #channel: string;
  readonly #fetch: typeof fetch;
  readonly #retry: SlackRetryOptions;

  constructor(props: SlackNotifierProps) {
    this.#botToken = props.botToken;
    this.#channel = props.channel;
    this.#fetch = props.fetch ?? globalThis.fetch;
    this.#retry = props.retry ?? {};
  }

  async gateOpened(notice: GateNotice): Promise<void> {
    await this.#postMessage({ channel: this.#channel, text: gateText(notice), blocks: gateBlocks(notice) });
  }

  async gateDecided(notice: GateNotice, decision: GateDecision, responseUrl?: string): Promise<void> {
    const text = decidedText(notice, decision);
    const blocks = decidedBlocks(notice, decision);
    if (responseUrl !== undefined) {
      try {
        await withSlackRetry(
          () =>
            postToResponseUrl(responseUrl, { replace_original: true, text, blocks }, { fetch: this.#fetch }),
          this.#retry,
        );
        return;
      } catch (error) {
        // An expired or used-up response_url (30 minutes, 5 uses): say it in a new message instead.
        if (!(error instanceof SlackApiError)) throw error;
      }
    }
    await this.#postMessage({ channel: this.#channel, text, blocks });
  }

  async promotionEnded(notice: PromotionNotice): Promise<void> {
    await this.#postMessage({
      channel: this.#channel,
      text: promotionText(notice),
      blocks: promotionBlocks(notice),
    });
  }

  async experimentJudged(notice: ExperimentNotice): Promise<void> {
    await this.#postMessage({
      channel: this.#channel,
      text: experimentText(notice),
      blocks: experimentBlocks(notice),
    });
  }

  async #postMessage(message: {
    readonly channel: string;
    readonly text: string;
    readonly blocks: readonly Block[];
  }) {
    const token = await this.#botToken();
    await withSlackRetry(
      () =>
        send("chat.postMessage", () =>
          this.#fetch(`${slackApi}/chat.postMessage`, {
            method: "POST",
            headers: {
              authorization: `Bearer ${token}`,
              "content-type": "application/json; charset=utf-8",
            },
            body: JSON.stringify(message),
          }),
        ),
      this.#retry,
    );
  }
}
