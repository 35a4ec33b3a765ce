import { z } from "zod";
import { DeploymentIdSchema } from "../../domain/deployment.ts";
import { type HumanAction, humanActions } from "../../domain/gates.ts";

/**
 * The wire format between a gate's Slack message and the callback. A button's `action_id` is `glidepath:<action>`
 * and its `value` is `{"d":"<deploymentId>","g":"<gateId>"}`: enough to find the gate in the store, and nothing
 * secret (never a task token). Slack echoes both back in a `block_actions` payload, form-encoded as
 * `payload=<JSON>`.
 */

const actionIdPrefix = "glidepath:";

export function actionIdOf(action: HumanAction): string {
  return `${actionIdPrefix}${action}`;
}

export function buttonValue(deploymentId: string, gateId: string): string {
  return JSON.stringify({ d: deploymentId, g: gateId });
}

/** A click on one of a gate message's buttons, as the callback needs it. */
export interface GateClick {
  readonly deploymentId: string;
  readonly gateId: string;
  readonly action: HumanAction;
  readonly user: {
    readonly id: string;
    /** `username`, else `name`, else the id. */
    readonly name: string;
  };
  /** Where to answer the clicker, and what resolve-gate uses to update the message. */
  readonly responseUrl: string;
  readonly channelId?: string;
  readonly messageTs?: string;
}

export type ParseGateClickResult =
  | { readonly ok: true; readonly click: GateClick }
  | { readonly ok: false; readonly reason: string };

const ButtonValueSchema = z.strictObject({
  d: DeploymentIdSchema,
  g: z.string().min(1).max(200),
});

const actionIdPattern = new RegExp(`^${actionIdPrefix}(${humanActions.join("|")})$`);

const BlockActionsSchema = z.object({
  type: z.literal("block_actions"),
  user: z.object({
    // Mentioned back as <@id>: only Slack's id alphabet may get into a message.
    id: z.string().regex(/^[A-Z0-9]{2,32}$/, { error: "must be a Slack user id" }),
    username: z.string().optional(),
    name: z.string().optional(),
  }),
  response_url: z.url({ protocol: /^https?$/ }),
  actions: z
    .array(
      z.object({
        action_id: z.string().regex(actionIdPattern, {
          error: `must be ${actionIdPrefix}<action> with one of ${humanActions.join(", ")}`,
        }),
        value: z.string().min(1),
      }),
    )
    .min(1, { error: "must hold the clicked button" }),
  container: z.object({ message_ts: z.string().optional(), channel_id: z.string().optional() }).optional(),
  channel: z.object({ id: z.string() }).optional(),
});

function describeIssues(prefix: string, error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.map((part) => (typeof part === "number" ? `[${part}]` : `.${String(part)}`));
      return `${prefix}${path.join("")}: ${issue.message}`;
    })
    .join("; ");
}

function parseJson(
  text: string,
): { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly reason: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Parses the body of a Slack interactivity request (after its signature was verified). Every failure names the
 * part that was wrong: the form, the payload's JSON, a field of the payload, or the button's value.
 */
export function parseGateClick(body: string): ParseGateClickResult {
  const payloadText = new URLSearchParams(body).get("payload");
  if (payloadText === null) {
    return {
      ok: false,
      reason: "the body has no 'payload' field: expected application/x-www-form-urlencoded payload=<JSON>",
    };
  }
  const json = parseJson(payloadText);
  if (!json.ok) return { ok: false, reason: `payload is not valid JSON: ${json.reason}` };
  const payload = BlockActionsSchema.safeParse(json.value);
  if (!payload.success) return { ok: false, reason: describeIssues("payload", payload.error) };
  const { user, actions, container, channel } = payload.data;
  // The schema requires at least one action.
  const clicked = actions[0] as (typeof actions)[number];
  const valueJson = parseJson(clicked.value);
  if (!valueJson.ok) {
    return { ok: false, reason: `payload.actions[0].value is not valid JSON: ${valueJson.reason}` };
  }
  const value = ButtonValueSchema.safeParse(valueJson.value);
  if (!value.success) return { ok: false, reason: describeIssues("payload.actions[0].value", value.error) };
  const channelId = container?.channel_id ?? channel?.id;
  const click: GateClick = {
    deploymentId: value.data.d,
    gateId: value.data.g,
    action: clicked.action_id.slice(actionIdPrefix.length) as HumanAction,
    user: { id: user.id, name: user.username ?? user.name ?? user.id },
    responseUrl: payload.data.response_url,
    ...(channelId === undefined ? {} : { channelId }),
    ...(container?.message_ts === undefined ? {} : { messageTs: container.message_ts }),
  };
  return { ok: true, click };
}
