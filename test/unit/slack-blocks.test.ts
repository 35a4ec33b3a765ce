import { describe, expect, it } from "vitest";
import {
  actorMention,
  type Block,
  type Button,
  decidedBlocks,
  decidedText,
  decisionLine,
  escapeMrkdwn,
  gateBlocks,
  gateText,
  slackDate,
} from "../../functions/adapters/slack/blocks.ts";
import type { GateDecision, GateKind, HumanAction } from "../../functions/domain/gates.ts";
import type { GateNotice } from "../../functions/domain/ports/notifier.ts";
import fixture from "../fixtures/slack/gate-notice.json" with { type: "json" };

const notice = fixture as GateNotice;
const expiresAt = "<!date^1774519800^{date_short_pretty} at {time}|2026-03-26 10:10 UTC>";

const buttonsOf = (blocks: readonly Block[]): readonly Button[] =>
  blocks.flatMap((block) => (block.type === "actions" ? block.elements : []));

function textsOf(block: Block): string[] {
  switch (block.type) {
    case "header":
      return [block.text.text];
    case "section":
      return [block.text?.text ?? "", ...(block.fields ?? []).map((field) => field.text)];
    case "context":
      return block.elements.map((element) => element.text);
    case "actions":
      return block.elements.map((element) => element.text.text);
  }
}

/** Every text of a message, in order. */
const textsIn = (blocks: readonly Block[]): string[] => blocks.flatMap(textsOf);

describe("gateBlocks", () => {
  it("shows what deploys where, its weights and health, the gate, its buttons and the execution link", () => {
    // Act
    const blocks = gateBlocks(notice);

    // Assess
    expect(blocks.map((block) => block.type)).toStrictEqual([
      "header",
      "section",
      "section",
      "section",
      "actions",
      "context",
    ]);
    expect(textsIn(blocks)).toStrictEqual([
      "🚦 checkout 1.1.0 → production",
      "*approval at 10%* needs an approver's decision before the deployment goes on",
      "*Service*\ncheckout",
      "*Version*\n1.1.0",
      "*Environment*\nproduction",
      "*Traffic*\nnew 10% · old 90%",
      "*Health*\nhealthy: 5xx 0% over 234 requests, no alarm firing",
      `*Gate*\napproval at 10% (approval) · expires ${expiresAt}`,
      "✅ Approve",
      "🚫 Reject",
      "⛔ Abort",
      `<${notice.executionUrl}|View execution in the Step Functions console>`,
      "deployment `d-2cc7a59bb3dada364d00` · gate `approval-p2-r0-0s`",
    ]);
  });

  it("gives every button the gate's ids as its value and glidepath:<action> as its action_id", () => {
    // Act
    const buttons = buttonsOf(gateBlocks(notice));

    // Assess
    expect(buttons.map((button) => [button.action_id, button.value])).toStrictEqual([
      ["glidepath:approve", '{"d":"d-2cc7a59bb3dada364d00","g":"approval-p2-r0-0s"}'],
      ["glidepath:reject", '{"d":"d-2cc7a59bb3dada364d00","g":"approval-p2-r0-0s"}'],
      ["glidepath:abort", '{"d":"d-2cc7a59bb3dada364d00","g":"approval-p2-r0-0s"}'],
    ]);
  });

  it.each<[GateKind, HumanAction[], [string, string | undefined, boolean][]]>([
    [
      "approval",
      ["approve", "reject", "abort"],
      [
        ["glidepath:approve", "primary", false],
        ["glidepath:reject", "danger", true],
        ["glidepath:abort", "danger", true],
      ],
    ],
    [
      "bake",
      ["promote", "pause", "abort"],
      [
        ["glidepath:promote", "primary", false],
        ["glidepath:pause", undefined, false],
        ["glidepath:abort", "danger", true],
      ],
    ],
    [
      "pause",
      ["resume", "abort"],
      [
        ["glidepath:resume", "primary", false],
        ["glidepath:abort", "danger", true],
      ],
    ],
  ])(
    "a %s gate gets one button per human action, styled, with a confirmation where it rolls back",
    (kind, actions, expected) => {
      // Act
      const buttons = buttonsOf(gateBlocks({ ...notice, kind, actions }));

      // Assess
      expect(
        buttons.map((button) => [button.action_id, button.style, button.confirm !== undefined]),
      ).toStrictEqual(expected);
    },
  );

  it("asks before an abort", () => {
    // Act
    const abort = buttonsOf(gateBlocks(notice)).find((button) => button.action_id === "glidepath:abort");

    // Assess
    expect(abort?.confirm).toStrictEqual({
      title: { type: "plain_text", text: "Abort this deployment?", emoji: true },
      text: {
        type: "plain_text",
        text: "checkout 1.1.0 in production rolls back now: traffic returns to the old version and the new one is retired.",
        emoji: true,
      },
      confirm: { type: "plain_text", text: "Abort", emoji: true },
      deny: { type: "plain_text", text: "Keep deploying", emoji: true },
      style: "danger",
    });
  });

  it("has no actions block when no human may act", () => {
    // Act
    const blocks = gateBlocks({ ...notice, actions: [] });

    // Assess
    expect(blocks.some((block) => block.type === "actions")).toBe(false);
  });

  it("escapes Slack's control characters in what comes from config and metrics", () => {
    // Act
    const texts = textsIn(gateBlocks({ ...notice, service: "a&b", health: "p95 <b> 2 s & rising" }));

    // Assess
    expect(texts).toContain("*Service*\na&amp;b");
    expect(texts).toContain("*Health*\np95 &lt;b&gt; 2 s &amp; rising");
    expect(texts[0]).toBe("🚦 a&b 1.1.0 → production");
  });

  it("keeps within Slack's 150 characters for a header", () => {
    // Act
    const [header] = gateBlocks({ ...notice, service: "s".repeat(200) });

    // Assess
    expect(header?.type === "header" && header.text.text.length).toBe(150);
    expect(header?.type === "header" && header.text.text.endsWith("…")).toBe(true);
  });

  it("leaves the link out when the execution has no URL", () => {
    // Act
    const context = gateBlocks({ ...notice, executionUrl: "" }).at(-1);

    // Assess
    expect(context).toStrictEqual({
      type: "context",
      elements: [{ type: "mrkdwn", text: "deployment `d-2cc7a59bb3dada364d00` · gate `approval-p2-r0-0s`" }],
    });
  });
});

describe("gateText", () => {
  it("says what waits for whom, for notifications", () => {
    // Assess
    expect(gateText(notice)).toBe(
      "checkout 1.1.0 → production: the approval at 10% needs an approver's decision before the deployment goes on (approve, reject, abort).",
    );
  });
});

describe("decisionLine", () => {
  const at = "2026-03-12T10:15:02.000Z";
  const when = "<!date^1773310502^{date_short_pretty} at {time}|2026-03-12 10:15 UTC>";

  it.each<[string, GateKind, GateDecision, string]>([
    [
      "an approval",
      "approval",
      { action: "approve", actor: "slack:U024BE7LH", at },
      `✅ Approved by <@U024BE7LH> at ${when}`,
    ],
    [
      "a rejection",
      "approval",
      { action: "reject", actor: "slack:U061F7AUR", at },
      `🚫 Rejected by <@U061F7AUR> at ${when}`,
    ],
    [
      "an abort",
      "bake",
      { action: "abort", actor: "slack:U024BE7LH", at },
      `⛔ Aborted by <@U024BE7LH> at ${when}`,
    ],
    [
      "a promotion",
      "bake",
      { action: "promote", actor: "slack:U024BE7LH", at },
      `⏩ Promoted by <@U024BE7LH> at ${when}`,
    ],
    [
      "a pause",
      "bake",
      { action: "pause", actor: "slack:U024BE7LH", at },
      `⏸️ Paused by <@U024BE7LH> at ${when}`,
    ],
    [
      "a resume",
      "pause",
      { action: "resume", actor: "slack:U024BE7LH", at },
      `▶️ Resumed by <@U024BE7LH> at ${when}`,
    ],
    [
      "an abort from the CLI, with a reason",
      "bake",
      { action: "abort", actor: "cli:arn:aws:iam::111122223333:user/alice", at, reason: "p99 > 2 s" },
      `⛔ Aborted by \`arn:aws:iam::111122223333:user/alice\` (CLI) at ${when}: p99 &gt; 2 s`,
    ],
    [
      "an alarm",
      "bake",
      {
        action: "alarm",
        actor: "alarm:checkout-5xx",
        at,
        reason: "Threshold Crossed: 1 datapoint [7.0] > 5.0",
      },
      `🚨 Rolled back: alarm \`checkout-5xx\` fired at ${when}: Threshold Crossed: 1 datapoint [7.0] &gt; 5.0`,
    ],
    [
      "a timed-out approval",
      "approval",
      { action: "timer", actor: "timer", at },
      `⌛ Timed out at ${when} with no decision: counted as rejected`,
    ],
    ["a bake's timer", "bake", { action: "timer", actor: "timer", at }, `⏱️ Bake finished at ${when}`],
  ])("reports %s", (_case, kind, decision, expected) => {
    // Assess
    expect(decisionLine(kind, decision)).toBe(expected);
  });
});

describe("decidedBlocks", () => {
  const decision: GateDecision = {
    action: "approve",
    actor: "slack:U024BE7LH",
    at: "2026-03-12T10:15:02.000Z",
  };

  it("keeps the summary, drops the buttons and says who decided", () => {
    // Act
    const blocks = decidedBlocks(notice, decision);

    // Assess
    expect(blocks.map((block) => block.type)).toStrictEqual([
      "header",
      "section",
      "section",
      "section",
      "context",
    ]);
    expect(blocks[3]).toStrictEqual({
      type: "section",
      text: {
        type: "mrkdwn",
        text: "✅ Approved by <@U024BE7LH> at <!date^1773310502^{date_short_pretty} at {time}|2026-03-12 10:15 UTC>",
      },
    });
    expect(buttonsOf(blocks)).toStrictEqual([]);
  });

  it("works from the notice resolve-gate builds, which lists no actions and may have no health", () => {
    // Act
    const blocks = decidedBlocks({ ...notice, actions: [], health: "" }, decision);

    // Assess
    expect(textsIn(blocks)).toContain("*Health*\n—");
  });

  it("gives a text for notifications", () => {
    // Assess
    expect(decidedText(notice, decision)).toBe(
      "checkout 1.1.0 → production, approval at 10%: ✅ Approved by <@U024BE7LH> at <!date^1773310502^{date_short_pretty} at {time}|2026-03-12 10:15 UTC>",
    );
  });
});

describe("formatting helpers", () => {
  it.each([
    ["slack:U024BE7LH", "<@U024BE7LH>"],
    ["slack:W0123ABCD", "<@W0123ABCD>"],
    ["cli:arn:aws:iam::111122223333:user/alice", "`arn:aws:iam::111122223333:user/alice` (CLI)"],
    ["local:alice", "`local:alice`"],
    ["slack:<!channel>", "`slack:&lt;!channel&gt;`"],
  ])("shows the actor %s as %s", (actor, expected) => {
    // Assess
    expect(actorMention(actor)).toBe(expected);
  });

  it.each([
    ["2026-03-26T10:10:00.000Z", expiresAt],
    ["not a date", "not a date"],
  ])("formats %s for each reader's time zone", (iso, expected) => {
    // Assess
    expect(slackDate(iso)).toBe(expected);
  });

  it("escapes &, < and >", () => {
    // Assess
    expect(escapeMrkdwn("<@U1> & <!here>")).toBe("&lt;@U1&gt; &amp; &lt;!here&gt;");
  });
});
