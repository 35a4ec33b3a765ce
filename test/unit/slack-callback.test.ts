import { afterEach, describe, expect, it, vi } from "vitest";
import { gateBlocks } from "../../functions/adapters/slack/blocks.ts";
import { parseGateClick } from "../../functions/adapters/slack/interactivity.ts";
import { signSlackRequest } from "../../functions/adapters/slack/signature.ts";
import { SlackNotifier } from "../../functions/adapters/slack/slack-notifier.ts";
import type { Deployment } from "../../functions/domain/deployment.ts";
import type { Gate, GateDecision, GateDecisionEvent } from "../../functions/domain/gates.ts";
import type { DecisionBus } from "../../functions/domain/ports/gates.ts";
import type { GateNotice } from "../../functions/domain/ports/notifier.ts";
import {
  type CallbackLogger,
  createSlackCallbackHandler,
  type FunctionUrlEvent,
  type FunctionUrlResult,
  type SlackReply,
} from "../../functions/handlers/slack-callback.ts";
import payloadFixture from "../fixtures/slack/block-actions-approve.json" with { type: "json" };
import eventFixture from "../fixtures/slack/function-url-event.json" with { type: "json" };
import base64EventFixture from "../fixtures/slack/function-url-event-base64.json" with { type: "json" };
import noticeFixture from "../fixtures/slack/gate-notice.json" with { type: "json" };
import gateRecord from "../fixtures/slack/gate-record.json" with { type: "json" };
import signing from "../fixtures/slack/signing.json" with { type: "json" };

const { signingSecret, timestamp } = signing;
const storedGate = gateRecord.gate as Gate;
const taskToken = gateRecord.taskToken;
const deploymentId = storedGate.deploymentId;
const gateId = storedGate.gateId;
const responseUrl = payloadFixture.response_url;
const alice = "U024BE7LH";
const bob = "U061F7AUR";
const mallory = "U0MALLORY";

type Payload = typeof payloadFixture;

/** The fixture's click, changed: another user, another button, another gate. */
function payloadWith(change: {
  user?: string;
  action?: string;
  gate?: string;
  deployment?: string;
}): Payload {
  const payload = structuredClone(payloadFixture);
  const [action] = payload.actions;
  if (action === undefined) throw new Error("the fixture has no action");
  if (change.user !== undefined)
    payload.user = { ...payload.user, id: change.user, username: change.user, name: change.user };
  if (change.action !== undefined) action.action_id = `glidepath:${change.action}`;
  if (change.gate !== undefined || change.deployment !== undefined) {
    action.value = JSON.stringify({ d: change.deployment ?? deploymentId, g: change.gate ?? gateId });
  }
  return payload;
}

const formBody = (payload: unknown) => new URLSearchParams({ payload: JSON.stringify(payload) }).toString();

/** A function URL event carrying `body`, signed as Slack would sign it at `signedAt`. */
function signedEvent(body: string, options: { base64?: boolean; signedAt?: number } = {}): FunctionUrlEvent {
  const headers = signSlackRequest({
    signingSecret,
    timestamp: options.signedAt ?? timestamp,
    rawBody: body,
  });
  const base64 = options.base64 ?? false;
  return {
    ...eventFixture,
    headers: {
      ...eventFixture.headers,
      "x-slack-request-timestamp": headers["X-Slack-Request-Timestamp"],
      "x-slack-signature": headers["X-Slack-Signature"],
    },
    body: base64 ? Buffer.from(body).toString("base64") : body,
    isBase64Encoded: base64,
  };
}

const clickBy = (user: string, change: { action?: string; gate?: string } = {}) =>
  signedEvent(formBody(payloadWith({ user, ...change })));

/** The state store's gate item, token included; `leaky` hands the token out, which the real store never does. */
class FakeStore {
  readonly gates = new Map<string, { gate: Gate; taskToken: string }>();
  readonly reads: string[] = [];
  readonly leaky: boolean;

  constructor(gates: readonly Gate[], options: { leaky?: boolean } = {}) {
    for (const gate of gates) this.gates.set(`${gate.deploymentId}/${gate.gateId}`, { gate, taskToken });
    this.leaky = options.leaky ?? false;
  }

  async getGate(id: string, gate: string): Promise<Gate | undefined> {
    this.reads.push(`getGate ${id}/${gate}`);
    const record = this.gates.get(`${id}/${gate}`);
    if (record === undefined) return undefined;
    return this.leaky ? ({ ...record.gate, taskToken: record.taskToken } as Gate) : record.gate;
  }

  async getDeployment(id: string): Promise<Deployment | undefined> {
    this.reads.push(`getDeployment ${id}`);
    return id === deploymentId
      ? ({ id, service: "checkout", environment: "production" } as Deployment)
      : undefined;
  }

  decide(id: string, gate: string, decision: GateDecision): void {
    const record = this.gates.get(`${id}/${gate}`);
    if (record !== undefined) record.gate = { ...record.gate, status: "decided", decision };
  }
}

/** The bus, in memory; `onPut` plays resolve-gate for tests of a second click. */
class FakeBus implements DecisionBus {
  readonly decisions: GateDecisionEvent[] = [];
  readonly failure: Error | undefined;
  readonly onPut: ((decision: GateDecisionEvent) => void) | undefined;

  constructor(options: { failure?: Error; onPut?: (decision: GateDecisionEvent) => void } = {}) {
    this.failure = options.failure;
    this.onPut = options.onPut;
  }

  async putDecision(decision: GateDecisionEvent): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    this.decisions.push(decision);
    this.onPut?.(decision);
  }
}

function harness(
  options: {
    gates?: readonly Gate[];
    store?: FakeStore;
    leaky?: boolean;
    bus?: FakeBus;
    respondFailure?: Error;
    secondsAfterSigning?: number;
  } = {},
) {
  const store =
    options.store ?? new FakeStore(options.gates ?? [storedGate], { leaky: options.leaky ?? false });
  const bus = options.bus ?? new FakeBus();
  const replies: { url: string; reply: SlackReply }[] = [];
  const logs: { level: string; message: string; extra: Record<string, unknown> }[] = [];
  const logger: CallbackLogger = {
    info: (message, extra) => void logs.push({ level: "info", message, extra }),
    warn: (message, extra) => void logs.push({ level: "warn", message, extra }),
    error: (message, extra) => void logs.push({ level: "error", message, extra }),
  };
  const handler = createSlackCallbackHandler({
    signingSecret: async () => signingSecret,
    gates: { get: (id, gate) => store.getGate(id, gate) },
    deployments: { get: (id) => store.getDeployment(id) },
    bus,
    clock: () => new Date((timestamp + (options.secondsAfterSigning ?? 2)) * 1000),
    respond: async (url, reply) => {
      replies.push({ url, reply });
      if (options.respondFailure !== undefined) throw options.respondFailure;
    },
    logger,
  });
  return { handler, store, bus, replies, logs };
}

const jsonHeaders = { "content-type": "application/json; charset=utf-8" };
const ok = (reply: object): FunctionUrlResult => ({
  statusCode: 200,
  headers: jsonHeaders,
  body: JSON.stringify(reply),
});
const ephemeral = (text: string): SlackReply => ({
  response_type: "ephemeral",
  replace_original: false,
  text,
});

const expectedDecision: GateDecisionEvent = {
  deploymentId,
  gateId,
  action: "approve",
  actor: `slack:${alice}`,
  responseUrl,
};

describe("parseGateClick", () => {
  it("reads the click out of the fixture, as Slack sends it", () => {
    // Act
    const result = parseGateClick(eventFixture.body);

    // Assess
    expect(result).toStrictEqual({
      ok: true,
      click: {
        deploymentId,
        gateId,
        action: "approve",
        user: { id: alice, name: "alice" },
        responseUrl,
        channelId: "C0CAG8H7Q",
        messageTs: "1773310200.000200",
      },
    });
  });

  it("reads the buttons gateBlocks makes", () => {
    // Prepare
    const [abort] = gateBlocks({ ...(noticeFixture as GateNotice), actions: ["abort"] }).flatMap((block) =>
      block.type === "actions" ? block.elements : [],
    );
    const payload = structuredClone(payloadFixture);
    payload.actions = [
      { ...payloadFixture.actions[0], action_id: abort?.action_id ?? "", value: abort?.value ?? "" },
    ] as Payload["actions"];

    // Act
    const result = parseGateClick(formBody(payload));

    // Assess
    expect(result.ok && result.click.action).toBe("abort");
  });

  const withPayload = (change: (payload: Record<string, unknown>) => void) => {
    const payload = structuredClone(payloadFixture) as unknown as Record<string, unknown>;
    change(payload);
    return formBody(payload);
  };
  const withAction = (change: Record<string, unknown>) =>
    withPayload((payload) => {
      payload.actions = [{ ...payloadFixture.actions[0], ...change }];
    });

  it.each<[string, string, string | RegExp]>([
    [
      "a JSON body instead of a form",
      JSON.stringify(payloadFixture),
      "the body has no 'payload' field: expected application/x-www-form-urlencoded payload=<JSON>",
    ],
    [
      "an empty body",
      "",
      "the body has no 'payload' field: expected application/x-www-form-urlencoded payload=<JSON>",
    ],
    ["a payload that is not JSON", "payload=%7B%22type%22%3A", /^payload is not valid JSON: /],
    [
      "a modal submission",
      withPayload((payload) => {
        payload.type = "view_submission";
      }),
      /^payload\.type: /,
    ],
    [
      "a click without a user id",
      withPayload((payload) => {
        payload.user = { username: "alice" };
      }),
      /^payload\.user\.id: /,
    ],
    [
      "a user id that is not Slack's",
      withPayload((payload) => {
        payload.user = { id: "U1> <!channel", username: "mallory" };
      }),
      "payload.user.id: must be a Slack user id",
    ],
    [
      "no response_url",
      withPayload((payload) => {
        delete payload.response_url;
      }),
      /^payload\.response_url: /,
    ],
    [
      "a response_url that is no URL",
      withPayload((payload) => {
        payload.response_url = "hooks";
      }),
      /^payload\.response_url: /,
    ],
    [
      "no actions",
      withPayload((payload) => {
        payload.actions = [];
      }),
      "payload.actions: must hold the clicked button",
    ],
    [
      "another app's button",
      withAction({ action_id: "approve_button" }),
      "payload.actions[0].action_id: must be glidepath:<action> with one of approve, reject, promote, pause, resume, abort",
    ],
    [
      "an action no human takes",
      withAction({ action_id: "glidepath:alarm" }),
      "payload.actions[0].action_id: must be glidepath:<action> with one of approve, reject, promote, pause, resume, abort",
    ],
    [
      "a value that is not JSON",
      withAction({ value: "approve" }),
      /^payload\.actions\[0\]\.value is not valid JSON: /,
    ],
    [
      "a value without the deployment",
      withAction({ value: '{"g":"approval-p2-r0-0s"}' }),
      /^payload\.actions\[0\]\.value\.d: /,
    ],
    [
      "a value with a bad deployment id",
      withAction({ value: '{"d":"checkout","g":"approval-p2-r0-0s"}' }),
      "payload.actions[0].value.d: must be a deployment id (d- and 20 hex digits)",
    ],
    [
      "a value with more than the ids",
      withAction({ value: '{"d":"d-2cc7a59bb3dada364d00","g":"x","t":"AQCE"}' }),
      /^payload\.actions\[0\]\.value: .*"t"/,
    ],
  ])("names the wrong part of %s", (_case, body, reason) => {
    // Act
    const result = parseGateClick(body);

    // Assess
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(reason);
  });
});

describe("createSlackCallbackHandler", () => {
  it.each([
    ["a plain body", eventFixture],
    ["a base64 body, as function URLs pass forms", base64EventFixture],
  ])(
    "puts exactly the clicked decision on the bus and acknowledges at once, for %s",
    async (_case, event) => {
      // Prepare
      const { handler, bus, store, replies } = harness();

      // Act
      const result = await handler(event);

      // Assess
      expect(result).toStrictEqual(
        ok({
          replace_original: false,
          text: "⏳ approve by <@U024BE7LH> recorded; the message updates when the deployment acts on it.",
        }),
      );
      expect(bus.decisions).toStrictEqual([expectedDecision]);
      expect(store.reads).toStrictEqual([`getGate ${deploymentId}/${gateId}`]);
      expect(replies).toStrictEqual([]);
    },
  );

  it.each<[string, () => FunctionUrlEvent, number, number, string]>([
    [
      "a wrong signature",
      () => ({
        ...eventFixture,
        headers: { ...eventFixture.headers, "x-slack-signature": `v0=${"0".repeat(64)}` },
      }),
      2,
      401,
      "signature does not match the body",
    ],
    [
      "a replay after 412 s",
      () => eventFixture,
      412,
      401,
      "timestamp is 412 s old: older than 5 minutes, possibly a replay",
    ],
    [
      "a body changed after signing",
      () => ({ ...eventFixture, body: eventFixture.body.replaceAll(alice, bob) }),
      2,
      401,
      "signature does not match the body",
    ],
    [
      "a base64 body changed after signing",
      () => ({
        ...base64EventFixture,
        body: Buffer.from(
          Buffer.from(base64EventFixture.body, "base64").toString().replace("approve", "abort"),
        ).toString("base64"),
      }),
      2,
      401,
      "signature does not match the body",
    ],
    [
      "a base64 body taken as plain text",
      () => ({ ...base64EventFixture, isBase64Encoded: false }),
      2,
      401,
      "signature does not match the body",
    ],
    [
      "no signature header",
      () => ({ ...eventFixture, headers: { ...eventFixture.headers, "x-slack-signature": undefined } }),
      2,
      401,
      "missing X-Slack-Signature header",
    ],
    [
      "no timestamp header",
      () => ({
        ...eventFixture,
        headers: { ...eventFixture.headers, "x-slack-request-timestamp": undefined },
      }),
      2,
      401,
      "missing X-Slack-Request-Timestamp header",
    ],
    [
      "no headers at all",
      () => ({ ...eventFixture, headers: undefined }),
      2,
      401,
      "missing X-Slack-Signature header",
    ],
    [
      "a signed body that is not a form",
      () => signedEvent(JSON.stringify(payloadFixture)),
      2,
      400,
      "the body has no 'payload' field: expected application/x-www-form-urlencoded payload=<JSON>",
    ],
    [
      "a signed payload that is not JSON",
      () => signedEvent("payload=%7Bnot-json"),
      2,
      400,
      "payload is not valid JSON: Expected property name or '}' in JSON at position 1 (line 1 column 2)",
    ],
    [
      "a signed click on another app's button",
      () =>
        signedEvent(
          formBody({
            ...payloadFixture,
            actions: [{ ...payloadFixture.actions[0], action_id: "approve_button" }],
          }),
        ),
      2,
      400,
      "payload.actions[0].action_id: must be glidepath:<action> with one of approve, reject, promote, pause, resume, abort",
    ],
  ])("refuses %s and does nothing else", async (_case, event, secondsAfterSigning, statusCode, reason) => {
    // Prepare
    const { handler, bus, store, replies } = harness({ secondsAfterSigning });

    // Act
    const result = await handler(event());

    // Assess
    expect(result).toStrictEqual({
      statusCode,
      headers: jsonHeaders,
      body: JSON.stringify({ error: reason }),
    });
    expect(bus.decisions).toStrictEqual([]);
    expect(store.reads).toStrictEqual([]);
    expect(replies).toStrictEqual([]);
  });

  it("answers anything but a POST with 405", async () => {
    // Prepare
    const { handler, bus } = harness();

    // Act
    const result = await handler({ ...eventFixture, requestContext: { http: { method: "GET" } } });

    // Assess
    expect(result).toStrictEqual({
      statusCode: 405,
      headers: { ...jsonHeaders, allow: "POST" },
      body: JSON.stringify({ error: "GET is not allowed: Slack POSTs" }),
    });
    expect(bus.decisions).toStrictEqual([]);
  });

  const decidedByBob: Gate = {
    ...storedGate,
    status: "decided",
    decision: { action: "reject", actor: `slack:${bob}`, at: "2026-03-12T10:14:30.000Z" },
  };

  it.each<[string, readonly Gate[], FunctionUrlEvent, string]>([
    [
      "a gate the store does not know",
      [storedGate],
      clickBy(alice, { gate: "approval-p9-r0-0s" }),
      "🤷 unknown gate: deployment `d-2cc7a59bb3dada364d00` has no gate `approval-p9-r0-0s`. Nothing was recorded.",
    ],
    [
      "a click on a gate someone already decided",
      [decidedByBob],
      eventFixture,
      "☑️ The approval at 10% was already decided by <@U061F7AUR> at <!date^1773310470^{date_short_pretty} at {time}|2026-03-12 10:14 UTC> (reject). Your approve was not recorded.",
    ],
    [
      "a click after the gate expired",
      [{ ...storedGate, expiresAt: "2026-03-12T10:14:00.000Z" }],
      eventFixture,
      "⌛ The approval at 10% expired at <!date^1773310440^{date_short_pretty} at {time}|2026-03-12 10:14 UTC>. Your approve was not recorded.",
    ],
    [
      "an action the gate's kind does not take",
      [storedGate],
      clickBy(alice, { action: "promote" }),
      "🚫 promote is not possible at the approval at 10%: it accepts approve, reject, abort. Nothing was recorded.",
    ],
    [
      "a user who is not an approver",
      [storedGate],
      clickBy(mallory),
      "🔒 <@U0MALLORY>, you are not an approver of production (approvers: <@U024BE7LH>, <@U061F7AUR>). Nothing was recorded.",
    ],
  ])("refuses %s with an ephemeral explanation, and puts nothing", async (_case, gates, event, text) => {
    // Prepare
    const { handler, bus, replies, logs } = harness({ gates });

    // Act
    const result = await handler(event);

    // Assess
    expect(result).toStrictEqual(ok(ephemeral(text)));
    expect(replies).toStrictEqual([{ url: responseUrl, reply: ephemeral(text) }]);
    expect(bus.decisions).toStrictEqual([]);
    expect(logs.map((line) => [line.level, line.message])).toStrictEqual([["info", "gate click refused"]]);
  });

  it("refuses a second click once the first decided the gate", async () => {
    // Prepare
    const store = new FakeStore([storedGate]);
    const resolveGate = new FakeBus({
      onPut: (decision) =>
        store.decide(decision.deploymentId, decision.gateId ?? "", {
          action: decision.action,
          actor: decision.actor,
          at: "2026-03-12T10:15:02.000Z",
        }),
    });
    const { handler } = harness({ store, bus: resolveGate });

    // Act
    const first = await handler(clickBy(alice));
    const second = await handler(clickBy(bob, { action: "reject" }));

    // Assess
    expect(JSON.parse(first.body)).toStrictEqual({
      replace_original: false,
      text: "⏳ approve by <@U024BE7LH> recorded; the message updates when the deployment acts on it.",
    });
    expect(second).toStrictEqual(
      ok(
        ephemeral(
          "☑️ The approval at 10% was already decided by <@U024BE7LH> at <!date^1773310502^{date_short_pretty} at {time}|2026-03-12 10:15 UTC> (approve). Your reject was not recorded.",
        ),
      ),
    );
    expect(resolveGate.decisions).toStrictEqual([expectedDecision]);
  });

  it.each<[string, readonly string[], string]>([
    ["anyone when the gate lists no approvers", [], mallory],
    ["an approver listed as slack:<id>", [`slack:${bob}`], bob],
  ])("accepts %s", async (_case, approvers, user) => {
    // Prepare
    const { handler, bus } = harness({ gates: [{ ...storedGate, approvers }] });

    // Act
    const result = await handler(clickBy(user));

    // Assess
    expect(result.statusCode).toBe(200);
    expect(bus.decisions).toStrictEqual([{ ...expectedDecision, actor: `slack:${user}` }]);
  });

  it("tells the clicker when the bus refuses the decision", async () => {
    // Prepare
    const { handler, replies, logs } = harness({
      bus: new FakeBus({ failure: new Error("AccessDeniedException") }),
    });
    const text =
      "⚠️ approve by <@U024BE7LH> could not be recorded: the decision bus did not accept it. Nothing changed; try again.";

    // Act
    const result = await handler(eventFixture);

    // Assess
    expect(result).toStrictEqual(ok(ephemeral(text)));
    expect(replies).toStrictEqual([{ url: responseUrl, reply: ephemeral(text) }]);
    expect(logs.map((line) => [line.level, line.message])).toStrictEqual([
      ["error", "could not put the gate decision on the bus"],
    ]);
  });

  it("answers the same when Slack cannot show the refusal", async () => {
    // Prepare
    const { handler, logs } = harness({
      respondFailure: new Error("Slack response_url failed: expired_url (HTTP 404)"),
    });

    // Act
    const result = await handler(clickBy(mallory));

    // Assess
    expect(result.statusCode).toBe(200);
    expect(logs.map((line) => [line.level, line.message])).toStrictEqual([
      ["info", "gate click refused"],
      ["warn", "could not show the reply in Slack"],
    ]);
  });
});

describe("task tokens", () => {
  it("never leave the store: not in a notifier request, a callback reply, a bus event or a log line", async () => {
    // Prepare
    const sent: unknown[] = [];
    const fetchFn = (async (url: string | URL | Request, init?: RequestInit) => {
      sent.push({
        url: String(url),
        headers: Object.fromEntries(new Headers(init?.headers).entries()),
        body: init?.body,
      });
      return new Response(JSON.stringify({ ok: true }));
    }) as typeof fetch;
    const notifier = new SlackNotifier({
      botToken: async () => "xoxb-test",
      channel: "C0CAG8H7Q",
      fetch: fetchFn,
    });
    const notice = noticeFixture as GateNotice;
    const decision: GateDecision = {
      action: "approve",
      actor: `slack:${alice}`,
      at: "2026-03-12T10:15:02.000Z",
    };
    const { handler, bus, replies, logs, store } = harness({ leaky: true });
    const { handler: onDecided } = harness({
      leaky: true,
      gates: [{ ...storedGate, status: "decided", decision }],
    });
    const events = [
      eventFixture,
      base64EventFixture,
      clickBy(mallory),
      clickBy(alice, { action: "promote" }),
      clickBy(alice, { gate: "approval-p9-r0-0s" }),
      { ...eventFixture, body: eventFixture.body.replace(alice, bob) },
      signedEvent("payload=%7B"),
    ];

    // Act
    const results = [
      ...(await Promise.all(events.map((event) => handler(event)))),
      await onDecided(eventFixture),
    ];
    await notifier.gateOpened(notice);
    await notifier.gateDecided(notice, decision, responseUrl);
    await notifier.gateDecided(notice, decision);

    // Assess
    const leakyRead = JSON.stringify(await store.getGate(deploymentId, gateId));
    expect(leakyRead).toContain(taskToken);
    const everything = JSON.stringify({ sent, results, decisions: bus.decisions, replies, logs });
    expect(sent).toHaveLength(3);
    expect(bus.decisions).toHaveLength(2);
    expect(results.map((result) => result.statusCode)).toStrictEqual([
      200, 200, 200, 200, 200, 401, 400, 200,
    ]);
    expect(everything).not.toContain(taskToken);
    expect(everything).not.toContain(taskToken.slice(0, 24));
  });
});

describe("the Slack callback's Lambda entry", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  const entry = async () => {
    vi.stubEnv("TABLE_NAME", "glidepath-test");
    vi.stubEnv("BUS_NAME", "glidepath");
    vi.stubEnv(
      "SLACK_SIGNING_SECRET_ARN",
      "arn:aws:secretsmanager:eu-west-1:111122223333:secret:slack-AbCdEf",
    );
    return (await import("../../functions/handlers/lambda/slack-callback.ts")).handler;
  };

  it("takes a real function URL event: a GET is answered 405", async () => {
    // Prepare
    const handler = await entry();
    const get = {
      ...eventFixture,
      requestContext: {
        ...eventFixture.requestContext,
        http: { ...eventFixture.requestContext.http, method: "GET" },
      },
    };

    // Act
    const result = await handler(get);

    // Assess
    expect(result.statusCode).toBe(405);
  });

  it("refuses an invocation that is not a function URL event before anything reads it", async () => {
    // Prepare
    const handler = await entry();
    const { requestContext: _, ...noRequestContext } = eventFixture;

    // Act
    const result = handler(noRequestContext);

    // Assess
    await expect(result).rejects.toThrow(/requestContext/);
  });
});
