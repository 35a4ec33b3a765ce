import { describe, expect, it } from "vitest";
import { LocalBus } from "../../functions/adapters/local/local-bus.ts";
import { LineNotifier } from "../../functions/adapters/log-notifier.ts";
import { signSlackRequest } from "../../functions/adapters/slack/signature.ts";
import { GateSignal } from "../../functions/domain/gates.ts";
import type { TaskCallbacks } from "../../functions/domain/ports/gates.ts";
import type { Ports } from "../../functions/domain/ports/index.ts";
import { createOpenGateHandler } from "../../functions/handlers/open-gate.ts";
import { createResolveGateHandler } from "../../functions/handlers/resolve-gate.ts";
import {
  createSlackCallbackHandler,
  type FunctionUrlEvent,
  type SlackReply,
} from "../../functions/handlers/slack-callback.ts";
import payloadFixture from "../fixtures/slack/block-actions-approve.json" with { type: "json" };
import eventFixture from "../fixtures/slack/function-url-event.json" with { type: "json" };
import { useStoreTable } from "../helpers/dynalite.ts";

/**
 * A Slack click replayed inside the five-minute window the signature allows, through the real Slack callback,
 * the bus, resolve-gate and the stores on dynalite: the replay must decide nothing the first click did not.
 */
const account = "111122223333";
const signingSecret = "8f742231b10e8888abcd99yyyzzz85a5";
const token = "AQCEAAAAKgAAAAMAAAAAAAAAAel1KfkR9sLRs0uJ3ReplayTokenSecret==";

const storeTable = useStoreTable(() => new Date());
let counter = 0;

/**
 * The real gate path: open-gate, then Slack → bus → resolve-gate, with every callback and bus event kept. An
 * approval ends its Parallel early with the GateApproved signal (a task failure the machine catches).
 */
async function approvalGate() {
  counter += 1;
  const stores = storeTable.stores();
  const callbacks: { token: string; error?: string }[] = [];
  const recording: TaskCallbacks = {
    succeed: async (taskToken) => void callbacks.push({ token: taskToken }),
    fail: async (taskToken, error) => void callbacks.push({ token: taskToken, error }),
  };
  const unused = () => {
    throw new Error("not used by gates");
  };
  const ports: Ports = {
    ...stores,
    callbacks: recording,
    notifier: new LineNotifier(() => undefined),
    account,
    executionUrl: (arn) => arn,
    clock: () => new Date(),
    trafficRouter: unused,
    deployTarget: unused,
    healthSignals: unused,
  };
  const { deployment } = await stores.deployments.create({
    service: `replayed-${counter}`,
    environment: "production",
    artifact: { uri: "repo@sha256:1", digest: `sha256:replay-${counter}`, version: "1.4.0" },
    strategy: "canary",
  });
  await stores.deployments.transition(deployment.id, "IN_PROGRESS");
  await createOpenGateHandler(ports)({
    taskToken: token,
    deploymentId: deployment.id,
    executionArn: `arn:aws:states:eu-west-1:${account}:execution:Glidepath-canary:replay-${counter}`,
    gate: { kind: "approval", phaseIndex: 0, resumes: 0, elapsedSeconds: 30, weight: 10, waitSeconds: 30 },
    approvers: [],
    service: `replayed-${counter}`,
    environment: "production",
    version: "1.4.0",
  });
  const gateId = "approval-p1-r0-30s";
  const busEvents: unknown[] = [];
  const resolveGate = createResolveGateHandler(ports);
  const bus = new LocalBus({
    account,
    region: "eu-west-1",
    deliver: async (event) => {
      busEvents.push(event);
      return resolveGate(event);
    },
  });
  const replies: SlackReply[] = [];
  let secondsAfterSigning = 0;
  const signedAt = Math.floor(Date.now() / 1000);
  const slack = createSlackCallbackHandler({
    signingSecret: async () => signingSecret,
    gates: stores.gates,
    deployments: stores.deployments,
    bus,
    clock: () => new Date((signedAt + secondsAfterSigning) * 1000),
    respond: async (_url, reply) => void replies.push(reply),
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
  });
  const payload = structuredClone(payloadFixture);
  const [action] = payload.actions;
  if (action === undefined) throw new Error("the fixture has no action");
  action.value = JSON.stringify({ d: deployment.id, g: gateId });
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const headers = signSlackRequest({ signingSecret, timestamp: signedAt, rawBody: body });
  /** The one signed request, as Slack sent it, delivered `seconds` after it was signed. */
  const click = (seconds: number) => {
    secondsAfterSigning = seconds;
    const event: FunctionUrlEvent = {
      ...eventFixture,
      headers: {
        ...eventFixture.headers,
        "x-slack-request-timestamp": headers["X-Slack-Request-Timestamp"],
        "x-slack-signature": headers["X-Slack-Signature"],
      },
      body,
      isBase64Encoded: false,
    };
    return slack(event);
  };
  return { deploymentId: deployment.id, gateId, click, callbacks, busEvents, replies, stores };
}

describe("a Slack click replayed inside the five-minute window", () => {
  it("decides nothing new after the first decided the gate: one bus event, one callback, the decision log unchanged", async () => {
    // Prepare
    const gate = await approvalGate();
    const first = await gate.click(2);
    const decisionsAfterFirst = await gate.stores.decisions.list(gate.deploymentId);

    // Act
    const replay = await gate.click(240);

    // Assess
    expect(JSON.parse(first.body).text).toMatch(/^⏳ approve by <@U024BE7LH> recorded/);
    expect(JSON.parse(replay.body).text).toMatch(
      /^☑️ The .* was already decided by <@U024BE7LH> .*\(approve\)\. Your approve was not recorded\.$/,
    );
    expect(gate.busEvents).toHaveLength(1);
    expect(gate.callbacks).toEqual([{ token, error: GateSignal.Approved }]);
    expect(decisionsAfterFirst.map((decision) => [decision.action, decision.actor])).toContainEqual([
      "approve",
      "slack:U024BE7LH",
    ]);
    expect(await gate.stores.decisions.list(gate.deploymentId)).toEqual(decisionsAfterFirst);
  });

  it("decides once when the replay reaches resolve-gate before the first is applied: one callback, one decision", async () => {
    // Prepare
    const gate = await approvalGate();

    // Act
    const answers = await Promise.all([gate.click(2), gate.click(3)]);

    // Assess
    expect(answers.map((answer) => answer.statusCode)).toEqual([200, 200]);
    expect(gate.callbacks).toEqual([{ token, error: GateSignal.Approved }]);
    const approvals = (await gate.stores.decisions.list(gate.deploymentId)).filter(
      (decision) => decision.action === "approve",
    );
    expect(approvals).toHaveLength(1);
  });
});
