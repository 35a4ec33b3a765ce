/**
 * Every action a Glidepath stack allows on `Resource: "*"`, with why IAM cannot narrow it, and the condition it
 * is allowed under where it takes one. The constructs acknowledge cdk-nag's `AwsSolutions-IAM5[Resource::*]`
 * only where these statements land; test/infra/iam-wildcards.test.ts holds every synthesized statement to this
 * list (and this list to the README's table), so a new `*` fails the tests until it is listed here with why.
 */
export const wildcardActions: Readonly<Record<string, WildcardAction>> = {
  ...each(["xray:PutTraceSegments", "xray:PutTelemetryRecords"], {
    why: "X-Ray tracing of every function and state machine; X-Ray's write actions take no resource-level permissions.",
  }),
  ...each(["xray:GetSamplingRules", "xray:GetSamplingTargets"], {
    why: "A traced state machine reads the sampling rules (CDK grants them); X-Ray's sampling actions take no resource-level permissions.",
  }),
  ...each(
    [
      "logs:CreateLogDelivery",
      "logs:GetLogDelivery",
      "logs:UpdateLogDelivery",
      "logs:DeleteLogDelivery",
      "logs:ListLogDeliveries",
      "logs:PutResourcePolicy",
      "logs:DescribeResourcePolicies",
      "logs:DescribeLogGroups",
    ],
    {
      why: "A state machine's execution log is a vended log delivery to its log group, whose actions take no resource-level permissions (AWS documents this policy for Step Functions logging).",
    },
  ),
  ...each(["ecs:DescribeTaskDefinition", "ecs:RegisterTaskDefinition"], {
    why: "The deploy step copies the service's task definition into a new revision; neither action takes resource-level permissions (tagging the revision is a separate, scoped statement).",
  }),
  ...each(
    [
      "elasticloadbalancing:DescribeListeners",
      "elasticloadbalancing:DescribeRules",
      "elasticloadbalancing:DescribeTargetHealth",
    ],
    {
      why: "Reading listener weights and target health; ELB's Describe* actions take no resource-level permissions (ModifyListener and ModifyRule are on the configured ARNs).",
    },
  ),
  "cloudwatch:GetMetricData": {
    why: "Evaluate and record read the arms' metrics; GetMetricData takes no resource-level permissions.",
  },
  "cloudwatch:DescribeAlarms": {
    why: "Alarm states are read by name; DescribeAlarms leaves composite alarms out unless it may read every alarm (PutMetricAlarm and SetAlarmState are on the configured alarms).",
  },
  "iam:PassRole": {
    why: "RegisterTaskDefinition passes the task and execution roles of the copied definition, known only at deploy time; only to ECS tasks.",
    condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
  },
};

export interface WildcardAction {
  readonly why: string;
  /** The statement's `Condition`, exactly, when the action may be on `*` only under it. */
  readonly condition?: Readonly<Record<string, unknown>>;
}

function each(actions: readonly string[], entry: WildcardAction): Record<string, WildcardAction> {
  return Object.fromEntries(actions.map((action) => [action, entry]));
}
