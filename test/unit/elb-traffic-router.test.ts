import {
  type Action,
  DescribeListenersCommand,
  type DescribeListenersCommandOutput,
  DescribeRulesCommand,
  type DescribeRulesCommandOutput,
  ElasticLoadBalancingV2Client,
  ElasticLoadBalancingV2ServiceException,
  type Listener,
  ModifyListenerCommand,
  type ModifyListenerCommandInput,
  ModifyRuleCommand,
  type ModifyRuleCommandInput,
  type Rule,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { ElbTrafficRouter } from "../../functions/adapters/aws/elb-traffic-router.ts";
import { awsClientConfig } from "../../functions/adapters/aws/retry.ts";
import { ErrorNames, ShiftFailedError } from "../../functions/domain/errors.ts";
import type { ColourWeights } from "../../functions/domain/ports/traffic-router.ts";
import { serviceError } from "../helpers/sdk-mock.ts";

const listenerArn =
  "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/checkout-prod/50dc6c495c0c9188/f2f7dc8efc522ab2";
const ruleArn =
  "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/checkout-prod/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee";
const blueTg =
  "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/checkout-blue/73e2d6bc24d8a067";
const greenTg =
  "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/checkout-green/2453ed029918f21f";
const otherTg =
  "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/checkout-legacy/9f8e7d6c5b4a3f21";

const oidc: Action = {
  Type: "authenticate-oidc",
  Order: 1,
  AuthenticateOidcConfig: {
    Issuer: "https://login.example.com",
    AuthorizationEndpoint: "https://login.example.com/oauth2/authorize",
    TokenEndpoint: "https://login.example.com/oauth2/token",
    UserInfoEndpoint: "https://login.example.com/oauth2/userinfo",
    ClientId: "glidepath-checkout",
    SessionCookieName: "AWSELBAuthSessionCookie",
    Scope: "openid",
    SessionTimeout: 604800,
    OnUnauthenticatedRequest: "authenticate",
  },
};

const stickiness = { Enabled: true, DurationSeconds: 3600 };

function weightedForward(blue: number, green: number, order = 2): Action {
  return {
    Type: "forward",
    Order: order,
    ForwardConfig: {
      TargetGroups: [
        { TargetGroupArn: blueTg, Weight: blue },
        { TargetGroupArn: greenTg, Weight: green },
      ],
      TargetGroupStickinessConfig: stickiness,
    },
  };
}

/** What DescribeListeners returns for an HTTPS listener behind an OIDC login. */
function listener(defaultActions: Action[]): Listener {
  return {
    ListenerArn: listenerArn,
    LoadBalancerArn:
      "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/checkout-prod/50dc6c495c0c9188",
    Port: 443,
    Protocol: "HTTPS",
    Certificates: [
      {
        CertificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/3d1c5b0e-8f5a-4c1e-9d2b-7a6f5e4d3c2b",
      },
    ],
    SslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
    DefaultActions: defaultActions,
  };
}

function rule(actions: Action[]): Rule {
  return {
    RuleArn: ruleArn,
    Priority: "10",
    Conditions: [
      { Field: "path-pattern", Values: ["/checkout/*"], PathPatternConfig: { Values: ["/checkout/*"] } },
    ],
    Actions: actions,
    IsDefault: false,
  };
}

const listenerOutput = (actions: Action[]): DescribeListenersCommandOutput => ({
  $metadata: { httpStatusCode: 200 },
  Listeners: [listener(actions)],
});

const rulesOutput = (actions: Action[]): DescribeRulesCommandOutput => ({
  $metadata: { httpStatusCode: 200 },
  Rules: [rule(actions)],
});

const client = new ElasticLoadBalancingV2Client({ region: "eu-west-1", ...awsClientConfig });
const elb = mockClient(client);

/** A listener that keeps the actions it was last given, like ELB does. */
function fakeListener(initial: Action[]): void {
  let actions = initial;
  elb.on(DescribeListenersCommand).callsFake(() => listenerOutput(actions));
  elb.on(ModifyListenerCommand).callsFake((input: ModifyListenerCommandInput) => {
    actions = input.DefaultActions ?? [];
    return { Listeners: [listener(actions)] };
  });
}

function fakeRule(initial: Action[]): void {
  let actions = initial;
  elb.on(DescribeRulesCommand).callsFake(() => rulesOutput(actions));
  elb.on(ModifyRuleCommand).callsFake((input: ModifyRuleCommandInput) => {
    actions = input.Actions ?? [];
    return { Rules: [rule(actions)] };
  });
}

const listenerRouter = () =>
  new ElbTrafficRouter({
    client,
    listenerArn,
    targetGroups: { blue: blueTg, green: greenTg },
  });
const ruleRouter = () =>
  new ElbTrafficRouter({
    client,
    listenerRuleArn: ruleArn,
    targetGroups: { blue: blueTg, green: greenTg },
  });

beforeEach(() => {
  elb.reset();
});

describe("ElbTrafficRouter", () => {
  it.each([
    ["neither", {}],
    ["both", { listenerArn, listenerRuleArn: ruleArn }],
  ])("needs exactly one of listenerArn and listenerRuleArn (%s given)", (_label, arns) => {
    // Act
    const create = () =>
      new ElbTrafficRouter({ client, targetGroups: { blue: blueTg, green: greenTg }, ...arns });

    // Assess
    expect(create).toThrow("exactly one of listenerArn and listenerRuleArn");
  });

  describe("readWeights", () => {
    it.each<[string, Action, ColourWeights]>([
      ["90:10 weights", weightedForward(90, 10), { blue: 90, green: 10 }],
      ["relative weights 1:9", weightedForward(1, 9), { blue: 10, green: 90 }],
      ["relative weights 1:2, rounded", weightedForward(1, 2), { blue: 33, green: 67 }],
      ["a zero weight", weightedForward(0, 100), { blue: 0, green: 100 }],
      [
        "a plain TargetGroupArn and no ForwardConfig",
        { Type: "forward", Order: 2, TargetGroupArn: greenTg },
        { blue: 0, green: 100 },
      ],
      [
        "a single group as ELB reports it (TargetGroupArn and a one-group ForwardConfig)",
        {
          Type: "forward",
          TargetGroupArn: blueTg,
          ForwardConfig: {
            TargetGroups: [{ TargetGroupArn: blueTg, Weight: 1 }],
            TargetGroupStickinessConfig: { Enabled: false },
          },
        },
        { blue: 100, green: 0 },
      ],
    ])("reads a listener's forward action with %s", async (_label, forward, expected) => {
      // Prepare
      fakeListener([oidc, forward]);

      // Act
      const weights = await listenerRouter().readWeights();

      // Assess
      expect(weights).toEqual(expected);
      expect(elb).toHaveReceivedCommandExactlyOnceWith(DescribeListenersCommand, {
        ListenerArns: [listenerArn],
      });
    });

    it("reads a listener rule's actions", async () => {
      // Prepare
      fakeRule([weightedForward(75, 25, 1)]);

      // Act
      const weights = await ruleRouter().readWeights();

      // Assess
      expect(weights).toEqual({ blue: 75, green: 25 });
      expect(elb).toHaveReceivedCommandExactlyOnceWith(DescribeRulesCommand, { RuleArns: [ruleArn] });
      expect(elb).toHaveReceivedCommandTimes(DescribeListenersCommand, 0);
    });

    it("refuses a forward action to a target group that is neither blue nor green", async () => {
      // Prepare
      fakeListener([
        {
          Type: "forward",
          ForwardConfig: {
            TargetGroups: [
              { TargetGroupArn: blueTg, Weight: 80 },
              { TargetGroupArn: otherTg, Weight: 20 },
            ],
          },
        },
      ]);

      // Act
      const read = listenerRouter().readWeights();

      // Assess
      await expect(read).rejects.toThrow(
        `listener ${listenerArn} forwards to target group ${otherTg}, which is neither the blue (${blueTg}) nor the green (${greenTg}) target group`,
      );
    });

    it("refuses a listener without a forward action", async () => {
      // Prepare
      fakeListener([
        {
          Type: "redirect",
          RedirectConfig: {
            Protocol: "HTTPS",
            Port: "443",
            Host: "#{host}",
            Path: "/#{path}",
            StatusCode: "HTTP_301",
          },
        },
      ]);

      // Act
      const read = listenerRouter().readWeights();

      // Assess
      await expect(read).rejects.toThrow(
        "must have exactly one forward action to shift traffic, but its actions are: redirect",
      );
    });

    it("throws a ListenerNotFound error as the SDK reports it", async () => {
      // Prepare
      elb
        .on(DescribeListenersCommand)
        .rejects(
          serviceError(
            ElasticLoadBalancingV2ServiceException,
            "ListenerNotFound",
            400,
            "One or more listeners not found",
          ),
        );

      // Act
      const read = listenerRouter().readWeights();

      // Assess
      await expect(read).rejects.toThrow("One or more listeners not found");
      expect(elb).toHaveReceivedCommandTimes(DescribeListenersCommand, 1);
    });
  });

  describe("setWeights", () => {
    it("rewrites the listener's forward weights, keeping stickiness and every other action", async () => {
      // Prepare
      fakeListener([oidc, weightedForward(100, 0)]);

      // Act
      const result = await listenerRouter().setWeights({ blue: 90, green: 10 });

      // Assess
      expect(result).toEqual({ changed: true, weights: { blue: 90, green: 10 }, settled: true });
      expect(elb).toHaveReceivedCommandTimes(ModifyListenerCommand, 1);
      expect(elb.commandCalls(ModifyListenerCommand)[0]?.args[0].input).toStrictEqual({
        ListenerArn: listenerArn,
        DefaultActions: [
          oidc,
          {
            Type: "forward",
            Order: 2,
            ForwardConfig: {
              TargetGroups: [
                { TargetGroupArn: blueTg, Weight: 90 },
                { TargetGroupArn: greenTg, Weight: 10 },
              ],
              TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 3600 },
            },
          },
        ],
      });
      expect(elb).toHaveReceivedCommandTimes(DescribeListenersCommand, 2);
    });

    it("rewrites a listener rule's forward weights with ModifyRule, without touching its conditions", async () => {
      // Prepare
      const cognito: Action = {
        Type: "authenticate-cognito",
        Order: 1,
        AuthenticateCognitoConfig: {
          UserPoolArn: "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_aBcDeFgHi",
          UserPoolClientId: "4l2k3j4h5g6f7d8s9a0p1o2i3u",
          UserPoolDomain: "checkout-auth",
          OnUnauthenticatedRequest: "deny",
        },
      };
      fakeRule([cognito, weightedForward(90, 10)]);

      // Act
      const result = await ruleRouter().setWeights({ blue: 50, green: 50 });

      // Assess
      expect(result).toEqual({ changed: true, weights: { blue: 50, green: 50 }, settled: true });
      expect(elb.commandCalls(ModifyRuleCommand).map((call) => call.args[0].input)).toStrictEqual([
        {
          RuleArn: ruleArn,
          Actions: [
            cognito,
            {
              Type: "forward",
              Order: 2,
              ForwardConfig: {
                TargetGroups: [
                  { TargetGroupArn: blueTg, Weight: 50 },
                  { TargetGroupArn: greenTg, Weight: 50 },
                ],
                TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 3600 },
              },
            },
          ],
        },
      ]);
      expect(elb).toHaveReceivedCommandTimes(ModifyListenerCommand, 0);
    });

    it("turns a single-group forward into a weighted one, dropping TargetGroupArn as ELB requires", async () => {
      // Prepare
      fakeListener([{ Type: "forward", Order: 1, TargetGroupArn: blueTg }]);

      // Act
      await listenerRouter().setWeights({ blue: 90, green: 10 });

      // Assess
      expect(elb.commandCalls(ModifyListenerCommand)[0]?.args[0].input).toStrictEqual({
        ListenerArn: listenerArn,
        DefaultActions: [
          {
            Type: "forward",
            Order: 1,
            ForwardConfig: {
              TargetGroups: [
                { TargetGroupArn: blueTg, Weight: 90 },
                { TargetGroupArn: greenTg, Weight: 10 },
              ],
            },
          },
        ],
      });
    });

    it.each<[string, Action]>([
      ["the same weights", weightedForward(10, 90)],
      ["proportional weights (1:9)", weightedForward(1, 9)],
    ])("writes nothing when the listener already has %s", async (_label, forward) => {
      // Prepare
      fakeListener([oidc, forward]);

      // Act
      const result = await listenerRouter().setWeights({ blue: 10, green: 90 });

      // Assess
      expect(result).toEqual({ changed: false, weights: { blue: 10, green: 90 }, settled: true });
      expect(elb).toHaveReceivedCommandTimes(ModifyListenerCommand, 0);
      expect(elb).toHaveReceivedCommandTimes(DescribeListenersCommand, 1);
    });

    it("throws ShiftFailedError when the weights read back are not the requested ones", async () => {
      // Prepare
      elb
        .on(DescribeListenersCommand)
        .resolvesOnce(listenerOutput([oidc, weightedForward(100, 0)]))
        .resolves(listenerOutput([oidc, weightedForward(75, 25)]));
      elb.on(ModifyListenerCommand).resolves({});

      // Act
      const shift = listenerRouter().setWeights({ blue: 90, green: 10 });

      // Assess
      const error = await shift.catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ShiftFailedError);
      expect(error).toMatchObject({
        name: ErrorNames.ShiftFailed,
        router: `listener ${listenerArn}`,
        requested: { blue: 90, green: 10 },
        observed: { blue: 75, green: 25 },
      });
      expect((error as Error).message).toContain(
        "to blue 90% / green 10% did not take: it reports blue 75% / green 25%",
      );
    });

    it.each<[string, ColourWeights]>([
      ["not adding up to 100", { blue: 50, green: 40 }],
      ["fractional", { blue: 10.5, green: 89.5 }],
      ["negative", { blue: -10, green: 110 }],
      ["not a number", { blue: Number.NaN, green: 100 }],
    ])("rejects weights %s before calling ELB", async (_label, weights) => {
      // Act
      const shift = listenerRouter().setWeights(weights);

      // Assess
      await expect(shift).rejects.toThrow(RangeError);
      expect(elb).not.toHaveReceivedAnyCommand();
    });

    it("throws a ValidationError from ModifyListener at once", async () => {
      // Prepare
      elb.on(DescribeListenersCommand).resolves(listenerOutput([weightedForward(100, 0)]));
      elb
        .on(ModifyListenerCommand)
        .rejects(
          serviceError(
            ElasticLoadBalancingV2ServiceException,
            "ValidationError",
            400,
            "Target group weights must be between 0 and 999",
          ),
        );

      // Act
      const shift = listenerRouter().setWeights({ blue: 50, green: 50 });

      // Assess
      await expect(shift).rejects.toMatchObject({ name: "ValidationError" });
      expect(elb).toHaveReceivedCommandTimes(ModifyListenerCommand, 1);
    });
  });
});
