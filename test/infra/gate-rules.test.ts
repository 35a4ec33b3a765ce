import { Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { EventBus } from "aws-cdk-lib/aws-events";
import { Function as LambdaFunction } from "aws-cdk-lib/aws-lambda";
import { describe, expect, it } from "vitest";
import { GateRules } from "../../infra/constructs/gate-rules.ts";
import alarmEvent from "../fixtures/events/alarm-state-change.json" with { type: "json" };
import { useTestApps } from "../helpers/synth.ts";

describe("GateRules", () => {
  const newApp = useTestApps();

  function rules(alarms: ConstructorParameters<typeof GateRules>[2]["alarms"]) {
    const stack = new Stack(newApp(), "Rules");
    const resolveGate = LambdaFunction.fromFunctionArn(
      stack,
      "ResolveGate",
      "arn:aws:lambda:eu-west-1:111122223333:function:resolve-gate",
    );
    const bus = new EventBus(stack, "Bus");
    new GateRules(stack, "Gates", { bus, resolveGate, alarms });
    const busId = stack.getLogicalId(bus.node.defaultChild as never);
    return Object.values(Template.fromStack(stack).findResources("AWS::Events::Rule"))
      .filter((rule) => rule.Properties.EventPattern.source[0] === "aws.cloudwatch")
      .map((rule) => ({
        onGlidepathBus: JSON.stringify(rule.Properties.EventBusName ?? null).includes(busId),
        pattern: rule.Properties.EventPattern,
      }));
  }

  it("routes CloudWatch's real Alarm State Change event of a watched alarm in the control plane's own account and region, from its default bus", () => {
    // Act
    const found = rules([
      {
        account: alarmEvent.account,
        region: alarmEvent.region,
        names: [alarmEvent.detail.alarmName],
        forwarded: false,
      },
    ]);

    // Assess
    expect(found).toEqual([
      {
        onGlidepathBus: false,
        pattern: {
          source: [alarmEvent.source],
          "detail-type": [alarmEvent["detail-type"]],
          account: [alarmEvent.account],
          region: [alarmEvent.region],
          detail: {
            alarmName: [alarmEvent.detail.alarmName],
            state: { value: [alarmEvent.detail.state.value] },
          },
        },
      },
    ]);
  });

  it("matches a target account's forwarded alarms on the Glidepath bus by their account, region and names only", () => {
    // Act
    const found = rules([
      {
        account: "444455556666",
        region: "eu-central-1",
        names: ["web-5xx", "web-p99", "web-5xx"],
        forwarded: true,
      },
      { account: "444455556666", region: "eu-west-1", names: ["web-5xx"], forwarded: true },
    ]);

    // Assess
    expect(
      found.map(({ onGlidepathBus, pattern }) => [
        onGlidepathBus,
        pattern.account,
        pattern.region,
        pattern.detail.alarmName,
      ]),
    ).toEqual([
      [true, ["444455556666"], ["eu-central-1"], ["web-5xx", "web-p99"]],
      [true, ["444455556666"], ["eu-west-1"], ["web-5xx"]],
    ]);
  });
});
