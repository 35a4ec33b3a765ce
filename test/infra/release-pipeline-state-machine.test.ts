import { Match, Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../functions/domain/config/index.ts";
import { ControlPlaneStack } from "../../infra/stacks/control-plane-stack.ts";
import { type RenderedStateMachine, renderStateMachines } from "../../local/render-asl.ts";
import {
  findState,
  invokedBesides,
  roleStatements,
  type Statement,
  stackArn,
  useTestApps,
  validateAsl,
} from "../helpers/synth.ts";

const migrate = "arn:aws:lambda:eu-west-1:123456789012:function:migrate";

const strategies = ["all-at-once", "rolling", "blue-green", "canary", "linear", "feature-flag", "experiment"];

describe("the release pipeline state machine", () => {
  const newApp = useTestApps();
  let template: Template;
  let machine: RenderedStateMachine | undefined;
  let statements: Statement[];
  let stack: ControlPlaneStack;

  beforeAll(() => {
    const config = parseConfig({
      services: ["orders", "payments"].map((name) => ({
        name,
        artifact: { type: "custom", source: "ci.shop" },
        target: { type: "local" },
        dependsOn: name === "orders" ? ["payments"] : [],
        environments: [
          {
            name: "staging",
            account: "123456789012",
            region: "eu-west-1",
            strategy: "ECSAllAtOnce",
            ...(name === "payments"
              ? { hooks: { preDeploy: [{ name: "migrate", function: migrate }] } }
              : {}),
          },
        ],
      })),
    });
    stack = new ControlPlaneStack(newApp(), "Glidepath", { config });
    template = Template.fromStack(stack);
    machine = renderStateMachines(template.toJSON() as never).get("release");
    statements = roleStatements(template, stack.strategies.releasePipeline.role);
  });

  it("is a standard state machine named Glidepath-release, tagged release, logging every event with X-Ray tracing", () => {
    template.hasResourceProperties("AWS::StepFunctions::StateMachine", {
      StateMachineName: "Glidepath-release",
      StateMachineType: "STANDARD",
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: "ALL", IncludeExecutionData: true }),
      Tags: Match.arrayWith([{ Key: "glidepath:strategy", Value: "release" }]),
    });
  });

  it("asl-validator accepts the definition", () => {
    // Act
    const result = validateAsl(machine?.definition);

    // Assess
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  it.each([
    ["Run service strategy", "$.wave"],
    ["Run restore", "$.wave.restore"],
  ])(
    "%s runs the wave at %s as a nested execution that the console links to the release, ending its iteration",
    (name, wave) => {
      // Act
      const state = findState(machine?.definition, name);

      // Assess
      expect(state).toEqual({
        QueryLanguage: "JSONPath",
        Type: "Task",
        Resource: "arn:aws:states:::states:startExecution.sync:2",
        Parameters: {
          "StateMachineArn.$": `States.Format('arn:aws:states:local-1:000000000000:stateMachine:Glidepath-{}', ${wave}.request.strategy)`,
          "Name.$": `${wave}.executionName`,
          "Input.$": `States.JsonMerge(${wave}.request, $.startedBy, false)`,
        },
        ResultPath: null,
        TimeoutSeconds: 14 * 86_400,
        End: true,
      });
    },
  );

  it("deploys a group's services side by side and the groups, environments and waves one at a time", () => {
    // Act
    const concurrency = Object.fromEntries(
      [
        "Release through environments",
        "Deploy dependency groups",
        "Deploy group services",
        "Deploy service waves",
        "Roll back released services",
        "Restore region waves",
      ].map((name) => [
        name,
        (findState(machine?.definition, name) as { MaxConcurrency?: number }).MaxConcurrency,
      ]),
    );

    // Assess
    expect(concurrency).toEqual({
      "Release through environments": 1,
      "Deploy dependency groups": 1,
      "Deploy group services": undefined,
      "Deploy service waves": 1,
      "Roll back released services": 1,
      "Restore region waves": 1,
    });
  });

  it("may start the seven strategy machines, watch and stop their executions, and invoke its own steps and the configured hooks only", () => {
    // Act
    const byAction = (action: string) =>
      statements
        .filter((statement) => [statement.Action].flat().includes(action))
        .map((statement) => statement.Resource);
    const { release, openGate, resolveGate } = stack.strategies.functions;

    // Assess
    expect(byAction("states:StartExecution")).toEqual([
      ["AllAtOnce", "Rolling", "BlueGreen", "Canary", "Linear", "FeatureFlag", "Experiment"].map((id) => ({
        Ref: expect.stringMatching(new RegExp(`^Strategies${id}[0-9A-F]{8}$`)),
      })),
    ]);
    const executions = strategies.map((type) => stackArn("states", `execution:Glidepath-${type}:*`));
    expect(byAction("states:DescribeExecution")).toEqual([executions]);
    expect(byAction("states:StopExecution")).toEqual([executions]);
    expect(
      invokedBesides(
        statements,
        [release, openGate, resolveGate].map(({ fn }) => fn),
      ),
    ).toEqual([migrate]);
  });

  it("gives every state a name that reads well in the console: no CDK ids", () => {
    // Act
    const names = Object.keys(machine?.states ?? {});

    // Assess
    expect(names).toEqual(
      expect.arrayContaining([
        "Take release locks",
        "Wait for release locks",
        "Start release",
        "Release through environments",
        "Enter release environment",
        "Approve release",
        "Check release freeze windows",
        "Deploy dependency groups",
        "Deploy group services",
        "Run service strategy",
        "Check dependency group",
        "Record release environment failure",
        "Roll back released services",
        "Run restore",
        "Finish release",
        "Stop release",
      ]),
    );
    expect(names.filter((name) => /[A-Z][a-z]+[A-Z]|[0-9A-F]{8}/.test(name))).toEqual([]);
  });
});
