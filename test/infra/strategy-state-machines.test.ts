import { Match, Template } from "aws-cdk-lib/assertions";
import { AwsSolutionsChecks } from "cdk-nag";
import { beforeAll, describe, expect, it } from "vitest";
import { Presets } from "../../functions/domain/config/index.ts";
import { ErrorNames } from "../../functions/domain/errors.ts";
import { ControlPlaneStack } from "../../infra/stacks/control-plane-stack.ts";
import { type RenderedStateMachine, renderStateMachines } from "../../local/render-asl.ts";
import { tableFromTemplate } from "../../local/table-from-template.ts";
import { lambdaServiceErrors } from "../../statemachines/fragments/step.ts";
import { tableDefinition } from "../helpers/dynalite.ts";
import { listenerArn } from "../helpers/fake-aws.ts";
import {
  invokedBesides,
  roleStatements,
  type Statement,
  stackArn,
  useTestApps,
  validateAsl,
} from "../helpers/synth.ts";
import { configWith, hookArn } from "../statemachines/harness.ts";

const actionsOf = (statement: Statement): string[] => [statement.Action].flat();
const isElb = (action: string) => action.startsWith("elasticloadbalancing:");

interface RetryingTask {
  readonly Type: "Task";
  readonly Resource: string;
  readonly Retry?: readonly { readonly ErrorEquals: readonly string[] }[];
}

/** Every Task state of a definition, at any depth (Parallel branches, Map iterators). */
function tasksOf(node: unknown): RetryingTask[] {
  if (typeof node !== "object" || node === null) return [];
  const own = (node as { Type?: unknown }).Type === "Task" ? [node as RetryingTask] : [];
  return [...own, ...Object.values(node).flatMap(tasksOf)];
}

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

  it("retries Lambda's service errors on every step, and no AWS error the SDK has retried already", () => {
    // Act
    const tasks = [...machines.values()].flatMap((machine) => tasksOf(machine.definition));
    const steps = tasks.filter(
      (task) => task.Resource.includes(":lambda:") && task.Resource.includes(":function:"),
    );
    const retried = new Set(tasks.flatMap((task) => task.Retry ?? []).flatMap((retry) => retry.ErrorEquals));

    // Assess
    expect(steps.length).toBeGreaterThan(0);
    for (const step of steps) expect(step.Retry?.[0]?.ErrorEquals).toEqual(lambdaServiceErrors);
    const glidepathErrors = new Set<string>([...Object.values(ErrorNames), "States.ALL"]);
    expect([...retried].filter((name) => !name.startsWith("Lambda.") && !glidepathErrors.has(name))).toEqual(
      [],
    );
  });

  it("names the canary's console states as operators read them", () => {
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

  it.each(["deploy", "shift-traffic", "evaluate", "record", "open-gate", "resolve-gate", "promote"])(
    "runs the %s step on Node 24 arm64, told its table and its step",
    (step) => {
      template.hasResourceProperties("AWS::Lambda::Function", {
        Runtime: "nodejs24.x",
        Architectures: ["arm64"],
        Environment: { Variables: Match.objectLike({ GLIDEPATH_STEP: step, TABLE_NAME: Match.anyValue() }) },
      });
    },
  );

  it("lets shift-traffic modify only the configured listener, and only read the rest of the load balancers", () => {
    // Act
    const statements = roleStatements(template, stack.strategies.functions.shiftTraffic.fn.role);

    // Assess
    expect(statements.filter((statement) => actionsOf(statement).some(isElb))).toEqual([
      { Effect: "Allow", Action: "elasticloadbalancing:ModifyListener", Resource: listenerArn },
      {
        Effect: "Allow",
        Action: ["elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeRules"],
        Resource: "*",
      },
    ]);
  });

  it("lets evaluate read alarms, metrics and the configured services' target health, and change nothing", () => {
    // Act
    const statements = roleStatements(template, stack.strategies.functions.evaluate.fn.role);

    // Assess
    const targetActions = statements.filter((statement) =>
      actionsOf(statement).some((action) => /^(ecs|elasticloadbalancing|cloudwatch):/.test(action)),
    );
    expect(targetActions).toEqual([
      {
        Effect: "Allow",
        Action: "ecs:DescribeServices",
        Resource: expect.arrayContaining([expect.stringMatching(/:service\/shop\/checkout-blue$/)]),
      },
      {
        Effect: "Allow",
        Action: [
          "cloudwatch:DescribeAlarms",
          "cloudwatch:GetMetricData",
          "elasticloadbalancing:DescribeTargetHealth",
        ],
        Resource: "*",
      },
    ]);
  });

  it.each(["resolveGate", "openGate"] as const)(
    "lets %s answer the task tokens of this stack's state machines only",
    (step) => {
      // Act
      const statements = roleStatements(template, stack.strategies.functions[step].fn.role);

      // Assess
      expect(
        statements.filter((statement) => actionsOf(statement).some((action) => action.startsWith("states:"))),
      ).toEqual([
        {
          Effect: "Allow",
          Action: ["states:SendTaskSuccess", "states:SendTaskFailure"],
          Resource: stackArn("states", "stateMachine:Glidepath-*"),
        },
      ]);
    },
  );

  it("lets only the release step read the table's history index (a failed release's previous artifacts)", () => {
    // Act
    const readers = (
      Object.keys(stack.strategies.functions) as (keyof typeof stack.strategies.functions)[]
    ).filter((step) =>
      JSON.stringify(roleStatements(template, stack.strategies.functions[step].fn.role)).includes(
        "/index/gsi1",
      ),
    );

    // Assess
    expect(readers).toEqual(["release"]);
    expect(
      roleStatements(template, stack.strategies.functions.release.fn.role).filter((statement) =>
        JSON.stringify(statement).includes("/index/"),
      ),
    ).toEqual([
      {
        Effect: "Allow",
        Action: "dynamodb:Query",
        Resource: {
          "Fn::Join": ["", [{ "Fn::GetAtt": [expect.stringMatching(/^StateTable/), "Arn"] }, "/index/gsi1"]],
        },
      },
    ]);
  });

  it("lets deploy update only the configured ECS services", () => {
    // Act
    const statements = roleStatements(template, stack.strategies.functions.deploy.fn.role);

    // Assess
    expect(statements.filter((statement) => actionsOf(statement).includes("ecs:UpdateService"))).toEqual([
      {
        Effect: "Allow",
        Action: ["ecs:DescribeServices", "ecs:UpdateService"],
        Resource: ["checkout-blue", "checkout-green"].map(
          (service) => `arn:aws:ecs:eu-west-1:111122223333:service/shop/${service}`,
        ),
      },
    ]);
  });

  it("lets the blue-green machine invoke its steps and the configured smoke-test hook, nothing else", () => {
    // Prepare
    const { deploy, shiftTraffic, evaluate, record, openGate, resolveGate } = stack.strategies.functions;
    const steps = [deploy, shiftTraffic, evaluate, record, openGate, resolveGate].map(({ fn }) => fn);

    // Act
    const statements = roleStatements(template, stack.strategies.stateMachines["blue-green"].role);

    // Assess
    expect(invokedBesides(statements, steps)).toEqual([hookArn]);
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
