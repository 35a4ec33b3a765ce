import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import { cohortTag } from "../../functions/adapters/aws/elb-cohort-rule.ts";
import type { TargetPlace } from "../target-places.ts";
import { wildcardActions } from "./wildcard-actions.ts";

/** What each step that acts on targets may do in one account+region: exactly the configured resources. */
export interface TargetStatements {
  readonly deploy: readonly PolicyStatement[];
  readonly shiftTraffic: readonly PolicyStatement[];
  readonly evaluate: readonly PolicyStatement[];
  /** When a deployment ends, the record step reads what the new version served (its exposure). */
  readonly record: readonly PolicyStatement[];
}

/**
 * The statements of the deploy, shift-traffic and evaluate steps in one place. In the control plane's own
 * account+region they go on the step roles; in any other, on the target stack's deploy role, which the three
 * step roles assume. Actions without resource-level permissions are on `*` (acknowledged where they land).
 */
export function targetStatements(place: TargetPlace): TargetStatements {
  const { account, region, partition } = place;
  const ecsServices = place.targets.flatMap((target) =>
    [target.services.blue, target.services.green].map(
      (name) => `arn:${partition}:ecs:${region}:${account}:service/${target.cluster}/${name}`,
    ),
  );
  const listeners = place.targets.flatMap((target) =>
    target.listenerArn === undefined ? [] : [target.listenerArn],
  );
  const rules = place.targets.flatMap((target) =>
    target.listenerRuleArn === undefined ? [] : [target.listenerRuleArn],
  );
  const alarmArns = place.definedAlarms.map(
    (name) => `arn:${partition}:cloudwatch:${region}:${account}:alarm:${name}`,
  );
  const flags = flagStatements(place);
  const lambda = lambdaArns(place);
  const deploy = [
    ...(lambda.functions.length === 0
      ? []
      : [
          new PolicyStatement({
            actions: [
              "lambda:UpdateFunctionCode",
              "lambda:GetFunctionConfiguration",
              "lambda:PublishVersion",
              "lambda:ListVersionsByFunction",
              "lambda:ListTags",
            ],
            resources: lambda.functions,
          }),
          // An artifact that is a version published before is recorded in the function's glidepath: tag only.
          new PolicyStatement({
            actions: ["lambda:TagResource"],
            resources: lambda.functions,
            conditions: { "ForAllValues:StringLike": { "aws:TagKeys": ["glidepath:*"] } },
          }),
          new PolicyStatement({ actions: ["lambda:GetAlias"], resources: lambda.aliases }),
        ]),
    // UpdateFunctionCode of an image function pulls the image as the caller.
    ...(place.functionImages.length === 0
      ? []
      : [
          new PolicyStatement({
            actions: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            resources: [...place.functionImages],
          }),
        ]),
    ...(ecsServices.length === 0
      ? []
      : [
          new PolicyStatement({
            actions: ["ecs:DescribeServices", "ecs:UpdateService"],
            resources: ecsServices,
          }),
        ]),
    ...flags.read,
    new PolicyStatement({
      actions: [
        ...(ecsServices.length === 0
          ? []
          : [
              "ecs:DescribeTaskDefinition",
              "ecs:RegisterTaskDefinition",
              "elasticloadbalancing:DescribeTargetHealth",
              "elasticloadbalancing:DescribeListeners",
              "elasticloadbalancing:DescribeRules",
            ]),
        // Checks that the alarms named only by name exist before anything moves.
        "cloudwatch:DescribeAlarms",
      ],
      resources: ["*"],
    }),
    // RegisterTaskDefinition passes the task and execution roles of the copied definition to ECS.
    ...(ecsServices.length === 0
      ? []
      : [
          // The new revision is registered with its tags (the version): tagging is allowed only as that
          // registration makes a task definition of this account+region, never on an existing resource.
          new PolicyStatement({
            actions: ["ecs:TagResource"],
            resources: [taskDefinitionsArn(place)],
            conditions: { StringEquals: { "ecs:CreateAction": "RegisterTaskDefinition" } },
          }),
          new PolicyStatement({
            actions: ["iam:PassRole"],
            resources: ["*"],
            conditions: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
          }),
        ]),
    ...(alarmArns.length === 0
      ? []
      : [
          new PolicyStatement({
            actions: ["cloudwatch:PutMetricAlarm", "cloudwatch:SetAlarmState"],
            resources: alarmArns,
          }),
        ]),
  ];
  const shiftTraffic = [
    ...(lambda.functions.length === 0
      ? []
      : [
          new PolicyStatement({
            actions: ["lambda:ListVersionsByFunction", "lambda:ListTags"],
            resources: lambda.functions,
          }),
          new PolicyStatement({
            actions: ["lambda:GetAlias", "lambda:UpdateAlias"],
            resources: lambda.aliases,
          }),
        ]),
    ...flags.read,
    ...flags.write,
    ...(listeners.length === 0
      ? []
      : [new PolicyStatement({ actions: ["elasticloadbalancing:ModifyListener"], resources: listeners })]),
    ...(rules.length === 0
      ? []
      : [new PolicyStatement({ actions: ["elasticloadbalancing:ModifyRule"], resources: rules })]),
    ...(listeners.length + rules.length === 0
      ? []
      : [
          new PolicyStatement({
            actions: ["elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeRules"],
            resources: ["*"],
          }),
        ]),
    ...cohortRuleStatements(place),
  ];
  // Evaluate reads the new version's target health (ECS service and target group) for `targetHealth`.
  const evaluate = [
    // The health of a Lambda target's versions: which versions the deployment's arms are.
    ...(lambda.functions.length === 0
      ? []
      : [
          new PolicyStatement({
            actions: ["lambda:ListVersionsByFunction", "lambda:ListTags"],
            resources: lambda.functions,
          }),
        ]),
    ...(ecsServices.length === 0
      ? []
      : [new PolicyStatement({ actions: ["ecs:DescribeServices"], resources: ecsServices })]),
    new PolicyStatement({
      actions: [
        "cloudwatch:DescribeAlarms",
        "cloudwatch:GetMetricData",
        ...(ecsServices.length === 0 ? [] : ["elasticloadbalancing:DescribeTargetHealth"]),
      ],
      resources: ["*"],
    }),
  ];
  const record = [new PolicyStatement({ actions: ["cloudwatch:GetMetricData"], resources: ["*"] })];
  return { deploy, shiftTraffic, evaluate, record };
}

/** The Lambda targets' function ARNs (what publishes and lists versions) and their aliases' ARNs, each once. */
function lambdaArns(place: TargetPlace): { functions: string[]; aliases: string[] } {
  const { account, region, partition } = place;
  const arn = (name: string) => `arn:${partition}:lambda:${region}:${account}:function:${name}`;
  return {
    functions: [...new Set(place.functions.map((target) => arn(target.functionName)))],
    aliases: [...new Set(place.functions.map((target) => `${arn(target.functionName)}:${target.alias}`))],
  };
}

/**
 * An experiment's cohort rule (elb-cohort-rule.ts): created on exactly the configured listeners, tagged only as
 * it is created, deleted only when it carries the cohort tag; DescribeTags (whether a rule is Glidepath's)
 * takes no resource-level permission.
 */
function cohortRuleStatements(place: TargetPlace): PolicyStatement[] {
  if (place.cohortListeners.length === 0) return [];
  const rules = cohortRuleWildcards(place);
  return [
    new PolicyStatement({
      actions: ["elasticloadbalancing:CreateRule"],
      resources: [...place.cohortListeners],
    }),
    new PolicyStatement({
      actions: ["elasticloadbalancing:AddTags"],
      resources: rules,
      conditions: { StringEquals: { "elasticloadbalancing:CreateAction": "CreateRule" } },
    }),
    new PolicyStatement({
      actions: ["elasticloadbalancing:DeleteRule"],
      resources: rules,
      conditions: { Null: { [`aws:ResourceTag/${cohortTag}`]: "false" } },
    }),
    new PolicyStatement({ actions: ["elasticloadbalancing:DescribeTags"], resources: ["*"] }),
  ];
}

/** Every task definition of the place: ECS names a revision as it registers it. */
function taskDefinitionsArn({ account, region, partition }: TargetPlace): string {
  return `arn:${partition}:ecs:${region}:${account}:task-definition/*`;
}

/** Every rule of each cohort listener: ELB names a rule's id when it creates it. */
function cohortRuleWildcards(place: TargetPlace): string[] {
  return place.cohortListeners.map((listener) => `${listener.replace(":listener/", ":listener-rule/")}/*`);
}

/**
 * What a flag rollout reads (the deployments of its profile and the versions they deployed: the deploy step's
 * "Read flag" and every shift) and writes (a hosted version of the profile, a deployment of it with its
 * strategy to its environment), on exactly the configured application, profile, environment and strategy.
 */
function flagStatements(place: TargetPlace): { read: PolicyStatement[]; write: PolicyStatement[] } {
  if (place.flags.length === 0) return { read: [], write: [] };
  const { account, region, partition } = place;
  const arn = (resource: string) => `arn:${partition}:appconfig:${region}:${account}:${resource}`;
  const each = (resources: (flag: TargetPlace["flags"][number]) => string[]) => [
    ...new Set(place.flags.flatMap(resources)),
  ];
  const application = (flag: TargetPlace["flags"][number]) => `application/${flag.application}`;
  const profile = (flag: TargetPlace["flags"][number]) =>
    `${application(flag)}/configurationprofile/${flag.configurationProfile}`;
  const environment = (flag: TargetPlace["flags"][number]) =>
    `${application(flag)}/environment/${flag.environment}`;
  return {
    read: [
      new PolicyStatement({
        actions: ["appconfig:ListDeployments"],
        resources: each((flag) => [arn(application(flag)), arn(environment(flag))]),
      }),
      new PolicyStatement({
        actions: ["appconfig:GetDeployment"],
        resources: each((flag) => [
          arn(application(flag)),
          arn(environment(flag)),
          arn(`${environment(flag)}/deployment/*`),
        ]),
      }),
      new PolicyStatement({
        actions: ["appconfig:GetHostedConfigurationVersion"],
        resources: each((flag) => [arn(application(flag)), arn(profile(flag)), arn(`${profile(flag)}/*`)]),
      }),
    ],
    write: [
      new PolicyStatement({
        actions: ["appconfig:CreateHostedConfigurationVersion"],
        resources: each((flag) => [arn(application(flag)), arn(profile(flag))]),
      }),
      new PolicyStatement({
        actions: ["appconfig:StartDeployment"],
        resources: each((flag) => [
          arn(application(flag)),
          arn(profile(flag)),
          arn(environment(flag)),
          arn(`deploymentstrategy/${flag.deploymentStrategy}`),
        ]),
      }),
    ],
  };
}

/**
 * The ARNs with a wildcard that IAM cannot narrow further, each with why: every deployment of a flag's
 * AppConfig environment and every hosted version of its profile (AppConfig numbers them; each shift creates
 * one), and every rule of a cohort listener (ELB names a rule when it creates it).
 */
export function targetWildcards(place: TargetPlace): { readonly arn: string; readonly reason: string }[] {
  const { account, region, partition } = place;
  const flags = [
    ...new Set(
      place.flags.flatMap((flag) => [
        `arn:${partition}:appconfig:${region}:${account}:application/${flag.application}/environment/${flag.environment}/deployment/*`,
        `arn:${partition}:appconfig:${region}:${account}:application/${flag.application}/configurationprofile/${flag.configurationProfile}/*`,
      ]),
    ),
  ];
  return [
    ...(place.targets.length === 0 ? [] : [{ arn: taskDefinitionsArn(place), reason: taskDefinitionReason }]),
    ...flags.map((arn) => ({ arn, reason: flagWildcardReason })),
    ...cohortRuleWildcards(place).map((arn) => ({ arn, reason: cohortWildcardReason })),
  ];
}

const flagWildcardReason =
  "AppConfig numbers deployments and hosted configuration versions itself: a flag rollout reads the ones it starts and creates, within exactly the configured application, environment and profile.";

const taskDefinitionReason =
  "ECS names a task definition revision as RegisterTaskDefinition makes it: ecs:TagResource is allowed only on task definitions of this account+region and only as part of that registration (ecs:CreateAction).";

const cohortWildcardReason =
  "ELB names a listener rule when it creates it: an experiment's cohort rule is tagged only as CreateRule makes it, and deleted only when it carries the glidepath:cohort tag, on exactly the configured listener.";

/** The target actions on `*` (the tracing and logging ones land elsewhere). */
const targetWildcardActions = Object.keys(wildcardActions).filter((action) => !/^(xray|logs):/.test(action));

/** Why the `*` statements above are as narrow as IAM allows. */
export const wildcardReason = `Only these actions are on '*', each listed with why in infra/constructs/wildcard-actions.ts: ${targetWildcardActions.join(", ")} (iam:PassRole only to ECS tasks). Modify*, UpdateService, PutMetricAlarm and SetAlarmState are limited to the configured listeners, rules, services and alarms.`;
