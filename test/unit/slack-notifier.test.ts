import {
  GetSecretValueCommand,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { awsClientConfig } from "../../functions/adapters/aws/retry.ts";
import { cachedSecret } from "../../functions/adapters/aws/secrets.ts";
import { decidedBlocks, decidedText, gateBlocks, gateText } from "../../functions/adapters/slack/blocks.ts";
import {
  postToResponseUrl,
  SlackApiError,
  SlackNotifier,
} from "../../functions/adapters/slack/slack-notifier.ts";
import { judgeExperiment } from "../../functions/domain/analysis/experiment.ts";
import type { GateDecision } from "../../functions/domain/gates.ts";
import type { GateNotice } from "../../functions/domain/ports/notifier.ts";
import fixture from "../fixtures/slack/gate-notice.json" with { type: "json" };
import { serviceError } from "../helpers/sdk-mock.ts";

const notice = fixture as GateNotice;
const botToken = "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy";
const channel = "C0CAG8H7Q";
const responseUrl = "https://hooks.slack.com/actions/T0CAG8H7R/10686548917556/Xq2v3w4e5r6t7y8u9i0oPaSd";
const decision: GateDecision = {
  action: "approve",
  actor: "slack:U024BE7LH",
  at: "2026-03-12T10:15:02.000Z",
};

interface RecordedRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

type Reply =
  | { readonly status?: number; readonly body?: unknown; readonly headers?: Record<string, string> }
  | Error;

/** A `fetch` that records every request and answers from a script, then with Slack's `{ ok: true }`. */
function fakeFetch(...script: Reply[]) {
  const requests: RecordedRequest[] = [];
  const fetchFn = (async (input: string | URL | Request, init?: RequestInit) => {
    requests.push({
      url: String(input),
      method: init?.method ?? "GET",
      headers: Object.fromEntries(new Headers(init?.headers).entries()),
      body: JSON.parse(String(init?.body)),
    });
    const reply = script.shift() ?? { body: { ok: true } };
    if (reply instanceof Error) throw reply;
    const text = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body ?? { ok: true });
    return new Response(text, { status: reply.status ?? 200, headers: reply.headers ?? {} });
  }) as typeof fetch;
  return { fetch: fetchFn, requests };
}

function recordingSleep() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

const notifier = (fetchFn: typeof fetch, sleep: (ms: number) => Promise<void> = async () => {}) =>
  new SlackNotifier({
    botToken: async () => botToken,
    channel,
    fetch: fetchFn,
    retry: { sleep, random: () => 0.5 },
  });

const postMessage = (text: string, blocks: unknown): RecordedRequest => ({
  url: "https://slack.com/api/chat.postMessage",
  method: "POST",
  headers: { authorization: `Bearer ${botToken}`, "content-type": "application/json; charset=utf-8" },
  body: { channel, text, blocks },
});

describe("SlackNotifier.gateOpened", () => {
  it("posts the gate's message with chat.postMessage, the bot token as a Bearer token", async () => {
    // Prepare
    const slack = fakeFetch({ body: { ok: true, channel, ts: "1773310200.000200" } });

    // Act
    await notifier(slack.fetch).gateOpened(notice);

    // Assess
    expect(slack.requests).toStrictEqual([postMessage(gateText(notice), gateBlocks(notice))]);
  });

  it.each<[string, Reply, string]>([
    [
      "a channel it cannot find",
      { body: { ok: false, error: "channel_not_found" } },
      "Slack chat.postMessage failed: channel_not_found (HTTP 200)",
    ],
    [
      "a revoked token",
      { body: { ok: false, error: "invalid_auth" } },
      "Slack chat.postMessage failed: invalid_auth (HTTP 200)",
    ],
    [
      "blocks Slack refuses",
      {
        body: {
          ok: false,
          error: "invalid_blocks",
          response_metadata: {
            messages: ["[ERROR] must be less than 151 characters [json-pointer:/blocks/0/text/text]"],
          },
        },
      },
      "Slack chat.postMessage failed: invalid_blocks ([ERROR] must be less than 151 characters [json-pointer:/blocks/0/text/text]) (HTTP 200)",
    ],
    [
      "an answer that is not JSON",
      { status: 404, body: "<html>Not Found</html>" },
      "Slack chat.postMessage failed: HTTP 404",
    ],
  ])("fails at once on %s, naming Slack's error", async (_case, reply, message) => {
    // Prepare
    const slack = fakeFetch(reply);

    // Act
    const failure = notifier(slack.fetch).gateOpened(notice);

    // Assess
    await expect(failure).rejects.toThrow(SlackApiError);
    await expect(failure).rejects.toThrow(message);
    expect(slack.requests).toHaveLength(1);
  });

  it("waits what a 429's Retry-After asks, then posts again", async () => {
    // Prepare
    const slack = fakeFetch({
      status: 429,
      body: { ok: false, error: "ratelimited" },
      headers: { "retry-after": "2" },
    });
    const clock = recordingSleep();

    // Act
    await notifier(slack.fetch, clock.sleep).gateOpened(notice);

    // Assess
    expect(clock.waits).toStrictEqual([2000]);
    expect(slack.requests).toHaveLength(2);
    expect(slack.requests[1]).toStrictEqual(postMessage(gateText(notice), gateBlocks(notice)));
  });

  it("gives up on a 429 that asks for more than 30 s", async () => {
    // Prepare
    const slack = fakeFetch({
      status: 429,
      body: { ok: false, error: "ratelimited" },
      headers: { "retry-after": "120" },
    });
    const clock = recordingSleep();

    // Act
    const failure = notifier(slack.fetch, clock.sleep).gateOpened(notice);

    // Assess
    await expect(failure).rejects.toThrow("Slack chat.postMessage failed: ratelimited (HTTP 429)");
    expect(clock.waits).toStrictEqual([]);
  });

  it.each<[string, Reply]>([
    ["a 503", { status: 503, body: "upstream connect error" }],
    ["Slack's internal_error", { body: { ok: false, error: "internal_error" } }],
    ["a network failure", new TypeError("fetch failed")],
  ])("retries %s with backoff", async (_case, reply) => {
    // Prepare
    const slack = fakeFetch(reply, reply);
    const clock = recordingSleep();

    // Act
    await notifier(slack.fetch, clock.sleep).gateOpened(notice);

    // Assess
    expect(clock.waits).toStrictEqual([50, 100]);
    expect(slack.requests).toHaveLength(3);
  });

  it("stops after the last attempt", async () => {
    // Prepare
    const down: Reply = { status: 500, body: "" };
    const slack = fakeFetch(down, down, down, down, down);

    // Act
    const failure = notifier(slack.fetch).gateOpened(notice);

    // Assess
    await expect(failure).rejects.toThrow("Slack chat.postMessage failed: HTTP 500");
    expect(slack.requests).toHaveLength(5);
  });

  it.each<[string, Reply]>([
    ["an API error", { body: { ok: false, error: "not_authed" } }],
    ["an HTTP error", { status: 401, body: "invalid_auth" }],
    ["a network failure", new TypeError("fetch failed")],
  ])("never puts the bot token in its error on %s", async (_case, reply) => {
    // Prepare
    const slack = fakeFetch(reply, reply, reply, reply, reply);

    // Act
    const error: unknown = await notifier(slack.fetch)
      .gateOpened(notice)
      .catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(SlackApiError);
    const shown = `${String(error)} ${(error as Error).stack} ${JSON.stringify(error)}`;
    expect(shown).not.toContain(botToken);
  });
});

describe("SlackNotifier.gateDecided", () => {
  it("replaces the clicked message through its response_url, without the bot token", async () => {
    // Prepare
    const slack = fakeFetch({ body: "ok" });

    // Act
    await notifier(slack.fetch).gateDecided(notice, decision, responseUrl);

    // Assess
    expect(slack.requests).toStrictEqual([
      {
        url: responseUrl,
        method: "POST",
        headers: { "content-type": "application/json; charset=utf-8" },
        body: {
          replace_original: true,
          text: decidedText(notice, decision),
          blocks: decidedBlocks(notice, decision),
        },
      },
    ]);
  });

  it("posts a new message saying who decided when there is no response_url (CLI, alarm)", async () => {
    // Prepare
    const slack = fakeFetch();
    const alarm: GateDecision = { action: "alarm", actor: "alarm:checkout-5xx", at: decision.at };

    // Act
    await notifier(slack.fetch).gateDecided(notice, alarm);

    // Assess
    expect(slack.requests).toStrictEqual([
      postMessage(decidedText(notice, alarm), decidedBlocks(notice, alarm)),
    ]);
  });

  it.each<[string, Reply]>([
    ["an expired response_url", { status: 404, body: "expired_url" }],
    ["a used-up response_url", { status: 404, body: { ok: false, error: "used_url" } }],
  ])("falls back to a new message on %s", async (_case, reply) => {
    // Prepare
    const slack = fakeFetch(reply);

    // Act
    await notifier(slack.fetch).gateDecided(notice, decision, responseUrl);

    // Assess
    expect(slack.requests.map((request) => request.url)).toStrictEqual([
      responseUrl,
      "https://slack.com/api/chat.postMessage",
    ]);
    expect(slack.requests[1]).toStrictEqual(
      postMessage(decidedText(notice, decision), decidedBlocks(notice, decision)),
    );
  });
});

describe("postToResponseUrl", () => {
  it("posts the message as JSON", async () => {
    // Prepare
    const slack = fakeFetch({ body: "ok" });

    // Act
    await postToResponseUrl(
      responseUrl,
      { response_type: "ephemeral", replace_original: false, text: "hello" },
      { fetch: slack.fetch, timeoutMs: 1000 },
    );

    // Assess
    expect(slack.requests).toStrictEqual([
      {
        url: responseUrl,
        method: "POST",
        headers: { "content-type": "application/json; charset=utf-8" },
        body: { response_type: "ephemeral", replace_original: false, text: "hello" },
      },
    ]);
  });

  it("fails with Slack's answer", async () => {
    // Prepare
    const slack = fakeFetch({ status: 404, body: "expired_url" });

    // Act
    const failure = postToResponseUrl(responseUrl, { text: "hello" }, { fetch: slack.fetch });

    // Assess
    await expect(failure).rejects.toThrow("Slack response_url failed: expired_url (HTTP 404)");
  });
});

describe("cachedSecret", () => {
  const client = new SecretsManagerClient({ region: "eu-west-1", ...awsClientConfig });
  const secretsManager = mockClient(client);
  const secretId = "glidepath/slack";

  beforeEach(() => {
    secretsManager.reset();
  });

  it("reads the secret once per TTL, sharing one read between concurrent callers", async () => {
    // Prepare
    secretsManager
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: "first" })
      .resolves({ SecretString: "second" });
    let now = 1_000_000;
    const secret = cachedSecret(client, secretId, 60_000, { now: () => now });

    // Act
    const first = await Promise.all([secret(), secret(), secret()]);
    now += 59_999;
    const stillCached = await secret();
    now += 1;
    const refreshed = await secret();

    // Assess
    expect(first).toStrictEqual(["first", "first", "first"]);
    expect(stillCached).toBe("first");
    expect(refreshed).toBe("second");
    expect(secretsManager).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
    expect(secretsManager).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: secretId });
  });

  it("does not keep a failure: the next call reads again", async () => {
    // Prepare
    const denied = serviceError(SecretsManagerServiceException, "AccessDeniedException", 400);
    secretsManager.on(GetSecretValueCommand).rejectsOnce(denied).resolves({ SecretString: "again" });
    const secret = cachedSecret(client, secretId, 1000, { now: () => 0 });

    // Act
    const failure = await secret().catch((error: unknown) => error);
    const recovered = await secret();

    // Assess
    expect(failure).toBe(denied);
    expect(recovered).toBe("again");
  });

  it("reads one field of a JSON secret", async () => {
    // Prepare
    secretsManager
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify({ botToken, signingSecret: "s" }) });

    // Act
    const token = await cachedSecret(client, secretId, undefined, { field: "botToken" })();

    // Assess
    expect(token).toBe(botToken);
  });

  it.each([
    [
      "a binary secret",
      { SecretBinary: new Uint8Array([1, 2]) },
      "secret glidepath/slack has no SecretString: binary secrets are not supported",
    ],
    [
      "a plain string",
      { SecretString: botToken },
      "secret glidepath/slack is not JSON, so it has no field 'botToken'",
    ],
    [
      "JSON without the field",
      { SecretString: JSON.stringify({ token: botToken }) },
      "secret glidepath/slack has no string field 'botToken'",
    ],
  ])("names the secret but never its value for %s", async (_case, output, message) => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).resolves(output);

    // Act
    const error: unknown = await cachedSecret(client, secretId, undefined, { field: "botToken" })().catch(
      (caught: unknown) => caught,
    );

    // Assess
    expect((error as Error).message).toBe(message);
    expect(String(error)).not.toContain(botToken);
  });
});

describe("SlackNotifier.promotionEnded", () => {
  const ended = {
    promotionId: "d-2cc7a59bb3dada364d00",
    service: "checkout",
    version: "1.4.0",
    environment: "staging",
    reason: "AlarmFiredError: checkout-5xx & more",
    executionUrl: "https://console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/arn",
  };

  it("posts a frozen promotion with @here, escaped, and a link to the pipeline execution", async () => {
    // Prepare
    const slack = fakeFetch();

    // Act
    await notifier(slack.fetch).promotionEnded({ ...ended, outcome: "frozen" });

    // Assess
    const text =
      "<!here> checkout 1.4.0: FROZEN in staging: an irreversible change ran before the failure, so nothing was undone and traffic stays on the old version. AlarmFiredError: checkout-5xx &amp; more";
    expect(slack.requests).toStrictEqual([
      postMessage(text, [
        { type: "section", text: { type: "mrkdwn", text } },
        {
          type: "context",
          elements: [
            {
              type: "mrkdwn",
              text: `<${ended.executionUrl}|Pipeline execution> · promotion d-2cc7a59bb3dada364d00 · full report: \`glidepath report d-2cc7a59bb3dada364d00 --format html --out report.html\``,
            },
          ],
        },
      ]),
    ]);
  });

  it("says a promoted release went through every environment, without paging anyone", async () => {
    // Prepare
    const slack = fakeFetch();

    // Act
    await notifier(slack.fetch).promotionEnded({ ...ended, outcome: "promoted", reason: "all green" });

    // Assess
    expect(slack.requests).toMatchObject([
      { body: { text: "checkout 1.4.0: promoted through every environment. all green" } },
    ]);
  });
});

describe("SlackNotifier.promotionEnded, with what the new version served", () => {
  it("posts the exposure summed over the started waves and the command for the full report", async () => {
    // Prepare
    const slack = fakeFetch();

    // Act
    await notifier(slack.fetch).promotionEnded({
      promotionId: "p-2cc7a59bb3dada364d00",
      service: "checkout",
      version: "1.4.0",
      environment: "staging",
      outcome: "stopped",
      reason: "AnalysisFailedError: 5xx",
      executionUrl: "https://console.aws.amazon.com/states",
      exposure: { requests: 142, errors: 9, recorded: 2, waves: 2 },
    });

    // Assess
    const blocks =
      (slack.requests[0]?.body as { blocks: { text?: { text: string } }[] } | undefined)?.blocks ?? [];
    expect(blocks[1]).toEqual({
      type: "section",
      text: {
        type: "mrkdwn",
        text: "Exposure: the new version served 142 requests and 9 errors (2 of 2 waves recorded).",
      },
    });
    expect(JSON.stringify(blocks[2])).toContain("glidepath report p-2cc7a59bb3dada364d00 --format html");
  });
});

describe("SlackNotifier.experimentJudged", () => {
  it("posts the verdict, one field per arm with its interval, and a link to the execution, escaped", async () => {
    // Prepare
    const slack = fakeFetch();
    const verdict = judgeExperiment(
      {
        control: { numerator: 1000, denominator: 2000 },
        treatment: { numerator: 1300, denominator: 2000 },
      },
      { metric: "conversion", alpha: 0.05, minSamples: 100 },
    );

    // Act
    await notifier(slack.fetch).experimentJudged({
      deploymentId: "d-2cc7a59bb3dada364d00",
      service: "checkout",
      environment: "production",
      version: "1.4.0",
      verdict,
      next: "promoting the treatment to 100%",
      executionUrl: "https://console.aws.amazon.com/states/home#/executions/details/arn",
    });

    // Assess
    const [request] = slack.requests as { body: { text: string; blocks: unknown[] } }[];
    expect(request?.body.text).toMatch(
      /^checkout 1\.4\.0 in production, experiment judged: treatment wins: conversion 65\.0% \(treatment, 2000\) vs 50\.0% \(control, 2000\), lift \+30\.0% \[.*\] at 95\.0% confidence; promoting the treatment to 100%$/,
    );
    expect(request?.body.blocks).toEqual([
      { type: "section", text: { type: "mrkdwn", text: request?.body.text } },
      {
        type: "section",
        fields: [
          {
            type: "mrkdwn",
            text: expect.stringMatching(/^\*treatment\*: 65\.0% \(1300 of 2000\), \d+\.\d% to \d+\.\d%$/),
          },
          {
            type: "mrkdwn",
            text: expect.stringMatching(/^\*control\*: 50\.0% \(1000 of 2000\), \d+\.\d% to \d+\.\d%$/),
          },
        ],
      },
      {
        type: "context",
        elements: [
          {
            type: "mrkdwn",
            text: "<https://console.aws.amazon.com/states/home#/executions/details/arn|Execution> · deployment d-2cc7a59bb3dada364d00",
          },
        ],
      },
    ]);
  });
});
