import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Duration, Stack, Validations } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import { RetentionDays } from "aws-cdk-lib/aws-logs";
import { AwsSolutionsChecks } from "cdk-nag";
import { beforeAll, describe, expect, it } from "vitest";
import { GlidepathFunction } from "../../infra/constructs/glidepath-function.ts";
import { useTestApps } from "../helpers/synth.ts";

const echoHandler = fileURLToPath(new URL("../fixtures/echo-handler.ts", import.meta.url));

describe("GlidepathFunction", () => {
  const newApp = useTestApps();
  let stack: Stack;
  let template: Template;

  beforeAll(() => {
    stack = new Stack(newApp(), "FunctionTest");
    new GlidepathFunction(stack, "Echo", {
      entry: echoHandler,
      description: "Echoes its event",
      environment: { TABLE_NAME: "state" },
    });
    template = Template.fromStack(stack);
  });

  it("runs Node 24 on arm64 with active tracing and the documented defaults", () => {
    // Prepare: the function synthesized once for this file

    // Act
    const functions = template.findResources("AWS::Lambda::Function");

    // Assess
    expect(Object.keys(functions)).toHaveLength(1);
    template.hasResourceProperties("AWS::Lambda::Function", {
      Runtime: "nodejs24.x",
      Architectures: ["arm64"],
      TracingConfig: { Mode: "Active" },
      Timeout: 30,
      MemorySize: 512,
      Handler: "index.handler",
      Description: "Echoes its event",
    });
  });

  it("sets the Powertools and source-map variables next to the caller's", () => {
    // Prepare: the function synthesized once for this file

    // Act
    const expected = {
      Environment: {
        Variables: {
          POWERTOOLS_SERVICE_NAME: "glidepath",
          POWERTOOLS_LOG_LEVEL: "INFO",
          NODE_OPTIONS: "--enable-source-maps",
          TABLE_NAME: "state",
        },
      },
    };

    // Assess
    template.hasResourceProperties("AWS::Lambda::Function", expected);
  });

  it("logs to its own log group, kept for a month and deleted with the stack", () => {
    // Prepare
    const logGroups = template.findResources("AWS::Logs::LogGroup");
    const [logGroupId] = Object.keys(logGroups);

    // Act
    const expected = { LoggingConfig: { LogGroup: { Ref: logGroupId } } };

    // Assess
    expect(Object.keys(logGroups)).toHaveLength(1);
    template.hasResource("AWS::Logs::LogGroup", {
      Properties: { RetentionInDays: 30 },
      DeletionPolicy: "Delete",
      UpdateReplacePolicy: "Delete",
    });
    template.hasResourceProperties("AWS::Lambda::Function", expected);
  });

  it("has a role limited to its own log group and X-Ray, without managed policies", () => {
    // Prepare
    const [logGroupId] = Object.keys(template.findResources("AWS::Logs::LogGroup"));

    // Act
    const roles = template.findResources("AWS::IAM::Role");

    // Assess
    expect(Object.keys(roles)).toHaveLength(1);
    expect(template.findResources("AWS::IAM::Policy")).toEqual({});
    template.hasResourceProperties("AWS::IAM::Role", {
      AssumeRolePolicyDocument: {
        Statement: [
          { Action: "sts:AssumeRole", Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" } },
        ],
      },
      ManagedPolicyArns: Match.absent(),
      Policies: [
        {
          PolicyName: "Telemetry",
          PolicyDocument: {
            Statement: [
              {
                Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                Effect: "Allow",
                Resource: { "Fn::GetAtt": [logGroupId, "Arn"] },
              },
              {
                Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
                Effect: "Allow",
                Resource: "*",
              },
            ],
          },
        },
      ],
    });
  });

  it("takes timeout, memory and log retention from its props", () => {
    // Prepare
    const custom = new Stack(newApp(), "CustomFunctionTest");

    // Act
    new GlidepathFunction(custom, "Echo", {
      entry: echoHandler,
      timeout: Duration.seconds(5),
      memorySize: 1024,
      logRetention: RetentionDays.ONE_WEEK,
    });

    // Assess
    const customTemplate = Template.fromStack(custom);
    customTemplate.hasResourceProperties("AWS::Lambda::Function", { Timeout: 5, MemorySize: 1024 });
    customTemplate.hasResourceProperties("AWS::Logs::LogGroup", { RetentionInDays: 7 });
  });

  it("has no unacknowledged cdk-nag AwsSolutions findings", () => {
    // Prepare
    const checks = new AwsSolutionsChecks();

    // Act
    const { violations } = checks.validateScope(stack);

    // Assess
    expect(violations).toEqual([]);
  });

  it("passes cdk-nag as the synth-time validation plugin too", () => {
    // Prepare
    const app = newApp();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    new GlidepathFunction(new Stack(app, "ValidatedFunctionTest"), "Echo", { entry: echoHandler });

    // Act
    const synth = () => app.synth();

    // Assess
    expect(synth).not.toThrow();
  });

  it("still reports a wildcard granted later through the role's default policy", () => {
    // Prepare
    const later = new Stack(newApp(), "LaterGrantTest");
    const { fn } = new GlidepathFunction(later, "Echo", { entry: echoHandler });

    // Act
    fn.addToRolePolicy(new PolicyStatement({ actions: ["cloudwatch:GetMetricData"], resources: ["*"] }));
    const { violations } = new AwsSolutionsChecks().validateScope(later);

    // Assess
    expect(violations.map((violation) => violation.ruleName)).toEqual(["AwsSolutions-IAM5[Resource::*]"]);
    expect(violations[0]?.violatingResources.map((resource) => resource.constructPath)).toEqual([
      "LaterGrantTest/Echo/Role/DefaultPolicy/Resource",
    ]);
  });

  it("bundles the handler into an ESM module with a source map that Node 24 runs as is", () => {
    // Prepare
    const app = newApp({ bundle: true });
    const bundled = new Stack(app, "BundledFunctionTest");
    new GlidepathFunction(bundled, "Echo", { entry: echoHandler });

    // Act
    const assembly = app.synth();
    const [assetName] = readdirSync(assembly.directory).filter((name) => name.startsWith("asset."));
    const assetDir = join(assembly.directory, assetName ?? "no-asset");
    const run = spawnSync(
      process.execPath,
      [
        "--enable-source-maps",
        "--input-type=module",
        "--eval",
        `const { handler } = await import(${JSON.stringify(pathToFileURL(join(assetDir, "index.mjs")).href)});
         process.stdout.write("result=" + JSON.stringify(await handler({ ping: 1 })));`,
      ],
      { encoding: "utf8", env: { ...process.env, POWERTOOLS_LOG_LEVEL: "SILENT" } },
    );

    // Assess
    expect(readdirSync(assetDir).sort()).toEqual(["index.mjs", "index.mjs.map"]);
    const code = readFileSync(join(assetDir, "index.mjs"), "utf8");
    expect(
      code.startsWith(
        "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
      ),
    ).toBe(true);
    expect(code).toMatch(/sourceMappingURL=index\.mjs\.map/);
    expect(run.stderr).toBe("");
    expect(run.stdout).toBe('result={"ping":1}');
  });
});
