import {
  type Action,
  CreateRuleCommand,
  type CreateRuleCommandInput,
  DeleteRuleCommand,
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  type ModifyListenerCommandInput,
  ModifyRuleCommand,
  type ModifyRuleCommandInput,
  type Rule,
  RuleNotFoundException,
  type Tag,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { listenerOfRule } from "../../functions/adapters/aws/arns.ts";
import { cohortTag } from "../../functions/adapters/aws/elb-cohort-rule.ts";
import { ElbTrafficRouter } from "../../functions/adapters/aws/elb-traffic-router.ts";
import { awsClientConfig } from "../../functions/adapters/aws/retry.ts";
import type { Cohort } from "../../functions/domain/config/strategy.ts";
import type { ColourWeights } from "../../functions/domain/ports/traffic-router.ts";
import "../helpers/sdk-mock.ts";

const listenerArn =
  "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/checkout-prod/50dc6c495c0c9188/f2f7dc8efc522ab2";
const splitRuleArn = `${listenerArn.replace(":listener/", ":listener-rule/")}/9683b2d02a6cabee`;
const cohortRuleArn = `${listenerArn.replace(":listener/", ":listener-rule/")}/1a2b3c4d5e6f7a8b`;
const blueTg =
  "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/checkout-blue/73e2d6bc24d8a067";
const greenTg =
  "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/checkout-green/2453ed029918f21f";
const deploymentId = "d-0123456789abcdef0123";
const headerCohort: Cohort = { priority: 5, header: { name: "X-Checkout-Arm", values: ["treatment"] } };

const forward = (blue: number, green: number): Action => ({
  Type: "forward",
  Order: 2,
  ForwardConfig: {
    TargetGroups: [
      { TargetGroupArn: blueTg, Weight: blue },
      { TargetGroupArn: greenTg, Weight: green },
    ],
    TargetGroupStickinessConfig: { Enabled: false },
  },
});

const oidc: Action = {
  Type: "authenticate-oidc",
  Order: 1,
  AuthenticateOidcConfig: {
    Issuer: "https://login.example.com",
    AuthorizationEndpoint: "https://login.example.com/oauth2/authorize",
    TokenEndpoint: "https://login.example.com/oauth2/token",
    UserInfoEndpoint: "https://login.example.com/oauth2/userinfo",
    ClientId: "glidepath-checkout",
  },
};

const client = new ElasticLoadBalancingV2Client({ region: "eu-west-1", ...awsClientConfig });
const elb = mockClient(client);

/**
 * A listener (default actions) and its rules as ELB keeps them: ModifyListener and ModifyRule replace actions,
 * CreateRule adds a rule with its tags, DeleteRule removes one.
 */
class FakeListener {
  defaultActions: Action[];
  readonly rules: Rule[] = [];
  readonly tags = new Map<string, Tag[]>();

  constructor(defaultActions: Action[], rules: { rule: Rule; tags?: Tag[] }[] = []) {
    this.defaultActions = defaultActions;
    for (const { rule, tags } of rules) {
      this.rules.push(rule);
      if (tags !== undefined && rule.RuleArn !== undefined) this.tags.set(rule.RuleArn, tags);
    }
    elb.on(DescribeListenersCommand).callsFake(() => ({
      Listeners: [{ ListenerArn: listenerArn, DefaultActions: this.defaultActions }],
    }));
    elb.on(ModifyListenerCommand).callsFake((input: ModifyListenerCommandInput) => {
      this.defaultActions = input.DefaultActions ?? [];
      return {};
    });
    elb.on(DescribeRulesCommand).callsFake((input: { RuleArns?: string[] }) => ({
      Rules:
        input.RuleArns === undefined
          ? [...this.rules, { RuleArn: "default", Priority: "default", IsDefault: true }]
          : this.rules.filter((rule) => input.RuleArns?.includes(rule.RuleArn ?? "")),
    }));
    elb.on(ModifyRuleCommand).callsFake((input: ModifyRuleCommandInput) => {
      const rule = this.rules.find((candidate) => candidate.RuleArn === input.RuleArn);
      if (rule !== undefined) rule.Actions = input.Actions ?? [];
      return {};
    });
    elb.on(DescribeTagsCommand).callsFake((input: { ResourceArns?: string[] }) => ({
      TagDescriptions: (input.ResourceArns ?? []).map((arn) => ({
        ResourceArn: arn,
        Tags: this.tags.get(arn) ?? [],
      })),
    }));
    elb.on(CreateRuleCommand).callsFake((input: CreateRuleCommandInput) => {
      this.rules.push({
        RuleArn: cohortRuleArn,
        Priority: String(input.Priority),
        Conditions: input.Conditions ?? [],
        Actions: (input.Actions ?? []).map((action) => ({
          ...action,
          ForwardConfig: { TargetGroups: [{ TargetGroupArn: action.TargetGroupArn, Weight: 1 }] },
        })),
        IsDefault: false,
      });
      this.tags.set(cohortRuleArn, input.Tags ?? []);
      return { Rules: [this.rules.at(-1)] };
    });
    elb.on(DeleteRuleCommand).callsFake((input: { RuleArn?: string }) => {
      const index = this.rules.findIndex((rule) => rule.RuleArn === input.RuleArn);
      if (index < 0)
        throw new RuleNotFoundException({ message: "One or more rules not found", $metadata: {} });
      this.rules.splice(index, 1);
      return {};
    });
  }

  forwardAction(): Action | undefined {
    return this.defaultActions.find((action) => action.Type === "forward");
  }
}

const router = (props: { cohort?: Cohort | null; stickySeconds?: number; listenerRuleArn?: string } = {}) =>
  new ElbTrafficRouter({
    client,
    ...(props.listenerRuleArn === undefined ? { listenerArn } : { listenerRuleArn: props.listenerRuleArn }),
    targetGroups: { blue: blueTg, green: greenTg },
    experimentRouting: { stickySeconds: props.stickySeconds ?? 3_600, cohort: props.cohort ?? null },
    deploymentId,
  });

const greenAt = (percent: number): ColourWeights => ({ blue: 100 - percent, green: percent });

/** The order of the commands that changed something. */
const writes = () =>
  elb
    .calls()
    .map((call) => call.args[0].constructor.name)
    .filter((name) => /^(Modify|Create|Delete)/.test(name));

beforeEach(() => {
  elb.reset();
});

describe("ElbTrafficRouter with an experiment's routing", () => {
  it("turns on target-group stickiness for stickySeconds when the arms split, keeping the other actions", async () => {
    // Prepare
    new FakeListener([oidc, forward(100, 0)]);

    // Act
    const result = await router({ stickySeconds: 86_400 }).setWeights(greenAt(50), { newColour: "green" });

    // Assess
    expect(result).toEqual({ changed: true, weights: { blue: 50, green: 50 }, settled: true });
    expect(elb).toHaveReceivedCommandExactlyOnceWith(ModifyListenerCommand, {
      ListenerArn: listenerArn,
      DefaultActions: [
        oidc,
        {
          Type: "forward",
          Order: 2,
          ForwardConfig: {
            TargetGroups: [
              { TargetGroupArn: blueTg, Weight: 50 },
              { TargetGroupArn: greenTg, Weight: 50 },
            ],
            TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 86_400 },
          },
        },
      ],
    });
  });

  it.each<[string, number, string]>([
    ["a promotion to 100%", 100, greenTg],
    ["a rollback to 0%", 0, blueTg],
  ])(
    "at %s forwards only to the group that takes everything, so no sticky client reaches the other",
    async (_label, percent, only) => {
      // Prepare
      const listener = new FakeListener([oidc, forward(50, 50)]);
      const sticky = listener.forwardAction();
      if (sticky?.ForwardConfig !== undefined) {
        sticky.ForwardConfig.TargetGroupStickinessConfig = { Enabled: true, DurationSeconds: 3_600 };
      }

      // Act
      const result = await router().setWeights(greenAt(percent), { newColour: "green" });

      // Assess
      expect(result.weights).toEqual(greenAt(percent));
      expect(elb).toHaveReceivedCommandExactlyOnceWith(ModifyListenerCommand, {
        ListenerArn: listenerArn,
        DefaultActions: [
          oidc,
          {
            Type: "forward",
            Order: 2,
            ForwardConfig: { TargetGroups: [{ TargetGroupArn: only, Weight: 100 }] },
          },
        ],
      });
    },
  );

  it("changes nothing when a redelivered split finds the listener sticky at those weights", async () => {
    // Prepare
    new FakeListener([oidc, forward(100, 0)]);
    await router().setWeights(greenAt(50), { newColour: "green" });
    elb.resetHistory();

    // Act
    const result = await router().setWeights(greenAt(50), { newColour: "green" });

    // Assess
    expect(result.changed).toBe(false);
    expect(elb).not.toHaveReceivedCommand(ModifyListenerCommand);
  });

  it("rewrites a listener already at the split's weights but not sticky", async () => {
    // Prepare
    new FakeListener([oidc, forward(50, 50)]);

    // Act
    const result = await router().setWeights(greenAt(50), { newColour: "green" });

    // Assess
    expect(result.changed).toBe(true);
    expect(elb).toHaveReceivedCommandTimes(ModifyListenerCommand, 1);
  });

  describe("the cohort rule", () => {
    it("is created when the arms split: the cohort's header, forwarded to the new colour, tagged", async () => {
      // Prepare
      new FakeListener([oidc, forward(100, 0)]);

      // Act
      await router({ cohort: headerCohort }).setWeights(greenAt(20), { newColour: "green" });

      // Assess
      expect(elb).toHaveReceivedCommandWith(DescribeRulesCommand, { ListenerArn: listenerArn });
      expect(elb).toHaveReceivedCommandExactlyOnceWith(CreateRuleCommand, {
        ListenerArn: listenerArn,
        Priority: 5,
        Conditions: [
          {
            Field: "http-header",
            HttpHeaderConfig: { HttpHeaderName: "X-Checkout-Arm", Values: ["treatment"] },
          },
        ],
        Actions: [{ Type: "forward", TargetGroupArn: greenTg }],
        Tags: [{ Key: cohortTag, Value: deploymentId }],
      });
      expect(writes()).toEqual(["ModifyListenerCommand", "CreateRuleCommand"]);
    });

    it("sends the cohort to the new colour when that is blue, even at an even split", async () => {
      // Prepare
      new FakeListener([oidc, forward(0, 100)]);

      // Act
      await router({ cohort: headerCohort }).setWeights({ blue: 50, green: 50 }, { newColour: "blue" });

      // Assess
      expect(elb).toHaveReceivedCommandWith(CreateRuleCommand, {
        Actions: [{ Type: "forward", TargetGroupArn: blueTg }],
      });
    });

    it("matches a cookie as a wildcard on the Cookie header", async () => {
      // Prepare
      new FakeListener([oidc, forward(100, 0)]);
      const cohort: Cohort = { priority: 7, cookie: { name: "arm", value: "treatment" } };

      // Act
      await router({ cohort }).setWeights(greenAt(50), { newColour: "green" });

      // Assess
      expect(elb).toHaveReceivedCommandWith(CreateRuleCommand, {
        Priority: 7,
        Conditions: [
          {
            Field: "http-header",
            HttpHeaderConfig: { HttpHeaderName: "Cookie", Values: ["*arm=treatment*"] },
          },
        ],
      });
    });

    it("is created once when the split is delivered twice", async () => {
      // Prepare
      new FakeListener([oidc, forward(100, 0)]);

      // Act
      await router({ cohort: headerCohort }).setWeights(greenAt(50), { newColour: "green" });
      await router({ cohort: headerCohort }).setWeights(greenAt(50), { newColour: "green" });

      // Assess
      expect(elb).toHaveReceivedCommandTimes(CreateRuleCommand, 1);
      expect(elb).not.toHaveReceivedCommand(DeleteRuleCommand);
      expect(elb).toHaveReceivedCommandWith(DescribeTagsCommand, { ResourceArns: [cohortRuleArn] });
    });

    it.each<[string, number]>([
      ["a rollback", 0],
      ["a promotion", 100],
    ])("is deleted at %s, before the weights move", async (_label, percent) => {
      // Prepare
      const listener = new FakeListener([oidc, forward(100, 0)]);
      await router({ cohort: headerCohort }).setWeights(greenAt(50), { newColour: "green" });
      elb.resetHistory();

      // Act
      await router({ cohort: headerCohort }).setWeights(greenAt(percent), { newColour: "green" });

      // Assess
      expect(elb).toHaveReceivedCommandExactlyOnceWith(DeleteRuleCommand, { RuleArn: cohortRuleArn });
      expect(writes()).toEqual(["DeleteRuleCommand", "ModifyListenerCommand"]);
      expect(listener.rules).toEqual([]);
    });

    it("deletes nothing at the end when there is no cohort rule, or another attempt deleted it", async () => {
      // Prepare
      new FakeListener([oidc, forward(50, 50)]);

      // Act
      await router({ cohort: headerCohort }).setWeights(greenAt(0), { newColour: "green" });

      // Assess
      expect(elb).not.toHaveReceivedCommand(DeleteRuleCommand);
    });

    it("tolerates a cohort rule deleted between the read and the delete", async () => {
      // Prepare
      const listener = new FakeListener([oidc, forward(100, 0)]);
      await router({ cohort: headerCohort }).setWeights(greenAt(50), { newColour: "green" });
      elb.on(DescribeTagsCommand).callsFake(() => {
        listener.rules.splice(0, listener.rules.length);
        return {
          TagDescriptions: [{ ResourceArn: cohortRuleArn, Tags: [{ Key: cohortTag, Value: deploymentId }] }],
        };
      });

      // Act
      const result = await router({ cohort: headerCohort }).setWeights(greenAt(0), { newColour: "green" });

      // Assess
      expect(result.weights).toEqual(greenAt(0));
      expect(elb).toHaveReceivedCommandTimes(DeleteRuleCommand, 1);
    });

    it("replaces a cohort rule that an earlier deployment left behind", async () => {
      // Prepare
      const stale: Rule = {
        RuleArn: `${cohortRuleArn}-old`,
        Priority: "5",
        Conditions: [],
        Actions: [{ Type: "forward", TargetGroupArn: blueTg }],
      };
      new FakeListener(
        [oidc, forward(100, 0)],
        [{ rule: stale, tags: [{ Key: cohortTag, Value: "d-earlier" }] }],
      );

      // Act
      await router({ cohort: headerCohort }).setWeights(greenAt(50), { newColour: "green" });

      // Assess
      expect(elb).toHaveReceivedCommandExactlyOnceWith(DeleteRuleCommand, {
        RuleArn: `${cohortRuleArn}-old`,
      });
      expect(elb).toHaveReceivedCommandTimes(CreateRuleCommand, 1);
    });

    it("refuses a priority held by a rule Glidepath did not create, and touches no rule", async () => {
      // Prepare
      const theirs: Rule = { RuleArn: splitRuleArn, Priority: "5", Conditions: [], Actions: [] };
      new FakeListener([oidc, forward(100, 0)], [{ rule: theirs, tags: [{ Key: "team", Value: "shop" }] }]);

      // Act
      const split = router({ cohort: headerCohort }).setWeights(greenAt(50), { newColour: "green" });

      // Assess
      await expect(split).rejects.toThrow(
        `cohort.priority 5 on listener ${listenerArn} is taken by rule ${splitRuleArn}, which Glidepath did not create`,
      );
      expect(elb).not.toHaveReceivedCommand(CreateRuleCommand);
      expect(elb).not.toHaveReceivedCommand(DeleteRuleCommand);
    });

    describe("on a target that splits through a listener rule", () => {
      const splitRule = (priority: string): Rule => ({
        RuleArn: splitRuleArn,
        Priority: priority,
        Conditions: [
          {
            Field: "host-header",
            Values: ["shop.example.com"],
            HostHeaderConfig: { Values: ["shop.example.com"] },
          },
        ],
        Actions: [forward(100, 0)],
        IsDefault: false,
      });

      it("goes on that rule's listener with its conditions, written as CreateRule takes them", async () => {
        // Prepare
        new FakeListener([], [{ rule: splitRule("20") }]);

        // Act
        await router({ cohort: headerCohort, listenerRuleArn: splitRuleArn }).setWeights(greenAt(50), {
          newColour: "green",
        });

        // Assess
        expect(elb).toHaveReceivedCommandExactlyOnceWith(CreateRuleCommand, {
          ListenerArn: listenerArn,
          Priority: 5,
          Conditions: [
            { Field: "host-header", HostHeaderConfig: { Values: ["shop.example.com"] } },
            {
              Field: "http-header",
              HttpHeaderConfig: { HttpHeaderName: "X-Checkout-Arm", Values: ["treatment"] },
            },
          ],
          Actions: [{ Type: "forward", TargetGroupArn: greenTg }],
          Tags: [{ Key: cohortTag, Value: deploymentId }],
        });
      });

      it("refuses a cohort priority that comes after the rule, which the cohort would never reach", async () => {
        // Prepare
        new FakeListener([], [{ rule: splitRule("3") }]);

        // Act
        const split = router({ cohort: headerCohort, listenerRuleArn: splitRuleArn }).setWeights(
          greenAt(50),
          {
            newColour: "green",
          },
        );

        // Assess
        await expect(split).rejects.toThrow(
          `cohort.priority 5 comes after listener rule ${splitRuleArn} (priority 3), so the cohort would never match: choose a priority below 3.`,
        );
        expect(elb).not.toHaveReceivedCommand(CreateRuleCommand);
      });
    });
  });

  it("finds a listener rule's listener in its ARN", () => {
    // Act
    const listener = listenerOfRule(splitRuleArn);

    // Assess
    expect(listener).toBe(listenerArn);
  });
});
