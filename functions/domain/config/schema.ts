import { z } from "zod";
import { isPresetName, Presets, presetNames } from "./presets.ts";
import { StrategyObjectSchema } from "./strategy.ts";

/** Names end up in execution names (80 characters at most), so they are short and URL-safe. */
const name = (what: string) =>
  z.string({ error: `${what} must be a string` }).regex(/^[a-z][a-z0-9-]{0,23}$/, {
    error: `${what} must be 1-24 characters of lowercase letters, digits and '-', starting with a letter`,
  });

const arn = (service: string, resource: RegExp, example: string) =>
  z
    .string({ error: `must be an ARN like ${example}` })
    .regex(new RegExp(`^arn:aws[a-z-]*:${service}:[a-z0-9-]+:\\d{12}:${resource.source}$`), {
      error: `must be an ARN like ${example}`,
    });

const regionName = z
  .string()
  .regex(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/, { error: "must be an AWS region such as eu-west-1" });

const positiveSeconds = (what: string) =>
  z
    .number()
    .int({ error: `${what} must be whole seconds` })
    .min(1, { error: `${what} must be at least 1` });

/** A strategy is an object, or the name of a preset that expands to one. */
export const StrategySchema = z.preprocess((value, ctx) => {
  if (typeof value !== "string") return value;
  if (isPresetName(value)) return Presets[value];
  ctx.issues.push({
    code: "custom",
    input: value,
    message: `unknown preset '${value}'; known presets: ${presetNames.join(", ")}`,
  });
  return z.NEVER;
}, StrategyObjectSchema);

export const ArtifactSourceSchema = z.discriminatedUnion(
  "type",
  [
    z.strictObject({
      type: z.literal("ecr"),
      repository: z.string().regex(/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/, {
        error: "must be an ECR repository name such as team/checkout",
      }),
      /** Regular expression that an image tag must match to start a deployment. @default any tag */
      tagPattern: z.string().refine(isRegExp, { error: "must be a valid regular expression" }).default(".*"),
    }),
    z.strictObject({
      type: z.literal("custom"),
      /** The `source` of ArtifactPublished events that carry this service's artifacts. */
      source: z.string().min(1, { error: "must name the event source, such as ci.github" }),
    }),
  ],
  { error: "artifact.type must be 'ecr' or 'custom'" },
);

const EcsTargetSchema = z
  .strictObject({
    type: z.literal("ecs"),
    cluster: z.string().min(1, { error: "must name the ECS cluster" }),
    /** One ECS service per colour; the deployment moves the idle colour to the new version. */
    services: z.strictObject({ blue: z.string().min(1), green: z.string().min(1) }),
    listenerArn: arn(
      "elasticloadbalancing",
      /listener\/app\/.+/,
      "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/abc/def",
    ).optional(),
    listenerRuleArn: arn(
      "elasticloadbalancing",
      /listener-rule\/app\/.+/,
      "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/web/abc/def/ghi",
    ).optional(),
    targetGroups: z.strictObject({
      blue: arn(
        "elasticloadbalancing",
        /targetgroup\/.+/,
        "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/blue/abc",
      ),
      green: arn(
        "elasticloadbalancing",
        /targetgroup\/.+/,
        "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/green/abc",
      ),
    }),
    /** Tasks in the fleet, needed only by rolling strategies that count batches in tasks. */
    desiredCount: z.number().int().min(1).optional(),
    /** The container whose image is the artifact. @default the task definition's only container */
    containerName: z.string().min(1).optional(),
  })
  .check((ctx) => {
    const { listenerArn, listenerRuleArn, services, targetGroups } = ctx.value;
    if ((listenerArn === undefined) === (listenerRuleArn === undefined)) {
      ctx.issues.push({
        code: "custom",
        input: ctx.value,
        message:
          "set exactly one of listenerArn (default forward action) or listenerRuleArn (a listener rule)",
      });
    }
    if (services.blue === services.green) {
      ctx.issues.push({
        code: "custom",
        input: services,
        path: ["services"],
        message: "blue and green must be two different ECS services",
      });
    }
    if (targetGroups.blue === targetGroups.green) {
      ctx.issues.push({
        code: "custom",
        input: targetGroups,
        path: ["targetGroups"],
        message: "blue and green must be two different target groups",
      });
    }
  });

const LocalTargetSchema = z.strictObject({
  type: z.literal("local"),
  /** Module of the sample service that the local runtime starts, one process per version. */
  entry: z.string().min(1).default("examples/sample-service/server.ts"),
  desiredCount: z.number().int().min(1).optional(),
});

export const TargetSchema = z.discriminatedUnion("type", [EcsTargetSchema, LocalTargetSchema], {
  error: "target.type must be 'ecs' or 'local'",
});

const comparisons = [
  "GreaterThanThreshold",
  "GreaterThanOrEqualToThreshold",
  "LessThanThreshold",
  "LessThanOrEqualToThreshold",
] as const;

const alarmDefinitionFields = [
  "metric",
  "statistic",
  "periodSeconds",
  "evaluationPeriods",
  "threshold",
  "comparison",
] as const;

/**
 * An alarm is an existing CloudWatch alarm (just its name), or a definition with CloudWatch's semantics over
 * the deployment's per-arm metrics, which the local runtime evaluates and the stack can create.
 * The output is discriminated by `kind` so consumers never guess which one they hold.
 */
export const AlarmSchema = z
  .strictObject({
    name: z.string().min(1).max(255),
    metric: z
      .enum(["ErrorRate", "HTTPCode_Target_5XX_Count", "TargetResponseTime", "RequestCount"])
      .optional(),
    statistic: z
      .string()
      .regex(/^(Average|Sum|Minimum|Maximum|SampleCount|p\d{1,2}(\.\d+)?)$/, {
        error: "must be Average, Sum, Minimum, Maximum, SampleCount or a percentile such as p95",
      })
      .optional(),
    periodSeconds: z
      .number()
      .refine(
        (period) =>
          period === 10 || period === 30 || (Number.isInteger(period) && period >= 60 && period % 60 === 0),
        {
          error: "must be 10, 30 or a multiple of 60 (CloudWatch's periods)",
        },
      )
      .optional(),
    evaluationPeriods: z.number().int().min(1).optional(),
    datapointsToAlarm: z.number().int().min(1).optional(),
    threshold: z.number().optional(),
    comparison: z.enum(comparisons).optional(),
    treatMissingData: z.enum(["missing", "ignore", "breaching", "notBreaching"]).optional(),
  })
  .check((ctx) => {
    const alarm = ctx.value;
    const given = alarmDefinitionFields.filter((field) => alarm[field] !== undefined);
    const definesMore =
      given.length > 0 || alarm.datapointsToAlarm !== undefined || alarm.treatMissingData !== undefined;
    if (definesMore && given.length < alarmDefinitionFields.length) {
      const missing = alarmDefinitionFields.filter((field) => alarm[field] === undefined);
      ctx.issues.push({
        code: "custom",
        input: alarm,
        message: `an alarm definition needs ${missing.join(", ")} too; or give only { name } of an existing CloudWatch alarm`,
      });
    }
    const m = alarm.datapointsToAlarm;
    if (m !== undefined && alarm.evaluationPeriods !== undefined && m > alarm.evaluationPeriods) {
      ctx.issues.push({
        code: "custom",
        input: m,
        path: ["datapointsToAlarm"],
        message: `datapointsToAlarm (${m}) cannot exceed evaluationPeriods (${alarm.evaluationPeriods})`,
      });
    }
  })
  .transform((alarm) => {
    const { name, metric, statistic, periodSeconds, evaluationPeriods, threshold, comparison } = alarm;
    if (
      metric === undefined ||
      statistic === undefined ||
      periodSeconds === undefined ||
      evaluationPeriods === undefined ||
      threshold === undefined ||
      comparison === undefined
    ) {
      return { kind: "existing" as const, name };
    }
    return {
      kind: "definition" as const,
      name,
      metric,
      statistic,
      periodSeconds,
      evaluationPeriods,
      datapointsToAlarm: alarm.datapointsToAlarm ?? evaluationPeriods,
      threshold,
      comparison,
      treatMissingData: alarm.treatMissingData ?? "missing",
    };
  });

export const AnalysisSchema = z.strictObject({
  /** Seconds between evaluations during a bake. @default 30 */
  intervalSeconds: positiveSeconds("intervalSeconds").default(30),
  /**
   * Requests the new arm (and, for latency, each arm) must serve before the analysis may pass it or compare
   * latencies; fewer extends the bake. A sequential 5xx test's failure counts at any sample size. @default 100
   */
  minRequests: z.number().int().min(0).default(100),
  /**
   * Highest tolerated 5xx rate of the new arm, absolute (0.01 = 1%): the analysis rolls back once a sequential
   * test shows the rate above it (with the chance `alpha` of doing so for a rate at the limit). The guard that
   * still works when the old version serves nothing. @default 0.01
   */
  maxErrorRate: z.number().min(0).max(1).default(0.01),
  /**
   * The smallest degradation worth catching, as the ratio of the new arm's 5xx rate to the old arm's. The
   * sequential test passes a release this many times worse with at most a 5% chance, and fails a release no
   * worse than the old one with at most the chance `alpha`; a lower ratio needs more errors to decide, so
   * longer bakes (about 3x as many for 1.5 as for 2). @default 2
   */
  maxErrorRateRatio: z.number().min(1).default(2),
  /** Highest tolerated ratio of the new arm's p95 latency to the old arm's. @default 1.5 */
  maxLatencyRatio: z.number().min(1).default(1.5),
  /**
   * Chance that the sequential tests roll back a release no worse than the old version, however long it bakes
   * and however often it is evaluated. A deployment spends it over its phases: half at the first, a quarter at
   * the second, and so on. @default 0.01
   */
  alpha: z.number().gt(0).lt(0.5).default(0.01),
  /** What an interval without data means. @default "inconclusive" */
  missingData: z.enum(["inconclusive", "breaching", "notBreaching"]).default("inconclusive"),
});

export const ApprovalSchema = z
  .strictObject({
    required: z.boolean().default(false),
    /** Slack user ids or IAM principals allowed to decide. */
    approvers: z.array(z.string().min(1)).default([]),
    /** Seconds before an unanswered approval counts as rejected. @default 86400 */
    timeoutSeconds: positiveSeconds("timeoutSeconds").default(86_400),
  })
  .check((ctx) => {
    if (ctx.value.required && ctx.value.approvers.length === 0) {
      ctx.issues.push({
        code: "custom",
        input: ctx.value.approvers,
        path: ["approvers"],
        message: "approval is required but nobody may approve: list at least one approver",
      });
    }
  });

export const FreezeWindowSchema = z
  .strictObject({
    name: z.string().min(1),
    start: z.iso.datetime({
      offset: true,
      error: "must be an ISO-8601 date-time such as 2026-12-24T00:00:00Z",
    }),
    end: z.iso.datetime({
      offset: true,
      error: "must be an ISO-8601 date-time such as 2026-12-27T00:00:00Z",
    }),
  })
  .check((ctx) => {
    if (Date.parse(ctx.value.end) <= Date.parse(ctx.value.start)) {
      ctx.issues.push({
        code: "custom",
        input: ctx.value.end,
        path: ["end"],
        message: "a freeze window must end after it starts",
      });
    }
  });

export const HookSchema = z.strictObject({
  name: name("hook name"),
  /** Lambda function invoked with the hook contract; `local:<name>` runs a local hook. */
  function: z
    .string()
    .regex(
      /^(arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9_$-]+)?|local:[a-z0-9-]+)$/,
      {
        error: "must be a Lambda function ARN or local:<name>",
      },
    ),
  timeoutSeconds: positiveSeconds("timeoutSeconds")
    .max(900, { error: "timeoutSeconds cannot exceed 900 (Lambda's limit)" })
    .default(300),
  /** A hook that cannot be undone (a schema migration): a later failure freezes instead of rolling back. */
  irreversible: z.boolean().default(false),
});

export const EnvironmentSchema = z
  .strictObject({
    name: name("environment name"),
    account: z.string().regex(/^\d{12}$/, { error: "must be a 12-digit AWS account id" }),
    /** One region, or several deployed as waves in this order. */
    region: z.union([regionName, z.array(regionName).min(1, { error: "list at least one region" })]),
    /** Seconds the promotion bakes a wave before it deploys the next region. @default 600 */
    waveBakeSeconds: z.number().int().min(0).default(600),
    strategy: StrategySchema,
    alarms: z.array(AlarmSchema).default([]),
    analysis: AnalysisSchema.prefault({}),
    approval: ApprovalSchema.prefault({}),
    freezeWindows: z.array(FreezeWindowSchema).default([]),
    /** What a deployment that meets a freeze window does. @default "wait" */
    onFreeze: z.enum(["wait", "fail"]).default("wait"),
    hooks: z
      .strictObject({
        preDeploy: z.array(HookSchema).default([]),
        postDeploy: z.array(HookSchema).default([]),
        smokeTest: z.array(HookSchema).default([]),
      })
      .prefault({}),
  })
  .transform(({ region, ...environment }) => ({
    ...environment,
    regions: typeof region === "string" ? [region] : region,
  }));

export const ServiceSchema = z
  .strictObject({
    name: name("service name"),
    artifact: ArtifactSourceSchema,
    target: TargetSchema,
    /** What a new artifact does while a deployment of the same service and environment runs. @default "queue" */
    concurrency: z.enum(["queue", "supersede"]).default("queue"),
    /** Environments in promotion order. */
    environments: z.array(EnvironmentSchema).min(1, { error: "list at least one environment" }),
  })
  .check((ctx) => {
    uniqueNames(ctx, ctx.value.environments, "environments");
    const { target } = ctx.value;
    ctx.value.environments.forEach((environment, index) => {
      const { strategy } = environment;
      if (strategy.type === "rolling" && "count" in strategy.batch && target.desiredCount === undefined) {
        ctx.issues.push({
          code: "custom",
          input: strategy,
          path: ["environments", index, "strategy", "batch", "count"],
          message: "a rolling batch counted in tasks needs target.desiredCount; set it, or use batch.percent",
        });
      }
      if (strategy.type === "blue-green" && strategy.smokeTest !== undefined) {
        const hooks = environment.hooks.smokeTest.map((hook) => hook.name);
        if (!hooks.includes(strategy.smokeTest)) {
          ctx.issues.push({
            code: "custom",
            input: strategy.smokeTest,
            path: ["environments", index, "strategy", "smokeTest"],
            message: `names no hook in hooks.smokeTest (has: ${hooks.join(", ") || "none"})`,
          });
        }
      }
    });
  });

export const NotificationsSchema = z.strictObject({
  slack: z
    .strictObject({
      channel: z
        .string()
        .regex(/^[#A-Z0-9][A-Za-z0-9_-]*$/, { error: "must be a channel id such as C0123456789 or a #name" }),
      botTokenSecretArn: arn(
        "secretsmanager",
        /secret:.+/,
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:glidepath/slack-bot-AbCdEf",
      ),
      signingSecretArn: arn(
        "secretsmanager",
        /secret:.+/,
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:glidepath/slack-signing-AbCdEf",
      ),
    })
    .optional(),
});

export const GlidepathConfigSchema = z
  .strictObject({
    services: z.array(ServiceSchema).min(1, { error: "list at least one service" }),
    notifications: NotificationsSchema.prefault({}),
  })
  .check((ctx) => uniqueNames(ctx, ctx.value.services, "services"));

export type GlidepathConfigInput = z.input<typeof GlidepathConfigSchema>;
export type GlidepathConfig = z.output<typeof GlidepathConfigSchema>;
export type ServiceConfig = GlidepathConfig["services"][number];
export type EnvironmentConfig = ServiceConfig["environments"][number];
export type AlarmConfig = EnvironmentConfig["alarms"][number];

function isRegExp(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

type CheckContext = { issues: z.core.$ZodRawIssue[] };

function uniqueNames(ctx: CheckContext, items: readonly { name: string }[], path: string): void {
  const seen = new Map<string, number>();
  items.forEach((item, index) => {
    const first = seen.get(item.name);
    if (first === undefined) {
      seen.set(item.name, index);
      return;
    }
    ctx.issues.push({
      code: "custom",
      input: item.name,
      path: [path, index, "name"],
      message: `'${item.name}' is already the name of ${path}[${first}]; names must be unique`,
    });
  });
}
