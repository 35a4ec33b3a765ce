import { Duration, RemovalPolicy, Validations } from "aws-cdk-lib";
import { PolicyDocument, PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Architecture, type CfnFunction, Runtime, Tracing } from "aws-cdk-lib/aws-lambda";
import { NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import { Construct, type IConstruct } from "constructs";

export interface GlidepathFunctionProps {
  /** Path of the handler module, which exports `handler`. */
  readonly entry: string;
  /**
   * What the function does, shown in the Lambda console.
   * @default - no description
   */
  readonly description?: string;
  /**
   * A fixed name for the function's role, for a trust policy in another account to name it.
   * @default - a name CloudFormation makes up
   */
  readonly roleName?: string;
  /**
   * Extra environment variables; they win over the defaults below.
   * @default - only POWERTOOLS_SERVICE_NAME, POWERTOOLS_LOG_LEVEL and NODE_OPTIONS
   */
  readonly environment?: Record<string, string>;
  /**
   * Replaced in the bundle at synth time (esbuild's `define`): identifiers to JSON expressions, e.g.
   * `{ "process.env.GLIDEPATH_CONFIG": JSON.stringify(JSON.stringify(config)) }`. For data too large for the
   * environment, which Lambda limits to 4 KB.
   * @default - nothing is replaced
   */
  readonly define?: Record<string, string>;
  /**
   * Steps never wait inside Lambda (waiting is a Wait state or a gate), so a short timeout is enough.
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
  /**
   * Memory in MiB; Lambda allots CPU in proportion.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * How long the function's log group keeps events.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

/**
 * A Glidepath Lambda step: Node 24 on arm64, ESM bundle with source maps, X-Ray tracing, Powertools logging into
 * its own log group, and a role that may write to that log group and to X-Ray, nothing else. Callers grant
 * further access (`table.grantReadWriteData(fn.fn)`) explicitly.
 */
export class GlidepathFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: GlidepathFunctionProps) {
    super(scope, id);

    this.logGroup = new LogGroup(this, "Logs", {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // Instead of AWSLambdaBasicExecutionRole, which may create and write any log group in the account.
    const role = new Role(this, "Role", {
      assumedBy: new ServicePrincipal("lambda.amazonaws.com"),
      ...(props.roleName === undefined ? {} : { roleName: props.roleName }),
      description: `Runs ${this.node.path}`,
      inlinePolicies: {
        Telemetry: new PolicyDocument({
          statements: [
            new PolicyStatement({
              actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
              resources: [this.logGroup.logGroupArn],
            }),
            new PolicyStatement({
              actions: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
              resources: ["*"],
            }),
          ],
        }),
      },
    });
    // Scoped to the role resource, whose inline policy is fixed here. Grants added later land in the role's
    // default policy, a separate resource that cdk-nag still checks in full.
    Validations.of(role.node.defaultChild as IConstruct).acknowledge({
      id: "AwsSolutions-IAM5[Resource::*]",
      reason:
        "xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions, so X-Ray " +
        "tracing needs Resource '*'; the other statement is limited to the function's own log group.",
    });

    this.fn = new NodejsFunction(this, "Function", {
      entry: props.entry,
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      timeout: props.timeout ?? Duration.seconds(30),
      memorySize: props.memorySize ?? 512,
      role,
      logGroup: this.logGroup,
      environment: {
        POWERTOOLS_SERVICE_NAME: "glidepath",
        POWERTOOLS_LOG_LEVEL: "INFO",
        NODE_OPTIONS: "--enable-source-maps",
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: "node24",
        // Prefer the ESM entry points of dependencies; the banner gives CommonJS ones the `require` ESM lacks.
        mainFields: ["module", "main"],
        banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
        minify: true,
        sourceMap: true,
        ...(props.define === undefined ? {} : { define: props.define }),
      },
    });

    // Set on the L1 because the `tracing` prop would add the X-Ray statement to the role's default policy,
    // where acknowledging its wildcard would also hide any wildcard granted later.
    (this.fn.node.defaultChild as CfnFunction).tracingConfig = { mode: Tracing.ACTIVE };
  }
}
