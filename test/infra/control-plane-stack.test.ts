import { Template } from "aws-cdk-lib/assertions";
import { AwsSolutionsChecks } from "cdk-nag";
import { beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../functions/domain/config/index.ts";
import { ControlPlaneStack } from "../../infra/stacks/control-plane-stack.ts";
import { minimalConfigInput, useTestApps } from "../helpers/synth.ts";

describe("ControlPlaneStack", () => {
  const newApp = useTestApps();
  const config = parseConfig(minimalConfigInput);
  let stack: ControlPlaneStack;
  let template: Template;

  beforeAll(() => {
    stack = new ControlPlaneStack(newApp(), "Glidepath", { config });
    template = Template.fromStack(stack);
  });

  it("keeps the validated config", () => {
    // Prepare: the stack synthesized once for this file

    // Act
    const kept = stack.config;

    // Assess
    expect(kept).toBe(config);
  });

  it("has one state table, the eight step functions, the trigger, seven strategy state machines and the two pipelines", () => {
    // Prepare: the stack synthesized once for this file

    // Act
    const counts = {
      tables: Object.keys(template.findResources("AWS::DynamoDB::Table")).length,
      functions: Object.keys(template.findResources("AWS::Lambda::Function")).length,
      stateMachines: Object.keys(template.findResources("AWS::StepFunctions::StateMachine")).length,
    };

    // Assess
    expect(counts).toEqual({ tables: 1, functions: 9, stateMachines: 9 });
  });

  it("has a dedicated event bus named glidepath with a 30-day archive of all its events", () => {
    // Prepare
    const [busId] = Object.keys(template.findResources("AWS::Events::EventBus"));

    // Act
    const expectedArchive = {
      SourceArn: { "Fn::GetAtt": [busId, "Arn"] },
      EventPattern: { account: [{ Ref: "AWS::AccountId" }] },
      RetentionDays: 30,
    };

    // Assess
    template.resourceCountIs("AWS::Events::EventBus", 1);
    template.hasResourceProperties("AWS::Events::EventBus", { Name: "glidepath" });
    template.hasResourceProperties("AWS::Events::Archive", expectedArchive);
  });

  it("outputs the table name, the bus name and ARN, and the pipeline's ARN", () => {
    // Prepare
    const [tableId] = Object.keys(template.findResources("AWS::DynamoDB::Table"));
    const [busId] = Object.keys(template.findResources("AWS::Events::EventBus"));
    const [pipelineId] = Object.keys(
      template.findResources("AWS::StepFunctions::StateMachine", {
        Properties: { StateMachineName: "Glidepath-pipeline" },
      }),
    );

    // Act
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;

    // Assess
    expect(outputs.TableName?.Value).toEqual({ Ref: tableId });
    expect(outputs.EventBusName?.Value).toEqual({ Ref: busId });
    expect(outputs.EventBusArn?.Value).toEqual({ "Fn::GetAtt": [busId, "Arn"] });
    expect(outputs.PipelineStateMachineArn?.Value).toEqual({ Ref: pipelineId });
  });

  it("has no unacknowledged cdk-nag AwsSolutions findings", () => {
    // Prepare
    const checks = new AwsSolutionsChecks();

    // Act
    const { violations } = checks.validateScope(stack);

    // Assess
    expect(violations).toEqual([]);
  });
});
