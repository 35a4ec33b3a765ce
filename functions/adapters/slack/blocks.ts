import { type ArmResult, describeExperimentVerdict } from "../../domain/analysis/experiment.ts";
import { describeExposure } from "../../domain/exposure.ts";
import type { GateDecision, GateKind, HumanAction } from "../../domain/gates.ts";
import type { ExperimentNotice, GateNotice, PromotionNotice } from "../../domain/ports/notifier.ts";
import { actionIdOf, buttonValue } from "./interactivity.ts";

/** The Block Kit subset Glidepath's messages use. */
export interface PlainText {
  readonly type: "plain_text";
  readonly text: string;
  readonly emoji?: boolean;
}

export interface Mrkdwn {
  readonly type: "mrkdwn";
  readonly text: string;
}

export interface ConfirmDialog {
  readonly title: PlainText;
  readonly text: PlainText;
  readonly confirm: PlainText;
  readonly deny: PlainText;
  readonly style?: "primary" | "danger";
}

export interface Button {
  readonly type: "button";
  readonly action_id: string;
  readonly text: PlainText;
  readonly value: string;
  readonly style?: "primary" | "danger";
  readonly confirm?: ConfirmDialog;
}

export type Block =
  | { readonly type: "header"; readonly text: PlainText }
  | { readonly type: "section"; readonly text?: Mrkdwn; readonly fields?: readonly Mrkdwn[] }
  | { readonly type: "actions"; readonly elements: readonly Button[] }
  | { readonly type: "context"; readonly elements: readonly Mrkdwn[] };

/** Slack's limits on the texts used here (Block Kit reference). */
const limits = { header: 150, button: 75, confirmTitle: 100, confirmText: 300, confirmButton: 30 } as const;

const plain = (text: string, max?: number): PlainText => ({
  type: "plain_text",
  text: max === undefined || text.length <= max ? text : `${text.slice(0, max - 1)}…`,
  emoji: true,
});

const mrkdwn = (text: string): Mrkdwn => ({ type: "mrkdwn", text });

/** Slack's mrkdwn treats `&`, `<` and `>` as control characters: anything from config or metrics is escaped. */
export function escapeMrkdwn(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/**
 * A time every reader sees in their own time zone (`<!date^…>`), with the UTC time as the fallback for clients
 * and notifications that cannot format it.
 */
export function slackDate(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return escapeMrkdwn(iso);
  const fallback = `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
  return `<!date^${Math.floor(date.getTime() / 1000)}^{date_short_pretty} at {time}|${fallback}>`;
}

/** `slack:U024BE7LH` mentions the user; a CLI identity or anything else is shown as code. */
export function actorMention(actor: string): string {
  const slackUser = /^slack:([UW][A-Z0-9]+)$/.exec(actor);
  if (slackUser !== null) return `<@${slackUser[1]}>`;
  if (actor.startsWith("cli:")) return `\`${escapeMrkdwn(actor.slice("cli:".length))}\` (CLI)`;
  return `\`${escapeMrkdwn(actor)}\``;
}

const buttonLabels: Readonly<Record<HumanAction, string>> = {
  approve: "✅ Approve",
  reject: "🚫 Reject",
  promote: "⏩ Promote now",
  pause: "⏸️ Pause",
  resume: "▶️ Resume",
  abort: "⛔ Abort",
};

const buttonStyles: Readonly<Partial<Record<HumanAction, "primary" | "danger">>> = {
  approve: "primary",
  promote: "primary",
  resume: "primary",
  reject: "danger",
  abort: "danger",
};

const kindLines: Readonly<Record<GateKind, string>> = {
  bake: "is running: the deployment goes on by itself when it ends, unless someone decides first",
  approval: "needs an approver's decision before the deployment goes on",
  pause:
    "holds the deployment at these weights until someone resumes, promotes or aborts it; errors and alarms still roll it back",
};

function confirmFor(action: HumanAction, notice: GateNotice): ConfirmDialog | undefined {
  const where = `${notice.service} ${notice.version} in ${notice.environment}`;
  if (action === "reject") {
    return {
      title: plain("Reject this deployment?", limits.confirmTitle),
      text: plain(`${where} rolls back: traffic returns to the old version.`, limits.confirmText),
      confirm: plain("Reject", limits.confirmButton),
      deny: plain("Cancel", limits.confirmButton),
      style: "danger",
    };
  }
  if (action === "abort") {
    return {
      title: plain("Abort this deployment?", limits.confirmTitle),
      text: plain(
        `${where} rolls back now: traffic returns to the old version and the new one is retired.`,
        limits.confirmText,
      ),
      confirm: plain("Abort", limits.confirmButton),
      deny: plain("Keep deploying", limits.confirmButton),
      style: "danger",
    };
  }
  return undefined;
}

function button(action: HumanAction, notice: GateNotice): Button {
  const style = buttonStyles[action];
  const confirm = confirmFor(action, notice);
  return {
    type: "button",
    action_id: actionIdOf(action),
    text: plain(buttonLabels[action], limits.button),
    value: buttonValue(notice.deploymentId, notice.gateId),
    ...(style === undefined ? {} : { style }),
    ...(confirm === undefined ? {} : { confirm }),
  };
}

function summaryBlocks(notice: GateNotice, status: string): Block[] {
  return [
    {
      type: "header",
      text: plain(`🚦 ${notice.service} ${notice.version} → ${notice.environment}`, limits.header),
    },
    {
      type: "section",
      text: mrkdwn(`*${escapeMrkdwn(notice.label)}* ${status}`),
      fields: [
        mrkdwn(`*Service*\n${escapeMrkdwn(notice.service)}`),
        mrkdwn(`*Version*\n${escapeMrkdwn(notice.version)}`),
        mrkdwn(`*Environment*\n${escapeMrkdwn(notice.environment)}`),
        mrkdwn(`*Traffic*\nnew ${notice.weights.new}% · old ${notice.weights.old}%`),
      ],
    },
    {
      type: "section",
      text: mrkdwn(`*Health*\n${notice.health === "" ? "—" : escapeMrkdwn(notice.health)}`),
    },
  ];
}

function contextBlock(notice: GateNotice): Block {
  const ids = mrkdwn(
    `deployment \`${escapeMrkdwn(notice.deploymentId)}\` · gate \`${escapeMrkdwn(notice.gateId)}\``,
  );
  const link =
    notice.executionUrl === ""
      ? []
      : [mrkdwn(`<${escapeMrkdwn(notice.executionUrl)}|View execution in the Step Functions console>`)];
  return { type: "context", elements: [...link, ids] };
}

/** The message of an open gate: what deploys where, how it is doing, and one button per action a human may take. */
export function gateBlocks(notice: GateNotice): Block[] {
  const buttons = notice.actions.map((action) => button(action, notice));
  return [
    ...summaryBlocks(notice, kindLines[notice.kind]),
    {
      type: "section",
      text: mrkdwn(
        `*Gate*\n${escapeMrkdwn(notice.label)} (${notice.kind}) · expires ${slackDate(notice.expiresAt)}`,
      ),
    },
    ...(buttons.length === 0 ? [] : [{ type: "actions", elements: buttons } as const]),
    contextBlock(notice),
  ];
}

const outcomes: Readonly<Record<HumanAction, string>> = {
  approve: "✅ Approved",
  reject: "🚫 Rejected",
  promote: "⏩ Promoted",
  pause: "⏸️ Paused",
  resume: "▶️ Resumed",
  abort: "⛔ Aborted",
};

/** One line on who decided what, in mrkdwn: "✅ Approved by <@U024BE7LH> at …". */
export function decisionLine(kind: GateKind, decision: GateDecision): string {
  const reason = decision.reason === undefined ? "" : `: ${escapeMrkdwn(decision.reason)}`;
  const at = slackDate(decision.at);
  switch (decision.action) {
    case "alarm":
      return `🚨 Rolled back: alarm \`${escapeMrkdwn(decision.actor.replace(/^alarm:/, ""))}\` fired at ${at}${reason}`;
    case "timer":
      return kind === "approval"
        ? `⌛ Timed out at ${at} with no decision: counted as rejected${reason}`
        : `⏱️ Bake finished at ${at}${reason}`;
    default:
      return `${outcomes[decision.action]} by ${actorMention(decision.actor)} at ${at}${reason}`;
  }
}

/** The gate's message once decided: the same summary, no buttons, and the decision. */
export function decidedBlocks(notice: GateNotice, decision: GateDecision): Block[] {
  return [
    ...summaryBlocks(notice, "was decided"),
    { type: "section", text: mrkdwn(decisionLine(notice.kind, decision)) },
    contextBlock(notice),
  ];
}

const headline = (notice: GateNotice) =>
  escapeMrkdwn(`${notice.service} ${notice.version} → ${notice.environment}`);

/** The `text` of an open gate's message: notifications and clients without Block Kit show it. */
export function gateText(notice: GateNotice): string {
  const actions = notice.actions.join(", ");
  return `${headline(notice)}: the ${escapeMrkdwn(notice.label)} ${kindLines[notice.kind]} (${actions}).`;
}

export function decidedText(notice: GateNotice, decision: GateDecision): string {
  return `${headline(notice)}, ${escapeMrkdwn(notice.label)}: ${decisionLine(notice.kind, decision)}`;
}

/** The `text` of a promotion's end: `@here` when a human must act (Slack expands `<!here>`). */
export function promotionText(notice: PromotionNotice): string {
  const head = escapeMrkdwn(`${notice.service} ${notice.version}`);
  const where = escapeMrkdwn(notice.environment);
  const reason = escapeMrkdwn(notice.reason);
  switch (notice.outcome) {
    case "promoted":
      return `${head}: promoted through every environment. ${reason}`;
    case "stopped":
      return `${head}: promotion stopped in ${where}. ${reason}`;
    case "frozen":
      return `<!here> ${head}: FROZEN in ${where}: an irreversible change ran before the failure, so nothing was undone and traffic stays on the old version. ${reason}`;
  }
}

export function promotionBlocks(notice: PromotionNotice): Block[] {
  return [
    { type: "section", text: mrkdwn(promotionText(notice)) },
    ...(notice.exposure === undefined
      ? []
      : [
          {
            type: "section" as const,
            text: mrkdwn(escapeMrkdwn(`Exposure: ${describeExposure(notice.exposure)}.`)),
          },
        ]),
    {
      type: "context",
      elements: [
        mrkdwn(
          `<${notice.executionUrl}|Pipeline execution> · promotion ${notice.promotionId} · full report: \`glidepath report ${notice.promotionId} --format html --out report.html\``,
        ),
      ],
    },
  ];
}

/** "checkout 1.4.0 in production, experiment judged: treatment wins: …; promoting the treatment to 100%". */
export function experimentText(notice: ExperimentNotice): string {
  return escapeMrkdwn(
    `${notice.service} ${notice.version} in ${notice.environment}, experiment judged: ${describeExperimentVerdict(notice.verdict)}; ${notice.next}`,
  );
}

/** The verdict, then one field per arm (rate, counts, interval), then the execution. */
export function experimentBlocks(notice: ExperimentNotice): Block[] {
  const arm = (name: string, result: ArmResult) =>
    mrkdwn(
      escapeMrkdwn(
        `*${name}*: ${result.rate === null ? "no data" : percent(result.rate)} (${result.numerator} of ${result.denominator}), ${percent(result.interval[0])} to ${percent(result.interval[1])}`,
      ),
    );
  return [
    { type: "section", text: mrkdwn(experimentText(notice)) },
    {
      type: "section",
      fields: [arm("treatment", notice.verdict.treatment), arm("control", notice.verdict.control)],
    },
    {
      type: "context",
      elements: [mrkdwn(`<${notice.executionUrl}|Execution> · deployment ${notice.deploymentId}`)],
    },
  ];
}

const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
