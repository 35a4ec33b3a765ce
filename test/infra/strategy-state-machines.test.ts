import { createRequire } from "node:module";
import { Match, Template } from "aws-cdk-lib/assertions";
import { AwsSolutionsChecks } from "cdk-nag";
import { beforeAll, describe, expect, it } from "vitest";
import { Presets } from "../../functions/domain/config/index.ts";
import { ControlPlaneStack } from "../../infra/stacks/control-plane-stack.ts";
import { type RenderedStateMachine, renderStateMachines } from "../../local/render-asl.ts";
import { tableFromTemplate } from "../../local/table-from-template.ts";
import { tableDefinition } from "../helpers/dynalite.ts";
import { listenerArn } from "../helpers/fake-aws.ts";
import { useTestApps } from "../helpers/synth.ts";
import { configWith, hookArn } from "../statemachines/harness.ts";

// asl-validator is CommonJS without type declarations.
const validateAsl = createRequire(import.meta.url)("asl-validator") as (definition: unknown) => {
  isValid: boolean;
  errors: unknown[];
};

describe("StrategyStateMachines", () => {
  const newApp = useTestApps();
  let stack: ControlPlaneStack;
  let template: Template;
  let machines: Map<string, RenderedStateMachine>;

  beforeAll(() => {
    stack = new ControlPlaneStack(newApp(), "Glidepath", {
      config: configWith(Presets.ECSCanary10Percent5Minutes),
    });
    template = Template.fromStack(stack);
    machines = renderStateMachines(template.toJSON() as never);
  });

  it.each(["all-at-once", "rolling", "blue-green", "canary", "linear"])(
    "%s: a standard state machine named for the console, logging every event with X-Ray tracing",
    (type) => {
      template.hasResourceProperties("AWS::StepFunctions::StateMachine", {
        StateMachineName: `Glidepath-${type}`,
        StateMachineType: "STANDARD",
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: Match.objectLike({ Level: "ALL", IncludeExecutionData: true }),
        Tags: Match.arrayWith([{ Key: "glidepath:strategy", Value: type }]),
      });
    },
  );

  it.each(["all-at-once", "rolling", "blue-green", "canary", "linear"])(
    "%s: asl-validator accepts the definition",
    (type) => {
      // Act
      const result = validateAsl(machines.get(type)?.definition);

      // Assess
      expect(result.errors).toEqual([]);
      expect(result.isValid).toBe(true);
    },
  );

  it("uses JSONPath only: no JSONata, no Assign, no heartbeats (the local engine has none)", () => {
    for (const machine of machines.values()) {
      const text = JSON.stringify(machine.definition);
      expect(text).not.toMatch(/"QueryLanguage":"JSONata"|"Assign"|"Heartbeat/);
    }
  });

  it("names the console states as operators read them", () => {
    // Act
    const canary = Object.keys(machines.get("canary")?.states ?? {});

    // Assess
    expect(canary).toEqual(
      expect.arrayContaining([
        "Deploy new version",
        "Shift traffic",
        "Bake",
        "Evaluate alarms",
        "Record rollback",
        "Shift traffic back",
        "Rolled back",
      ]),
    );
  });

  it("runs every step on Node 24 arm64, told its table and its step", () => {
    for (const step of ["deploy", "shift-traffic", "evaluate", "record"]) {
      template.hasResourceProperties("AWS::Lambda::Function", {
        Runtime: "nodejs24.x",
        Architectures: ["arm64"],
        Environment: { Variables: Match.objectLike({ GLIDEPATH_STEP: step, TABLE_NAME: Match.anyValue() }) },
      });
    }
  });

  it("lets shift-traffic modify only the configured listener", () => {
    template.hasResourceProperties("AWS::IAM::Policy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: "elasticloadbalancing:ModifyListener",
            Effect: "Allow",
            Resource: listenerArn,
          }),
        ]),
      },
    });
  });

  it("lets deploy update only the configured ECS services", () => {
    template.hasResourceProperties("AWS::IAM::Policy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ["ecs:DescribeServices", "ecs:UpdateService"],
            Resource: [
              Match.objectLike({ "Fn::Join": ["", Match.arrayWith([":service/shop/checkout-blue"])] }),
              Match.objectLike({ "Fn::Join": ["", Match.arrayWith([":service/shop/checkout-green"])] }),
            ],
          }),
        ]),
      },
    });
  });

  it("lets the blue-green machine invoke the configured smoke-test hook and nothing else", () => {
    template.hasResourceProperties("AWS::IAM::Policy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: "lambda:InvokeFunction", Resource: hookArn }),
        ]),
      },
    });
  });

  it("has no unacknowledged cdk-nag AwsSolutions findings", () => {
    // Act
    const { violations } = new AwsSolutionsChecks().validateScope(stack);

    // Assess
    expect(violations).toEqual([]);
  });
});

describe("tableFromTemplate", () => {
  const newApp = useTestApps();

  it("reads the same table out of the synthesized template that the store tests create", () => {
    // Prepare
    const stack = new ControlPlaneStack(newApp(), "Glidepath", { config: configWith(Presets.ECSAllAtOnce) });

    // Act
    const table = tableFromTemplate(Template.fromStack(stack).toJSON() as never, "glidepath-test");

    // Assess
    expect(table).toEqual(tableDefinition("glidepath-test"));
  });
});
