import { describe, expect, it } from "vitest";
import { signSlackRequest, verifySlackRequest } from "../../functions/adapters/slack/signature.ts";
import event from "../fixtures/slack/function-url-event.json" with { type: "json" };
import signing from "../fixtures/slack/signing.json" with { type: "json" };

const { signingSecret, timestamp } = signing;
const body = event.body;
const signedAt = new Date(timestamp * 1000);
const secondsAfter = (seconds: number) => new Date((timestamp + seconds) * 1000);

describe("signSlackRequest", () => {
  it("reproduces the example of Slack's 'Verifying requests from Slack' guide", () => {
    // Prepare
    const slashCommand =
      "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";

    // Act
    const headers = signSlackRequest({
      signingSecret: "8f742231b10e8888abcd99yyyzzz85a5",
      timestamp: 1531420618,
      rawBody: slashCommand,
    });

    // Assess
    expect(headers).toStrictEqual({
      "X-Slack-Request-Timestamp": "1531420618",
      "X-Slack-Signature": "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
    });
  });

  it("signs the fixture's body as the fixture's headers say", () => {
    // Act
    const headers = signSlackRequest({ signingSecret, timestamp, rawBody: body });

    // Assess
    expect(headers["X-Slack-Signature"]).toBe(event.headers["x-slack-signature"]);
    expect(headers["X-Slack-Request-Timestamp"]).toBe(event.headers["x-slack-request-timestamp"]);
  });
});

describe("verifySlackRequest", () => {
  const signed = signSlackRequest({ signingSecret, timestamp, rawBody: body });

  it.each([
    ["as Slack names them", signed],
    [
      "lower-cased, as a Lambda function URL hands them over",
      {
        "x-slack-request-timestamp": signed["X-Slack-Request-Timestamp"],
        "x-slack-signature": signed["X-Slack-Signature"],
      },
    ],
    [
      "upper-cased",
      {
        "X-SLACK-REQUEST-TIMESTAMP": signed["X-Slack-Request-Timestamp"],
        "X-SLACK-SIGNATURE": signed["X-Slack-Signature"],
      },
    ],
  ])("accepts a signed request with its headers %s", (_case, headers) => {
    // Act
    const result = verifySlackRequest({ signingSecret, headers, rawBody: body, now: secondsAfter(2) });

    // Assess
    expect(result).toStrictEqual({ ok: true });
  });

  it("verifies the raw bytes, as a base64 body decodes to", () => {
    // Act
    const result = verifySlackRequest({
      signingSecret,
      headers: signed,
      rawBody: Buffer.from(Buffer.from(body).toString("base64"), "base64"),
      now: signedAt,
    });

    // Assess
    expect(result).toStrictEqual({ ok: true });
  });

  it.each([
    ["exactly 5 minutes old", 300],
    ["exactly 5 minutes ahead", -300],
  ])("accepts a timestamp %s", (_case, age) => {
    // Act
    const result = verifySlackRequest({
      signingSecret,
      headers: signed,
      rawBody: body,
      now: secondsAfter(age),
    });

    // Assess
    expect(result).toStrictEqual({ ok: true });
  });

  const otherSignature = signSlackRequest({ signingSecret, timestamp, rawBody: `${body}x` })[
    "X-Slack-Signature"
  ];

  it.each<[string, Record<string, string>, string | Buffer, number, string]>([
    [
      "no signature header",
      { "X-Slack-Request-Timestamp": String(timestamp) },
      body,
      0,
      "missing X-Slack-Signature header",
    ],
    [
      "no timestamp header",
      { "X-Slack-Signature": signed["X-Slack-Signature"] },
      body,
      0,
      "missing X-Slack-Request-Timestamp header",
    ],
    [
      "an empty signature header",
      { ...signed, "X-Slack-Signature": "" },
      body,
      0,
      "missing X-Slack-Signature header",
    ],
    [
      "a timestamp that is not a number",
      { ...signed, "X-Slack-Request-Timestamp": "Thu, 12 Mar 2026 10:15:00 GMT" },
      body,
      0,
      "X-Slack-Request-Timestamp is not a Unix time in seconds: 'Thu, 12 Mar 2026 10:15:00 GMT'",
    ],
    [
      "a replay 412 s later",
      signed,
      body,
      412,
      "timestamp is 412 s old: older than 5 minutes, possibly a replay",
    ],
    [
      "a timestamp 301 s old",
      signed,
      body,
      301,
      "timestamp is 301 s old: older than 5 minutes, possibly a replay",
    ],
    [
      "a timestamp from the future",
      signed,
      body,
      -400,
      "timestamp is 400 s in the future: more than 5 minutes ahead of this clock",
    ],
    [
      "a body changed after signing",
      signed,
      body.replace("U024BE7LH", "U061F7AUR"),
      0,
      "signature does not match the body",
    ],
    ["a byte appended to the body", signed, `${body}&`, 0, "signature does not match the body"],
    [
      "another body's signature",
      { ...signed, "X-Slack-Signature": otherSignature },
      body,
      0,
      "signature does not match the body",
    ],
    [
      "a truncated signature (a length mismatch never throws)",
      { ...signed, "X-Slack-Signature": signed["X-Slack-Signature"].slice(0, 20) },
      body,
      0,
      "signature does not match the body",
    ],
    [
      "a signature with trailing bytes",
      { ...signed, "X-Slack-Signature": `${signed["X-Slack-Signature"]}00` },
      body,
      0,
      "signature does not match the body",
    ],
    [
      "a v1 signature",
      { ...signed, "X-Slack-Signature": signed["X-Slack-Signature"].replace("v0=", "v1=") },
      body,
      0,
      "X-Slack-Signature is not a v0 signature",
    ],
    [
      "the signature of another timestamp",
      { ...signed, "X-Slack-Request-Timestamp": String(timestamp + 1) },
      body,
      0,
      "signature does not match the body",
    ],
  ])("refuses %s", (_case, headers, rawBody, age, reason) => {
    // Act
    const result = verifySlackRequest({ signingSecret, headers, rawBody, now: secondsAfter(age) });

    // Assess
    expect(result).toStrictEqual({ ok: false, reason });
  });

  it("refuses a request signed with another secret", () => {
    // Act
    const result = verifySlackRequest({
      signingSecret: "another-apps-signing-secret",
      headers: signed,
      rawBody: body,
      now: signedAt,
    });

    // Assess
    expect(result).toStrictEqual({ ok: false, reason: "signature does not match the body" });
  });
});
