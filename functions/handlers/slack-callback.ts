import { actorMention, escapeMrkdwn, slackDate } from "../adapters/slack/blocks.ts";
import { type GateClick, parseGateClick } from "../adapters/slack/interactivity.ts";
import { verifySlackRequest } from "../adapters/slack/signature.ts";
import { postToResponseUrl } from "../adapters/slack/slack-notifier.ts";
import { type Gate, type GateDecisionEvent, gateActions, mayDecide } from "../domain/gates.ts";
import type { DeploymentStore } from "../domain/ports/deployment-store.ts";
import type { GateStore } from "../domain/ports/gate-store.ts";
import type { DecisionBus } from "../domain/ports/gates.ts";
import { logger as sharedLogger } from "../shared/logger.ts";

/**
 * The parts of a Lambda function URL event (payload format 2.0) the callback reads. The Lambda entry checks the
 * whole event with Powertools' LambdaFunctionUrlSchema; the local endpoint builds only these parts.
 */
export interface FunctionUrlEvent {
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
  readonly requestContext: { readonly http: { readonly method: string } };
}

export interface FunctionUrlResult {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** An answer to the clicker, in the shape of a response_url message. */
export interface SlackReply {
  readonly response_type?: "ephemeral";
  readonly replace_original: false;
  readonly text: string;
}

export interface CallbackLogger {
  info(message: string, extra: Record<string, unknown>): void;
  warn(message: string, extra: Record<string, unknown>): void;
  error(message: string, extra: Record<string, unknown>): void;
}

export interface SlackCallbackHandlerProps {
  /** The Slack app's signing secret, read when needed (`cachedSecret` on AWS). */
  readonly signingSecret: () => Promise<string>;
  readonly gates: Pick<GateStore, "get">;
  /** Read only to name the environment to someone who may not decide. */
  readonly deployments: Pick<DeploymentStore, "get">;
  readonly bus: DecisionBus;
  readonly clock: () => Date;
  /**
   * Shows a refusal to the clicker. Slack ignores the body of a `block_actions` acknowledgement, so a refusal is
   * also posted, ephemeral, to the payload's response_url; failures are logged, never answered with an error.
   * @default postToResponseUrl with a 1 s timeout
   */
  readonly respond?: (responseUrl: string, reply: SlackReply) => Promise<void>;
  /** @default the shared Powertools logger */
  readonly logger?: CallbackLogger;
}

const jsonHeaders = { "content-type": "application/json; charset=utf-8" } as const;

const answer = (
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): FunctionUrlResult => ({
  statusCode,
  headers: { ...jsonHeaders, ...headers },
  body: JSON.stringify(body),
});

const ephemeral = (text: string): SlackReply => ({
  response_type: "ephemeral",
  replace_original: false,
  text,
});

const defaultRespond = (responseUrl: string, reply: SlackReply) =>
  postToResponseUrl(responseUrl, reply, { timeoutMs: 1000 });

const actorOf = (click: GateClick) => `slack:${click.user.id}`;

function approverList(approvers: readonly string[]): string {
  return approvers
    .map((id) => actorMention(id.startsWith("slack:") ? id : /^[UW][A-Z0-9]+$/.test(id) ? `slack:${id}` : id))
    .join(", ");
}

/**
 * The Slack interactivity endpoint, behind a Lambda function URL. It only checks and forwards: a verified click
 * on an open gate, by someone allowed to decide, becomes one GateDecision event on the bus, and resolve-gate does
 * the rest (first decision wins there). Every refusal changes nothing.
 *
 * Status codes: 405 for anything but POST and 401 for a request that is not provably Slack's (both show Slack's
 * generic error, which only a forged or misrouted request should ever see); 400 for a signed payload that is not
 * a Glidepath button click; 200 for every answer to a real click, refusals included, because any other status
 * makes Slack show an error icon instead of the explanation.
 */
export function createSlackCallbackHandler(props: SlackCallbackHandlerProps) {
  const respond = props.respond ?? defaultRespond;
  const log = props.logger ?? sharedLogger;

  async function refusal(click: GateClick, gate: Gate | undefined, now: Date): Promise<string | undefined> {
    if (gate === undefined) {
      return `🤷 unknown gate: deployment \`${click.deploymentId}\` has no gate \`${escapeMrkdwn(click.gateId)}\`. Nothing was recorded.`;
    }
    const label = escapeMrkdwn(gate.label);
    if (gate.status === "decided" || gate.decision !== undefined) {
      const decision = gate.decision;
      const by =
        decision === undefined
          ? ""
          : ` by ${actorMention(decision.actor)} at ${slackDate(decision.at)} (${decision.action})`;
      return `☑️ The ${label} was already decided${by}. Your ${click.action} was not recorded.`;
    }
    if (Date.parse(gate.expiresAt) <= now.getTime()) {
      return `⌛ The ${label} expired at ${slackDate(gate.expiresAt)}. Your ${click.action} was not recorded.`;
    }
    const allowed = gateActions(gate);
    if (!allowed.includes(click.action)) {
      return `🚫 ${click.action} is not possible at the ${label}: it accepts ${allowed.join(", ")}. Nothing was recorded.`;
    }
    if (!mayDecide(gate, actorOf(click))) {
      const deployment = await props.deployments.get(click.deploymentId);
      const environment = deployment === undefined ? "this deployment" : escapeMrkdwn(deployment.environment);
      return `🔒 <@${click.user.id}>, you are not an approver of ${environment} (approvers: ${approverList(gate.approvers)}). Nothing was recorded.`;
    }
    return undefined;
  }

  async function tell(click: GateClick, reply: SlackReply): Promise<void> {
    try {
      await respond(click.responseUrl, reply);
    } catch (error) {
      log.warn("could not show the reply in Slack", {
        deploymentId: click.deploymentId,
        gateId: click.gateId,
        error,
      });
    }
  }

  return async (event: FunctionUrlEvent): Promise<FunctionUrlResult> => {
    if (event.requestContext.http.method !== "POST") {
      return answer(
        405,
        { error: `${event.requestContext.http.method} is not allowed: Slack POSTs` },
        { allow: "POST" },
      );
    }
    const now = props.clock();
    const rawBody = Buffer.from(event.body ?? "", event.isBase64Encoded === true ? "base64" : "utf8");
    const verified = verifySlackRequest({
      signingSecret: await props.signingSecret(),
      headers: event.headers ?? {},
      rawBody,
      now,
    });
    if (!verified.ok) {
      log.warn("refused a request that is not Slack's", { reason: verified.reason });
      return answer(401, { error: verified.reason });
    }
    const parsed = parseGateClick(rawBody.toString("utf8"));
    if (!parsed.ok) {
      log.warn("refused a Slack payload that is not a gate click", { reason: parsed.reason });
      return answer(400, { error: parsed.reason });
    }
    const click = parsed.click;
    const actor = actorOf(click);
    const about = { deploymentId: click.deploymentId, gateId: click.gateId, action: click.action, actor };
    const gate = await props.gates.get(click.deploymentId, click.gateId);
    const refused = await refusal(click, gate, now);
    if (refused !== undefined) {
      log.info("gate click refused", { ...about, refusal: refused });
      const reply = ephemeral(refused);
      await tell(click, reply);
      return answer(200, reply);
    }
    const decision: GateDecisionEvent = {
      deploymentId: click.deploymentId,
      gateId: click.gateId,
      action: click.action,
      actor,
      responseUrl: click.responseUrl,
    };
    try {
      await props.bus.putDecision(decision);
    } catch (error) {
      log.error("could not put the gate decision on the bus", { ...about, error });
      const reply = ephemeral(
        `⚠️ ${click.action} by <@${click.user.id}> could not be recorded: the decision bus did not accept it. Nothing changed; try again.`,
      );
      await tell(click, reply);
      return answer(200, reply);
    }
    log.info("gate decision put on the bus", about);
    return answer(200, {
      replace_original: false,
      text: `⏳ ${click.action} by <@${click.user.id}> recorded; the message updates when the deployment acts on it.`,
    } satisfies SlackReply);
  };
}
