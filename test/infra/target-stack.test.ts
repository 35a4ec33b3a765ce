import { Template } from "aws-cdk-lib/assertions";
import { AwsSolutionsChecks } from "cdk-nag";
import { beforeAll, describe, expect, it } from "vitest";
import sampleConfig from "../../examples/glidepath.config.ts";
import type { GlidepathConfigInput } from "../../functions/domain/config/index.ts";
import { buildApp, type GlidepathApp } from "../../infra/app.ts";
import { checkoutApiFunction, sampleWithDefinedAlarm } from "../helpers/config-fixtures.ts";
import { roleStatements, type Statement, useTestApps } from "../helpers/synth.ts";

const production = "444455556666";
const [centralId, westId] = [
  `GlidepathTarget-${production}-eu-central-1`,
  `GlidepathTarget-${production}-eu-west-1`,
];

/** cdk-nag's AwsSolutions findings left unacknowledged in every stack of the app. */
const nagViolations = (built: GlidepathApp) =>
  [built.stack, ...built.targets].flatMap(
    (stack) => new AwsSolutionsChecks().validateScope(stack).violations,
  );

const actionsOf = (statement: Statement) => [statement.Action].flat() as string[];

describe("the sample config's stacks", () => {
  const newApp = useTestApps();
  let built: GlidepathApp;
  const template = (id: string) => {
    const stack = [built.stack, ...built.targets].find((candidate) => candidate.stackName === id);
    if (stack === undefined) throw new Error(`no stack ${id}`);
    return Template.fromStack(stack);
  };

  beforeAll(() => {
    built = buildApp(sampleWithDefinedAlarm(), { app: newApp() });
  });

  it("are the control plane in its account and region and one target stack per other account+region", () => {
    // Act
    const stacks = [built.stack, ...built.targets].map((stack) => [
      stack.stackName,
      stack.account,
      stack.region,
    ]);

    // Assess
    expect(stacks).toEqual([
      ["Glidepath", "111122223333", "eu-west-1"],
      [centralId, production, "eu-central-1"],
      [westId, production, "eu-west-1"],
    ]);
  });

  it("give the deploy role a trust of exactly the control plane's four target step roles, with the external id", () => {
    // Act
    const roles = template(centralId).findResources("AWS::IAM::Role", {
      Properties: { RoleName: "glidepath-deploy-eu-central-1" },
    });

    // Assess
    expect(Object.values(roles).map((role) => role.Properties.AssumeRolePolicyDocument.Statement)).toEqual([
      [
        {
          Action: "sts:AssumeRole",
          Effect: "Allow",
          Principal: {
            AWS: { "Fn::Join": ["", ["arn:", { Ref: "AWS::Partition" }, ":iam::111122223333:root"]] },
          },
          Condition: {
            ArnEquals: {
              "aws:PrincipalArn": ["deploy", "shift-traffic", "evaluate", "record"].map(
                (step) => `arn:aws:iam::111122223333:role/glidepath-${step}-step-eu-west-1`,
              ),
            },
            StringEquals: { "sts:ExternalId": "glidepath", "aws:PrincipalAccount": "111122223333" },
          },
        },
      ],
    ]);
  });

  it("allow the deploy role exactly its own account+region's services, listener and defined alarm", () => {
    // Act
    const [role] = Object.values(
      template(centralId).findResources("AWS::IAM::Role", {
        Properties: { RoleName: "glidepath-deploy-eu-central-1" },
      }),
    );
    const statements: Statement[] = role?.Properties.Policies[0].PolicyDocument.Statement ?? [];
    const scoped = statements
      .filter((statement) => statement.Resource !== "*")
      .map((statement) => [actionsOf(statement), statement.Resource]);

    // Assess
    expect(scoped).toEqual([
      [
        ["ecs:DescribeServices", "ecs:UpdateService"],
        ["checkout-blue", "checkout-green"].map(
          (name) => `arn:aws:ecs:eu-central-1:${production}:service/shop/${name}`,
        ),
      ],
      // Tagging only as RegisterTaskDefinition makes a revision here (test/infra/iam-wildcards.test.ts).
      [["ecs:TagResource"], `arn:aws:ecs:eu-central-1:${production}:task-definition/*`],
      [
        ["cloudwatch:PutMetricAlarm", "cloudwatch:SetAlarmState"],
        `arn:aws:cloudwatch:eu-central-1:${production}:alarm:checkout-production-5xx-rate`,
      ],
      [
        ["elasticloadbalancing:ModifyListener"],
        `arn:aws:elasticloadbalancing:eu-central-1:${production}:listener/app/shop/3f5a7c9e1b2d4f60/f2f7dc8efc522ab2`,
      ],
      // Evaluate's own statement: it reads the new version's target health.
      [
        ["ecs:DescribeServices"],
        ["checkout-blue", "checkout-green"].map(
          (name) => `arn:aws:ecs:eu-central-1:${production}:service/shop/${name}`,
        ),
      ],
    ]);
    expect(JSON.stringify(statements)).not.toContain("eu-west-1");
  });

  it("allow the deploy role where a flag is exactly that flag's AppConfig application, profile, environment and strategy", () => {
    // Act
    const statementsOf = (id: string, region: string) => {
      const [role] = Object.values(
        template(id).findResources("AWS::IAM::Role", {
          Properties: { RoleName: `glidepath-deploy-${region}` },
        }),
      );
      const statements: Statement[] = role?.Properties.Policies[0].PolicyDocument.Statement ?? [];
      return statements.filter((statement) =>
        actionsOf(statement).some((action) => action.startsWith("appconfig:")),
      );
    };
    const west = statementsOf(westId, "eu-west-1");
    const byAction = new Map(
      west.flatMap((statement) => actionsOf(statement).map((action) => [action, statement.Resource])),
    );
    const arn = (resource: string) => `arn:aws:appconfig:eu-west-1:${production}:${resource}`;

    // Assess
    expect(statementsOf(centralId, "eu-central-1")).toEqual([]);
    expect(byAction.get("appconfig:StartDeployment")).toEqual([
      arn("application/shop1ab"),
      arn("application/shop1ab/configurationprofile/flags9e"),
      arn("application/shop1ab/environment/prod7cd"),
      arn("deploymentstrategy/now42zz"),
    ]);
    expect(byAction.get("appconfig:CreateHostedConfigurationVersion")).toEqual([
      arn("application/shop1ab"),
      arn("application/shop1ab/configurationprofile/flags9e"),
    ]);
    expect([...byAction.keys()].sort()).toEqual([
      "appconfig:CreateHostedConfigurationVersion",
      "appconfig:GetDeployment",
      "appconfig:GetHostedConfigurationVersion",
      "appconfig:ListDeployments",
      "appconfig:StartDeployment",
    ]);
    expect(west.every((statement) => statement.Resource !== "*")).toBe(true);
  });

  it("forward the watched alarms going into ALARM to the control plane's bus", () => {
    // Act
    const rules = Object.values(template(westId).findResources("AWS::Events::Rule"));

    // Assess
    expect(rules.map((rule) => [rule.Properties.EventPattern, rule.Properties.Targets[0].Arn])).toEqual([
      [
        {
          source: ["aws.cloudwatch"],
          "detail-type": ["CloudWatch Alarm State Change"],
          detail: {
            alarmName: [
              "checkout-production-5xx",
              "checkout-production-5xx-rate",
              "checkout-production-p99-latency",
            ],
            state: { value: ["ALARM"] },
          },
        },
        "arn:aws:events:eu-west-1:111122223333:event-bus/glidepath",
      ],
    ]);
  });

  it("archive the events the target accounts forward, as the control plane's own", () => {
    // Act
    const archives = Object.values(template("Glidepath").findResources("AWS::Events::Archive"));

    // Assess
    expect(archives.map((archive) => archive.Properties.EventPattern)).toEqual([
      { account: ["111122223333", production] },
    ]);
  });

  it("let exactly the target accounts put events on the control plane's bus", () => {
    // Act
    const policies = Object.values(template("Glidepath").findResources("AWS::Events::EventBusPolicy"));

    // Assess
    expect(policies.map((policy) => policy.Properties.Statement)).toEqual([
      expect.objectContaining({
        Action: "events:PutEvents",
        Principal: {
          AWS: { "Fn::Join": ["", ["arn:", { Ref: "AWS::Partition" }, `:iam::${production}:root`]] },
        },
      }),
    ]);
  });

  it("name the control plane's step roles and let each assume exactly the target stacks' deploy roles", () => {
    // Prepare
    const { deploy, shiftTraffic, evaluate, record } = built.stack.strategies.functions;
    const cp = template("Glidepath");

    // Act
    const assumed = [deploy, shiftTraffic, evaluate, record].map((fn) =>
      roleStatements(cp, fn.fn.role)
        .filter((statement) => actionsOf(statement).includes("sts:AssumeRole"))
        .map((statement) => statement.Resource),
    );
    const names = Object.values(cp.findResources("AWS::IAM::Role"))
      .map((role) => role.Properties.RoleName)
      .filter((name) => name !== undefined);

    // Assess
    const deployRoles = ["eu-central-1", "eu-west-1"].map(
      (region) => `arn:aws:iam::${production}:role/glidepath-deploy-${region}`,
    );
    expect(assumed).toEqual([[deployRoles], [deployRoles], [deployRoles], [deployRoles]]);
    expect(names.sort()).toEqual([
      "glidepath-deploy-step-eu-west-1",
      "glidepath-evaluate-step-eu-west-1",
      "glidepath-record-step-eu-west-1",
      "glidepath-shift-traffic-step-eu-west-1",
    ]);
  });

  it("grant the control plane's own steps only the resources of its own account and region", () => {
    // Prepare
    const cp = template("Glidepath");

    // Act
    const updatable = roleStatements(cp, built.stack.strategies.functions.deploy.fn.role)
      .filter((statement) => actionsOf(statement).includes("ecs:UpdateService"))
      .map((statement) => statement.Resource);

    // Assess
    expect(updatable).toEqual([
      ["checkout-blue", "checkout-green"].map(
        (name) => `arn:aws:ecs:eu-west-1:111122223333:service/shop/${name}`,
      ),
    ]);
  });

  it("have no unacknowledged cdk-nag AwsSolutions findings, every stack", () => {
    // Act
    const violations = nagViolations(built);

    // Assess
    expect(violations).toEqual([]);
  });
});

describe("an experiment with a cohort on checkout's production target groups", () => {
  const newApp = useTestApps();
  let built: GlidepathApp;
  const listener = `arn:aws:elasticloadbalancing:eu-west-1:${production}:listener/app/shop/8e4b1f2a9c3d5e60/f2f7dc8efc522ab2`;

  beforeAll(() => {
    const input = structuredClone(sampleConfig) as GlidepathConfigInput;
    const checkout = input.services.find((service) => service.name === "checkout");
    const environment = checkout?.environments.find((candidate) => candidate.name === "production");
    if (environment === undefined) throw new Error("the sample has no checkout production");
    environment.metrics = [
      { name: "conversion", namespace: "Shop/Checkout", numerator: "completed", denominator: "started" },
    ];
    environment.strategy = {
      type: "experiment",
      durationSeconds: 86_400,
      decideOn: "conversion",
      cohort: { priority: 5, header: { name: "X-Arm", values: ["treatment"] } },
    };
    built = buildApp(input, { app: newApp() });
  });

  it("lets the deploy role create a rule only on the listener, tag it only as it is created, and delete only a rule with the cohort tag", () => {
    // Prepare
    const stack = built.targets.find((candidate) => candidate.stackName === westId);
    if (stack === undefined) throw new Error(`no stack ${westId}`);

    // Act
    const [role] = Object.values(
      Template.fromStack(stack).findResources("AWS::IAM::Role", {
        Properties: { RoleName: "glidepath-deploy-eu-west-1" },
      }),
    );
    const statements: Statement[] = role?.Properties.Policies[0].PolicyDocument.Statement ?? [];
    const cohort = statements.filter((statement) =>
      actionsOf(statement).some((action) =>
        /^elasticloadbalancing:(CreateRule|AddTags|DeleteRule|DescribeTags)$/.test(action),
      ),
    );

    // Assess
    const rules = `${listener.replace(":listener/", ":listener-rule/")}/*`;
    expect(cohort).toEqual([
      { Effect: "Allow", Action: "elasticloadbalancing:CreateRule", Resource: listener },
      {
        Effect: "Allow",
        Action: "elasticloadbalancing:AddTags",
        Resource: rules,
        Condition: { StringEquals: { "elasticloadbalancing:CreateAction": "CreateRule" } },
      },
      {
        Effect: "Allow",
        Action: "elasticloadbalancing:DeleteRule",
        Resource: rules,
        Condition: { Null: { "aws:ResourceTag/glidepath:cohort": "false" } },
      },
      { Effect: "Allow", Action: "elasticloadbalancing:DescribeTags", Resource: "*" },
    ]);
  });

  it("has no unacknowledged cdk-nag AwsSolutions findings, every stack", () => {
    // Act
    const violations = nagViolations(built);

    // Assess
    expect(violations).toEqual([]);
  });
});

describe("a Lambda function in production's eu-west-1", () => {
  const newApp = useTestApps();
  let built: GlidepathApp;

  beforeAll(() => {
    const input = structuredClone(sampleConfig) as GlidepathConfigInput;
    input.services.push(checkoutApiFunction(production));
    built = buildApp(input, { app: newApp() });
  });

  it("lets the deploy role update, publish, tag (glidepath: keys only) and alias exactly that function, and pull its image", () => {
    // Prepare
    const stack = built.targets.find((candidate) => candidate.stackName === westId);
    if (stack === undefined) throw new Error(`no stack ${westId}`);

    // Act
    const [role] = Object.values(
      Template.fromStack(stack).findResources("AWS::IAM::Role", {
        Properties: { RoleName: "glidepath-deploy-eu-west-1" },
      }),
    );
    const statements: Statement[] = role?.Properties.Policies[0].PolicyDocument.Statement ?? [];
    const lambda = statements
      .filter((statement) => actionsOf(statement).some((action) => /^(lambda|ecr):/.test(action)))
      .map((statement) => [actionsOf(statement), statement.Resource]);
    const tagging = statements.find((statement) => actionsOf(statement).includes("lambda:TagResource"));

    // Assess
    const fn = `arn:aws:lambda:eu-west-1:${production}:function:checkout-api`;
    expect(lambda).toEqual([
      [
        [
          "lambda:UpdateFunctionCode",
          "lambda:GetFunctionConfiguration",
          "lambda:PublishVersion",
          "lambda:ListVersionsByFunction",
          "lambda:ListTags",
        ],
        fn,
      ],
      [["lambda:TagResource"], fn],
      [["lambda:GetAlias"], `${fn}:live`],
      [
        ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
        `arn:aws:ecr:eu-west-1:${production}:repository/shop/checkout-api`,
      ],
      [["lambda:ListVersionsByFunction", "lambda:ListTags"], fn],
      // Evaluate's reads (which versions the arms are) are the same statement: CDK keeps one.
      [["lambda:GetAlias", "lambda:UpdateAlias"], `${fn}:live`],
    ]);
    expect(tagging?.Condition).toEqual({ "ForAllValues:StringLike": { "aws:TagKeys": ["glidepath:*"] } });
  });

  it("has no unacknowledged cdk-nag AwsSolutions findings, every stack", () => {
    // Act
    const violations = nagViolations(built);

    // Assess
    expect(violations).toEqual([]);
  });
});

describe("an ECR repository in an artifact account", () => {
  const newApp = useTestApps();
  let built: GlidepathApp;

  beforeAll(() => {
    const input = structuredClone(sampleConfig) as GlidepathConfigInput;
    const checkout = input.services.find((service) => service.name === "checkout");
    if (checkout === undefined) throw new Error("the sample has no checkout");
    checkout.artifact = {
      type: "ecr",
      repository: "shop/checkout",
      account: "777788889999",
      region: "eu-west-1",
    };
    built = buildApp(input, { app: newApp() });
  });

  it("gets a target stack that only forwards its pushes to the control plane's bus", () => {
    // Prepare
    const stack = built.targets.find((candidate) => candidate.account === "777788889999");
    if (stack === undefined) throw new Error("no stack for the artifact account");

    // Act
    const template = Template.fromStack(stack);
    const patterns = Object.values(template.findResources("AWS::Events::Rule")).map(
      (rule) => rule.Properties.EventPattern,
    );

    // Assess
    expect(stack.deployRole).toBeUndefined();
    template.resourceCountIs("AWS::IAM::Role", 1);
    expect(patterns).toEqual([
      {
        source: ["aws.ecr"],
        "detail-type": ["ECR Image Action"],
        detail: { "action-type": ["PUSH"], result: ["SUCCESS"], "repository-name": ["shop/checkout"] },
      },
    ]);
  });

  it("is matched on the Glidepath bus by its account and region, and the bus admits that account", () => {
    // Act
    const template = Template.fromStack(built.stack);
    const forwarded = built.stack.triggers.forwardedEcrPushes.map((rule) =>
      built.stack.resolve((rule.node.defaultChild as unknown as { eventPattern: unknown }).eventPattern),
    );
    const principals = JSON.stringify(template.findResources("AWS::Events::EventBusPolicy"));

    // Assess
    expect(forwarded).toEqual([
      expect.objectContaining({ account: ["777788889999"], region: ["eu-west-1"] }),
    ]);
    expect(built.stack.triggers.ecrPushes).toBeUndefined();
    expect(principals).toContain(":iam::777788889999:root");
    expect(principals).toContain(":iam::444455556666:root");
  });
});
