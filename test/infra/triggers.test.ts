import { Match, Template } from "aws-cdk-lib/assertions";
import { AwsSolutionsChecks } from "cdk-nag";
import { beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../functions/domain/config/index.ts";
import { ControlPlaneStack } from "../../infra/stacks/control-plane-stack.ts";
import { minimalConfigInput, roleStatements, stackArn, useTestApps } from "../helpers/synth.ts";

const environment = { name: "dev", account: "123456789012", region: "eu-west-1", strategy: "ECSAllAtOnce" };

/** Two services on one ECR repository, one on another, and one published by CI. */
const config = parseConfig({
  services: [
    {
      name: "checkout",
      artifact: { type: "ecr", repository: "shop/checkout", tagPattern: "^v\\d+" },
      target: { type: "local" },
      environments: [environment],
    },
    {
      name: "checkout-worker",
      artifact: { type: "ecr", repository: "shop/checkout", tagPattern: "^v\\d+" },
      target: { type: "local" },
      concurrency: "supersede",
      environments: [environment],
    },
    {
      name: "cart",
      artifact: { type: "ecr", repository: "shop/cart", tagPattern: "^v\\d+" },
      target: { type: "local" },
      environments: [environment],
    },
    {
      name: "search",
      artifact: { type: "custom", source: "ci.search" },
      target: { type: "local" },
      environments: [environment],
    },
  ],
});

type Resources = Record<string, { Properties: Record<string, unknown> }>;

describe("Triggers", () => {
  const newApp = useTestApps();
  let stack: ControlPlaneStack;
  let template: Template;
  let triggerId: string;
  let dlqId: string;
  let busId: string;
  let tableId: string;

  beforeAll(() => {
    stack = new ControlPlaneStack(newApp(), "Glidepath", { config });
    template = Template.fromStack(stack);
    const id = (construct: { node: { defaultChild?: unknown } }) =>
      stack.getLogicalId(construct.node.defaultChild as never);
    triggerId = id(stack.triggers.function.fn);
    dlqId = id(stack.triggers.deadLetters);
    busId = id(stack.bus);
    tableId = id(stack.table);
  });

  it("sends successful pushes to the configured ECR repositories from the default bus to the trigger, with a DLQ", () => {
    // Prepare
    const expected = {
      EventPattern: {
        source: ["aws.ecr"],
        "detail-type": ["ECR Image Action"],
        detail: {
          "action-type": ["PUSH"],
          result: ["SUCCESS"],
          "repository-name": ["shop/cart", "shop/checkout"],
        },
      },
      Targets: [
        Match.objectLike({
          Arn: { "Fn::GetAtt": [triggerId, "Arn"] },
          DeadLetterConfig: { Arn: { "Fn::GetAtt": [dlqId, "Arn"] } },
          RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 4 },
        }),
      ],
    };

    // Act
    const rules = template.findResources("AWS::Events::Rule", { Properties: expected }) as Resources;

    // Assess
    expect(Object.values(rules)).toHaveLength(1);
    expect(Object.values(rules)[0]?.Properties.EventBusName).toBeUndefined();
  });

  it.each([
    [
      "ArtifactPublished events from the configured sources",
      { source: ["ci.search"], "detail-type": ["ArtifactPublished"] },
    ],
    ["ReleasePublished events from any source", { "detail-type": ["ReleasePublished"] }],
    [
      "DeployRequested events from glidepath.cli",
      { source: ["glidepath.cli"], "detail-type": ["DeployRequested"] },
    ],
    [
      "RollbackRequested events from glidepath.cli",
      { source: ["glidepath.cli"], "detail-type": ["RollbackRequested"] },
    ],
  ])("sends %s on the Glidepath bus to the trigger, with a DLQ", (_, pattern) => {
    // Prepare
    const expected = {
      EventBusName: { Ref: busId },
      EventPattern: pattern,
      Targets: [
        Match.objectLike({
          Arn: { "Fn::GetAtt": [triggerId, "Arn"] },
          DeadLetterConfig: { Arn: { "Fn::GetAtt": [dlqId, "Arn"] } },
        }),
      ],
    };

    // Act
    const rules = template.findResources("AWS::Events::Rule", { Properties: expected });

    // Assess
    expect(Object.keys(rules)).toHaveLength(1);
  });

  it("keeps the config out of the trigger's environment and names the machines by prefix", () => {
    // Prepare
    const functions = template.findResources("AWS::Lambda::Function") as Resources;

    // Act
    const variables = (
      functions[triggerId]?.Properties.Environment as { Variables: Record<string, unknown> } | undefined
    )?.Variables;

    // Assess
    expect(Object.keys(variables ?? {}).sort()).toEqual([
      "BUS_NAME",
      "NODE_OPTIONS",
      "POWERTOOLS_LOG_LEVEL",
      "POWERTOOLS_SERVICE_NAME",
      "STATE_MACHINE_ARN_PREFIX",
      "TABLE_NAME",
    ]);
    expect(variables?.STATE_MACHINE_ARN_PREFIX).toEqual(stackArn("states", "stateMachine:Glidepath-"));
  });

  it("lets the trigger start this stack's state machines, put aborts on the bus, use the table and read its history index, nothing more", () => {
    // Act
    const statements = roleStatements(template, stack.triggers.function.fn.role);

    // Assess
    expect(statements).toEqual([
      {
        Effect: "Allow",
        Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"],
        Resource: { "Fn::GetAtt": [tableId, "Arn"] },
      },
      { Effect: "Allow", Action: "events:PutEvents", Resource: { "Fn::GetAtt": [busId, "Arn"] } },
      {
        Effect: "Allow",
        Action: "states:StartExecution",
        Resource: stackArn("states", "stateMachine:Glidepath-*"),
      },
      {
        Effect: "Allow",
        Action: "dynamodb:Query",
        Resource: { "Fn::Join": ["", [{ "Fn::GetAtt": [tableId, "Arn"] }, "/index/gsi1"]] },
      },
    ]);
  });

  it("lets the promote step start the waiting promotion and tells it where the machines are", () => {
    // Act
    const statements = roleStatements(template, stack.strategies.functions.promote.fn.role);

    // Assess
    expect(JSON.stringify(statements)).toContain('"Action":"states:StartExecution"');
    template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: Match.objectLike({
          GLIDEPATH_STEP: "promote",
          STATE_MACHINE_ARN_PREFIX: Match.anyValue(),
        }),
      },
    });
  });

  it("has no unacknowledged cdk-nag AwsSolutions findings", () => {
    // Act
    const { violations } = new AwsSolutionsChecks().validateScope(stack);

    // Assess
    expect(violations).toEqual([]);
  });

  it("creates no rule for a kind of artifact no service takes", () => {
    // Prepare
    const customOnly = new ControlPlaneStack(newApp(), "Glidepath", {
      config: parseConfig(minimalConfigInput),
    });

    // Act
    const rules = Template.fromStack(customOnly).findResources("AWS::Events::Rule", {
      Properties: { EventPattern: { source: ["aws.ecr"] } },
    });

    // Assess
    expect(Object.keys(rules)).toEqual([]);
    expect(customOnly.triggers.ecrPushes).toBeUndefined();
    expect(customOnly.triggers.artifactsPublished).toBeDefined();
  });
});
