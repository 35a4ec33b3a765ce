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

  it("routes CloudWatch's real Alarm State Change event of a watched alarm going into ALARM", () => {
    // Prepare
    const stack = new Stack(newApp(), "Rules");
    const resolveGate = LambdaFunction.fromFunctionArn(
      stack,
      "ResolveGate",
      "arn:aws:lambda:eu-west-1:111122223333:function:resolve-gate",
    );

    // Act
    new GateRules(stack, "Gates", {
      bus: new EventBus(stack, "Bus"),
      resolveGate,
      alarmNames: [alarmEvent.detail.alarmName, alarmEvent.detail.alarmName],
    });

    // Assess
    const patterns = Object.values(Template.fromStack(stack).findResources("AWS::Events::Rule")).map(
      (rule) => rule.Properties.EventPattern,
    );
    expect(patterns).toContainEqual({
      source: [alarmEvent.source],
      "detail-type": [alarmEvent["detail-type"]],
      detail: { alarmName: [alarmEvent.detail.alarmName], state: { value: [alarmEvent.detail.state.value] } },
    });
  });
});
