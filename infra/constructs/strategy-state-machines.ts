import {
  ArnFormat,
  type CfnElement,
  Duration,
  RemovalPolicy,
  Stack,
  Tags,
  Token,
  Validations,
} from "aws-cdk-lib";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import {
  DefinitionBody,
  type IChainable,
  LogLevel,
  StateMachine,
  StateMachineType,
} from "aws-cdk-lib/aws-stepfunctions";
import { Construct, type IConstruct } from "constructs";
import { TableSchema } from "../../functions/adapters/aws/table-schema.ts";
import type {
  EnvironmentConfig,
  GlidepathConfig,
  StrategyType,
} from "../../functions/domain/config/index.ts";
import {
  defaultExternalId,
  deployRoleArn,
  stepRoleName,
  type TargetStep,
  TargetSteps,
} from "../../functions/domain/target-access.ts";
import { strategyDefinitions, strategyTypes } from "../../statemachines/index.ts";
import { pipeline } from "../../statemachines/pipeline.ts";
import { releasePipeline } from "../../statemachines/release-pipeline.ts";
import {
  pipelineTag,
  releasePipelineTag,
  type StepFunctions,
  type StepName,
  StepNames,
  stepEnvironmentVariable,
  strategyTagKey,
} from "../../statemachines/step-functions.ts";
import { controlPlanePlace, deploysHere, samePlace, targetPlaces } from "../target-places.ts";
import { GlidepathFunction } from "./glidepath-function.ts";
import {
  type TargetStatements,
  targetStatements,
  targetWildcards,
  wildcardReason,
} from "./target-permissions.ts";

export interface StrategyStateMachinesProps {
  readonly table: ITable;
  readonly config: GlidepathConfig;
}

/**
 * esbuild `define` that bundles the parsed config as `process.env.GLIDEPATH_CONFIG` (read by `bundledConfig()`):
 * the config can exceed the 4 KB Lambda allows for environment variables.
 */
export function bundledConfigDefine(config: GlidepathConfig): Record<string, string> {
  return { "process.env.GLIDEPATH_CONFIG": JSON.stringify(JSON.stringify(config)) };
}

/**
 * `arn:<partition>:states:<region>:<account>:stateMachine:<stack>-`: a strategy's machine is this followed by
 * its type. Built from the stack's name, not the machines' ARNs, because the machines invoke the functions
 * that need it (a dependency cycle otherwise).
 */
export function stateMachineArnPrefix(scope: IConstruct): string {
  const stack = Stack.of(scope);
  return stack.formatArn({
    service: "states",
    resource: "stateMachine",
    resourceName: `${stack.stackName}-`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/** The strategy state machines of this stack, by name: `<stack>-*`. */
function stackStateMachines(scope: IConstruct): string {
  return `${stateMachineArnPrefix(scope)}*`;
}

/**
 * A Step Functions resource of this stack as cdk-nag names it in a finding id: `arn:<AWS::Partition>:states:…`,
 * with the region and account as their pseudo parameters when the stack is environment-agnostic.
 */
function nagStatesArn(scope: IConstruct, resource: string): string {
  const stack = Stack.of(scope);
  const region = Token.isUnresolved(stack.region) ? "<AWS::Region>" : stack.region;
  const account = Token.isUnresolved(stack.account) ? "<AWS::AccountId>" : stack.account;
  return `arn:<AWS::Partition>:states:${region}:${account}:${resource}`;
}

/** Acknowledges the `<stack>-*` wildcard of a statement on this stack's own state machines. */
function acknowledgeStackStateMachines(fn: GlidepathFunction, reason: string): void {
  acknowledge(fn, {
    id: `AwsSolutions-IAM5[Resource::${nagStatesArn(fn, `stateMachine:${Stack.of(fn).stackName}-*`)}]`,
    reason,
  });
}

/**
 * Lets the function start executions of this stack's strategy state machines (named `<stack>-<strategy>`) and
 * tells it where they are (STATE_MACHINE_ARN_PREFIX).
 */
export function grantStartExecution(fn: GlidepathFunction): void {
  fn.fn.addEnvironment("STATE_MACHINE_ARN_PREFIX", stateMachineArnPrefix(fn));
  fn.fn.addToRolePolicy(
    new PolicyStatement({ actions: ["states:StartExecution"], resources: [stackStateMachines(fn)] }),
  );
  acknowledgeStackStateMachines(
    fn,
    "Starts deployments on this stack's own strategy state machines, named <stack>-<strategy>; by name because the machines invoke this stack's functions (a dependency cycle otherwise).",
  );
}

const handlerEntry = (step: StepName) =>
  new URL(`../../functions/handlers/lambda/${step}.ts`, import.meta.url).pathname;

/**
 * The step functions (deploy, shift-traffic, evaluate, record) and one state machine per strategy, each
 * named `<stack>-<strategy>` so the Step Functions console reads well. Each function may touch only what its
 * step needs: the ECS services, listeners and alarms named in the config.
 */
export class StrategyStateMachines extends Construct {
  readonly functions: Readonly<Record<keyof StepFunctions, GlidepathFunction>>;
  readonly stateMachines: Readonly<Record<StrategyType, StateMachine>>;
  /** The promotion pipeline, which runs the strategy machines as nested executions. */
  readonly pipeline: StateMachine;
  /** The release pipeline, which runs several services' strategy executions in dependency order. */
  readonly releasePipeline: StateMachine;

  constructor(scope: Construct, id: string, props: StrategyStateMachinesProps) {
    super(scope, id);
    const controlPlane = controlPlanePlace(props.config);
    const stepFunction = (key: keyof StepFunctions, description: string) =>
      new GlidepathFunction(this, key[0]?.toUpperCase() + key.slice(1), {
        entry: handlerEntry(StepNames[key]),
        description,
        ...(controlPlane !== undefined && isTargetStep(StepNames[key])
          ? { roleName: stepRoleName(StepNames[key] as TargetStep, controlPlane.region) }
          : {}),
        // The pipelines' steps end promotions and releases and start the waiting promotion, which is resolved
        // from the config (as a release's restores are).
        ...(key === "promote" || key === "release" ? { define: bundledConfigDefine(props.config) } : {}),
        environment: {
          TABLE_NAME: props.table.tableName,
          ACCOUNT_ID: Stack.of(this).account,
          [stepEnvironmentVariable]: StepNames[key],
        },
      });
    this.functions = {
      deploy: stepFunction("deploy", "Glidepath step: start, check and scale a version on its colour"),
      shiftTraffic: stepFunction("shiftTraffic", "Glidepath step: set the ALB weights of the two colours"),
      evaluate: stepFunction("evaluate", "Glidepath step: judge the new version from alarms and metrics"),
      record: stepFunction("record", "Glidepath step: move the deployment record along its life cycle"),
      openGate: stepFunction("openGate", "Glidepath gate: keep a task token and tell humans"),
      resolveGate: stepFunction(
        "resolveGate",
        "Glidepath gate: resolve gates from humans, alarms and timers",
      ),
      promote: stepFunction("promote", "Glidepath pipeline: move a promotion through its environments"),
      release: stepFunction("release", "Glidepath release: move a release of several services along"),
    };
    for (const fn of Object.values(this.functions)) grantStateAccess(fn, props.table);
    grantTargetAccess(
      {
        deploy: this.functions.deploy,
        shiftTraffic: this.functions.shiftTraffic,
        evaluate: this.functions.evaluate,
        record: this.functions.record,
      },
      props.config,
    );
    grantResolveAccess(this.functions.resolveGate);
    // open-gate aborts a gate as it opens when the deployment's promotion was asked to stop (supersede).
    grantResolveAccess(this.functions.openGate);
    grantStartExecution(this.functions.promote);
    grantStartExecution(this.functions.release);
    // A failed release finds each service's previous artifact in the environment's deployment history.
    grantHistoryQuery(this.functions.release, props.table);
    const slack = props.config.notifications.slack;
    if (slack !== undefined) {
      // The evaluate step posts an experiment's verdict.
      for (const gateFunction of [
        this.functions.openGate,
        this.functions.resolveGate,
        this.functions.promote,
        this.functions.evaluate,
      ]) {
        gateFunction.fn.addEnvironment("SLACK_CHANNEL", slack.channel);
        gateFunction.fn.addEnvironment("SLACK_BOT_TOKEN_SECRET_ARN", slack.botTokenSecretArn);
        gateFunction.fn.addToRolePolicy(
          new PolicyStatement({
            actions: ["secretsmanager:GetSecretValue"],
            resources: [slack.botTokenSecretArn],
          }),
        );
      }
    }

    const fns: StepFunctions = {
      deploy: this.functions.deploy.fn,
      shiftTraffic: this.functions.shiftTraffic.fn,
      evaluate: this.functions.evaluate.fn,
      record: this.functions.record.fn,
      openGate: this.functions.openGate.fn,
      resolveGate: this.functions.resolveGate.fn,
      promote: this.functions.promote.fn,
      release: this.functions.release.fn,
    };
    const stackName = Stack.of(this).stackName;
    const machines = {} as Record<StrategyType, StateMachine>;
    for (const type of strategyTypes) {
      const id = pascal(type);
      const definition = strategyDefinitions[type]({ scope: new Construct(this, `${id}Definition`), fns });
      const machine = this.#stateMachine(
        id,
        `${stackName}-${type}`,
        `Glidepath ${type} deployment`,
        definition,
      );
      Tags.of(machine).add(strategyTagKey, type);
      if (type === "blue-green") grantInvokeHooks(machine, props.config, ["smokeTest"]);
      machines[type] = machine;
    }
    this.stateMachines = machines;
    const arnPrefix = stateMachineArnPrefix(this);
    this.pipeline = this.#pipeline(
      "Pipeline",
      pipelineTag,
      "Glidepath promotion through environments",
      pipeline({ scope: new Construct(this, "PipelineDefinition"), fns, strategyArnPrefix: arnPrefix }),
      machines,
    );
    grantInvokeHooks(this.pipeline, props.config, ["preDeploy", "postDeploy"]);
    this.releasePipeline = this.#pipeline(
      "ReleasePipeline",
      releasePipelineTag,
      "Glidepath release of several services through environments",
      releasePipeline({
        scope: new Construct(this, "ReleasePipelineDefinition"),
        fns,
        strategyArnPrefix: arnPrefix,
      }),
      machines,
    );
    grantInvokeHooks(this.releasePipeline, props.config, ["preDeploy", "postDeploy"]);
  }

  /** A standard state machine with full logging and X-Ray, and the findings its grants always raise. */
  #stateMachine(id: string, name: string, comment: string, definition: IChainable): StateMachine {
    const machine = new StateMachine(this, id, {
      stateMachineName: name,
      stateMachineType: StateMachineType.STANDARD,
      comment,
      definitionBody: DefinitionBody.fromChainable(definition),
      tracingEnabled: true,
      logs: {
        destination: new LogGroup(this, `${id}Logs`, {
          retention: RetentionDays.THREE_MONTHS,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
        level: LogLevel.ALL,
        includeExecutionData: true,
      },
      // A guard against executions left waiting forever (and holding their lock). Under 24.8 days because
      // aws-local-stepfunctions times an execution with one setTimeout, which overflows past 2^31 ms.
      timeout: Duration.days(14),
    });
    acknowledge(machine, {
      id: "AwsSolutions-IAM5[Resource::*]",
      reason:
        "CloudWatch Logs delivery and X-Ray tracing of a state machine take no resource-level permissions.",
    });
    for (const fn of Object.values(this.functions)) {
      const logicalId = Stack.of(this).getLogicalId(fn.fn.node.defaultChild as CfnElement);
      acknowledge(machine, {
        id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>:*]`,
        reason:
          "CDK's LambdaInvoke grants the step function and its versions and aliases (`<arn>:*`), nothing else.",
      });
    }
    return machine;
  }

  /**
   * A pipeline, `<stack>-<tag>`: it runs the strategy machines as nested executions (startExecution.sync:2
   * needs DescribeExecution and StopExecution on their executions and the managed rule through which Step
   * Functions learns that a child ended).
   */
  #pipeline(
    id: string,
    tag: typeof pipelineTag | typeof releasePipelineTag,
    comment: string,
    definition: IChainable,
    strategies: Readonly<Record<StrategyType, StateMachine>>,
  ): StateMachine {
    const stack = Stack.of(this);
    const machine = this.#stateMachine(id, `${stack.stackName}-${tag}`, comment, definition);
    Tags.of(machine).add(strategyTagKey, tag);
    machine.addToRolePolicy(
      new PolicyStatement({
        actions: ["states:StartExecution"],
        resources: Object.values(strategies).map((strategy) => strategy.stateMachineArn),
      }),
    );
    const executions = strategyTypes.map((type) =>
      stack.formatArn({
        service: "states",
        resource: "execution",
        resourceName: `${stack.stackName}-${type}:*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    );
    machine.addToRolePolicy(
      new PolicyStatement({
        actions: ["states:DescribeExecution", "states:StopExecution"],
        resources: executions,
      }),
    );
    machine.addToRolePolicy(
      new PolicyStatement({
        actions: ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
        resources: [
          stack.formatArn({
            service: "events",
            resource: "rule",
            resourceName: "StepFunctionsGetEventsForStepFunctionsExecutionRule",
          }),
        ],
      }),
    );
    for (const type of strategyTypes) {
      acknowledge(machine, {
        id: `AwsSolutions-IAM5[Resource::${nagStatesArn(machine, `execution:${stack.stackName}-${type}:*`)}]`,
        reason:
          "startExecution.sync:2 watches and stops the nested executions of this strategy machine, whose names are only known at run time.",
      });
    }
    return machine;
  }
}

/** Lets the machine invoke the configured hooks of these kinds that are Lambda functions, and nothing else. */
function grantInvokeHooks(
  machine: StateMachine,
  config: GlidepathConfig,
  kinds: readonly (keyof EnvironmentConfig["hooks"])[],
): void {
  const functions = config.services.flatMap((service) =>
    service.environments.flatMap((environment) =>
      kinds.flatMap((kind) => environment.hooks[kind].map((hook) => hook.function)),
    ),
  );
  // `local:<name>` hooks run only in the local runtime.
  const arns = [...new Set(functions.filter((name) => name.startsWith("arn:")))];
  if (arns.length === 0) return;
  machine.addToRolePolicy(new PolicyStatement({ actions: ["lambda:InvokeFunction"], resources: arns }));
}

/**
 * Lets the function read the deployment history of a service in an environment: a Query of the table's
 * history index, which a grant on the table alone does not cover.
 */
export function grantHistoryQuery(fn: GlidepathFunction, table: ITable): void {
  fn.fn.addToRolePolicy(
    new PolicyStatement({
      actions: ["dynamodb:Query"],
      resources: [`${table.tableArn}/index/${TableSchema.historyIndex.name}`],
    }),
  );
}

function grantStateAccess(fn: GlidepathFunction, table: ITable): void {
  fn.fn.addToRolePolicy(
    new PolicyStatement({
      actions: [
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:Query",
      ],
      resources: [table.tableArn],
    }),
  );
}

const isTargetStep = (step: string): step is TargetStep => (TargetSteps as readonly string[]).includes(step);

/**
 * The four steps that act on targets: in the control plane's own account+region directly on the configured
 * resources; anywhere else through the deploy role of that account+region's GlidepathTarget stack, which they
 * may assume, with the external id its trust requires.
 */
function grantTargetAccess(
  fns: Record<keyof TargetStatements, GlidepathFunction>,
  config: GlidepathConfig,
): void {
  const home = controlPlanePlace(config);
  const places = targetPlaces(config).filter(deploysHere);
  const own = places.find((candidate) => samePlace(candidate, home));
  if (own !== undefined) {
    const statements = targetStatements(own);
    for (const key of ["deploy", "shiftTraffic", "evaluate", "record"] as const)
      for (const statement of statements[key]) fns[key].fn.addToRolePolicy(statement);
  }
  const remote = places.filter((candidate) => !samePlace(candidate, home));
  for (const fn of Object.values(fns)) {
    if (remote.length > 0) {
      fn.fn.addToRolePolicy(
        new PolicyStatement({
          actions: ["sts:AssumeRole"],
          resources: remote.map((place) => deployRoleArn(place, place.partition)),
        }),
      );
      fn.fn.addEnvironment("DEPLOY_ROLE_EXTERNAL_ID", config.controlPlane?.externalId ?? defaultExternalId);
    }
    acknowledge(fn, { id: "AwsSolutions-IAM5[Resource::*]", reason: wildcardReason });
    for (const { arn, reason } of own === undefined ? [] : targetWildcards(own))
      acknowledge(fn, { id: `AwsSolutions-IAM5[Resource::${arn}]`, reason });
  }
  // With no target of its own the evaluate step still reads alarm states and the deploy step checks named alarms.
  if (own !== undefined) return;
  for (const fn of [fns.deploy, fns.evaluate]) {
    fn.fn.addToRolePolicy(
      new PolicyStatement({
        actions: ["cloudwatch:DescribeAlarms", "cloudwatch:GetMetricData"],
        resources: ["*"],
      }),
    );
  }
  fns.record.fn.addToRolePolicy(
    new PolicyStatement({ actions: ["cloudwatch:GetMetricData"], resources: ["*"] }),
  );
}

function grantResolveAccess(fn: GlidepathFunction): void {
  // By name: the state machines invoke this function, so naming their ARNs here would be a dependency cycle.
  fn.fn.addToRolePolicy(
    new PolicyStatement({
      actions: ["states:SendTaskSuccess", "states:SendTaskFailure"],
      resources: [stackStateMachines(fn)],
    }),
  );
  acknowledgeStackStateMachines(
    fn,
    "Resolves the task tokens of this stack's own state machines, named <stack>-<strategy> and <stack>-pipeline.",
  );
}

function acknowledge(scope: IConstruct, finding: { id: string; reason: string }): void {
  Validations.of(scope).acknowledge(finding);
}

function pascal(type: string): string {
  return type.replace(/(^|-)([a-z])/g, (_match, _dash, letter: string) => letter.toUpperCase());
}
