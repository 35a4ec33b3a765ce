import { describe, expect, it } from "vitest";
import {
  acceptsAction,
  type GateAction,
  type GateKind,
  gateActions,
  type HumanAction,
  isHumanAction,
  mayDecide,
} from "../../functions/domain/gates.ts";

describe("gateActions", () => {
  it.each<[GateKind, HumanAction[]]>([
    ["bake", ["promote", "pause", "abort"]],
    ["approval", ["approve", "reject", "abort"]],
    ["pause", ["resume", "promote", "abort"]],
  ])("a %s gate offers humans %j, in button order", (kind, expected) => {
    expect(gateActions({ kind })).toEqual(expected);
  });
});

describe("acceptsAction", () => {
  it.each<[GateKind, GateAction, boolean]>([
    ["bake", "promote", true],
    ["bake", "pause", true],
    ["bake", "abort", true],
    ["bake", "alarm", true],
    ["bake", "timer", true],
    ["bake", "approve", false],
    ["bake", "resume", false],
    ["approval", "approve", true],
    ["approval", "reject", true],
    ["approval", "abort", true],
    ["approval", "alarm", true],
    ["approval", "timer", true],
    ["approval", "promote", false],
    ["approval", "pause", false],
    ["pause", "resume", true],
    ["pause", "abort", true],
    ["pause", "alarm", true],
    ["pause", "timer", true],
    ["pause", "promote", true],
    ["pause", "approve", false],
  ])("a %s gate accepting %s is %s", (kind, action, expected) => {
    expect(acceptsAction({ kind }, action)).toBe(expected);
  });
});

describe("isHumanAction", () => {
  it.each<[string, boolean]>([
    ["approve", true],
    ["abort", true],
    ["alarm", false],
    ["timer", false],
    ["Approve", false],
    ["", false],
  ])("%j is a human action: %s", (action, expected) => {
    expect(isHumanAction(action)).toBe(expected);
  });
});

describe("mayDecide", () => {
  const cliAlice = "cli:arn:aws:sts::111122223333:assumed-role/Deployer/alice";
  it.each<[string, string[], string, boolean]>([
    ["lets anyone decide when the gate lists no approvers", [], "slack:U0MALLORY", true],
    ["lets a Slack user listed bare decide", ["U024BE7LH"], "slack:U024BE7LH", true],
    ["lets a Slack user listed with its channel decide", ["slack:U024BE7LH"], "slack:U024BE7LH", true],
    [
      "lets a CLI identity listed bare decide",
      ["arn:aws:sts::111122223333:assumed-role/Deployer/alice"],
      cliAlice,
      true,
    ],
    ["lets a CLI identity listed with its channel decide", [cliAlice], cliAlice, true],
    ["lets one approver among several decide", ["U061F7AUR", "U024BE7LH"], "slack:U024BE7LH", true],
    ["refuses a Slack user who is not listed", ["U024BE7LH"], "slack:U0MALLORY", false],
    ["refuses the CLI an id listed for Slack only", ["slack:alice"], "cli:alice", false],
    ["refuses Slack an id listed for the CLI only", ["cli:U024BE7LH"], "slack:U024BE7LH", false],
    ["refuses an actor of no known channel, whatever its id", ["U024BE7LH"], "local:U024BE7LH", false],
    ["refuses an id that only starts like an approver's", ["U024BE7LH"], "slack:U024BE7LHX", false],
  ])("%s", (_case, approvers, actor, expected) => {
    expect(mayDecide({ approvers }, actor)).toBe(expected);
  });
});
