import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { TargetPlace } from "../target-places.ts";

/** What each step that acts on targets may do in one account+region: exactly the configured resources. */
export interface TargetStatements {
  readonly deploy: readonly PolicyStatement[];
  readonly shiftTraffic: readonly PolicyStatement[];
  readonly evaluate: readonly PolicyStatement[];
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
  const deploy = [
    new PolicyStatement({ actions: ["ecs:DescribeServices", "ecs:UpdateService"], resources: ecsServices }),
    new PolicyStatement({
      actions: [
        "ecs:DescribeTaskDefinition",
        "ecs:RegisterTaskDefinition",
        "ecs:TagResource",
        "elasticloadbalancing:DescribeTargetHealth",
        "elasticloadbalancing:DescribeListeners",
        "elasticloadbalancing:DescribeRules",
        // Checks that the alarms named only by name exist before anything moves.
        "cloudwatch:DescribeAlarms",
      ],
      resources: ["*"],
    }),
    // RegisterTaskDefinition passes the task and execution roles of the copied definition to ECS.
    new PolicyStatement({
      actions: ["iam:PassRole"],
      resources: ["*"],
      conditions: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
    }),
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
    ...(listeners.length === 0
      ? []
      : [new PolicyStatement({ actions: ["elasticloadbalancing:ModifyListener"], resources: listeners })]),
    ...(rules.length === 0
      ? []
      : [new PolicyStatement({ actions: ["elasticloadbalancing:ModifyRule"], resources: rules })]),
    new PolicyStatement({
      actions: ["elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeRules"],
      resources: ["*"],
    }),
  ];
  // Evaluate reads the new version's target health (ECS service and target group) for `targetHealth`.
  const evaluate = [
    new PolicyStatement({ actions: ["ecs:DescribeServices"], resources: ecsServices }),
    new PolicyStatement({
      actions: [
        "cloudwatch:DescribeAlarms",
        "cloudwatch:GetMetricData",
        "elasticloadbalancing:DescribeTargetHealth",
      ],
      resources: ["*"],
    }),
  ];
  return { deploy, shiftTraffic, evaluate };
}

/** Why the `*` statements above are as narrow as IAM allows. */
export const wildcardReason =
  "ECS RegisterTaskDefinition/DescribeTaskDefinition, the ELB Describe* actions and cloudwatch:GetMetricData take no resource-level permissions; DescribeAlarms leaves composite alarms out unless it may read every alarm; iam:PassRole is limited to ECS tasks. Modify*, UpdateService, PutMetricAlarm and SetAlarmState are limited to the configured listeners, rules, services and alarms.";
