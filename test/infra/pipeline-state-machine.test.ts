import { Match, Template } from "aws-cdk-lib/assertions";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
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
const verify = "arn:aws:lambda:eu-west-1:123456789012:function:verify";

describe("the pipeline state machine", () => {
  const newApp = useTestApps();
  let template: Template;
  let pipeline: RenderedStateMachine | undefined;
  let statements: Statement[];
  let steps: IFunction[];

  beforeAll(() => {
    const config = parseConfig({
      services: [
        {
          name: "api",
          artifact: { type: "custom", source: "ci.example" },
          target: { type: "local" },
          environments: [
            {
              name: "staging",
              account: "123456789012",
              region: "eu-west-1",
              strategy: "ECSAllAtOnce",
              hooks: {
                preDeploy: [{ name: "migrate", function: migrate }],
                postDeploy: [{ name: "verify", function: verify }],
              },
            },
          ],
        },
      ],
    });
    const stack = new ControlPlaneStack(newApp(), "Glidepath", { config });
    template = Template.fromStack(stack);
    pipeline = renderStateMachines(template.toJSON() as never).get("pipeline");
    statements = roleStatements(template, stack.strategies.pipeline.role);
    const { promote, openGate, resolveGate } = stack.strategies.functions;
    steps = [promote, openGate, resolveGate].map(({ fn }) => fn);
  });

  it("is a standard state machine named Glidepath-pipeline, logging every event with X-Ray tracing", () => {
    template.hasResourceProperties("AWS::StepFunctions::StateMachine", {
      StateMachineName: "Glidepath-pipeline",
      StateMachineType: "STANDARD",
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: "ALL", IncludeExecutionData: true }),
      Tags: Match.arrayWith([{ Key: "glidepath:strategy", Value: "pipeline" }]),
    });
  });

  it("asl-validator accepts the definition", () => {
    // Act
    const result = validateAsl(pipeline?.definition);

    // Assess
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  it("runs each strategy as a nested execution that the console links to the pipeline, then records the wave", () => {
    // Act
    const state = findState(pipeline?.definition, "Run strategy");

    // Assess
    expect(state).toEqual({
      QueryLanguage: "JSONPath",
      Type: "Task",
      Resource: "arn:aws:states:::states:startExecution.sync:2",
      Parameters: {
        "StateMachineArn.$":
          "States.Format('arn:aws:states:local-1:000000000000:stateMachine:Glidepath-{}', $.wave.request.strategy)",
        "Name.$": "$.wave.executionName",
        "Input.$": "States.JsonMerge($.wave.request, $.startedBy, false)",
      },
      ResultPath: null,
      TimeoutSeconds: 14 * 86_400,
      Next: "Record wave",
    });
  });

  it("may start the seven strategy machines, watch and stop their executions, and invoke the configured hooks only", () => {
    // Act
    const byAction = (action: string) =>
      statements
        .filter((statement) => [statement.Action].flat().includes(action))
        .map((statement) => statement.Resource);

    // Assess
    expect(byAction("states:StartExecution")).toEqual([
      ["AllAtOnce", "Rolling", "BlueGreen", "Canary", "Linear", "FeatureFlag", "Experiment"].map((id) => ({
        Ref: expect.stringMatching(new RegExp(`^Strategies${id}[0-9A-F]{8}$`)),
      })),
    ]);
    const executions = [
      "all-at-once",
      "rolling",
      "blue-green",
      "canary",
      "linear",
      "feature-flag",
      "experiment",
    ].map((type) => stackArn("states", `execution:Glidepath-${type}:*`));
    expect(byAction("states:DescribeExecution")).toEqual([executions]);
    expect(byAction("states:StopExecution")).toEqual([executions]);
    expect(JSON.stringify(byAction("events:PutRule"))).toContain(
      "rule/StepFunctionsGetEventsForStepFunctionsExecutionRule",
    );
    expect(invokedBesides(statements, steps)).toEqual([migrate, verify]);
  });

  it("gives every state a name that reads well in the console: no CDK ids", () => {
    // Act
    const names = Object.keys(pipeline?.states ?? {});

    // Assess
    expect(names).toEqual(
      expect.arrayContaining([
        "Start promotion",
        "Promote through environments",
        "Enter environment",
        "Approve promotion",
        "Check freeze windows",
        "Wait for the freeze to end",
        "Run pre-deploy hooks",
        "Deploy region waves",
        "Bake between waves",
        "Run strategy",
        "Run post-deploy hooks",
        "Record environment failure",
        "Undo pre-deploy hooks",
        "Finish promotion",
        "Stop promotion",
      ]),
    );
    expect(names.filter((name) => /[A-Z][a-z]+[A-Z]|[0-9A-F]{8}/.test(name))).toEqual([]);
  });
});
