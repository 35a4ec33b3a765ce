import { z } from "zod";
import { dependencyCycle } from "../release/order.ts";
import { AlarmSchema } from "./alarm-schema.ts";
import {
  BusinessMetricSchema,
  ErrorsCheckSchema,
  LatencyCheckSchema,
  PauseSchema,
  TargetHealthSchema,
} from "./check-schema.ts";
import { arn, name, positiveSeconds, regionName } from "./fields.ts";
import { checkHistoryBudget } from "./history-check.ts";
import { checkLambdaTargets } from "./lambda-checks.ts";
import { isPresetName, Presets, presetNames } from "./presets.ts";
import { StrategyObjectSchema } from "./strategy.ts";
import {
  checkConfigTargets,
  checkControlPlaneImplied,
  checkRollingCounts,
  checkServiceTargets,
  checkStrategyTargets,
} from "./target-checks.ts";
import { ArtifactSourceSchema, TargetSchema } from "./target-schema.ts";

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

export const AnalysisSchema = z.strictObject({
  /** Seconds between evaluations during a bake. @default 30 */
  intervalSeconds: positiveSeconds("intervalSeconds").default(30),
  /**
   * The longest wait between two evaluations of a long bake. Looks come every `intervalSeconds` at first, then
   * a tenth of the time baked so far apart, up to this (the analysis is anytime-valid, so fewer looks stay
   * valid; alarm events and humans still end a wait at once): a 24-hour bake takes 177 evaluations, not
   * 2,880, and fits Step Functions' 25,000 history events. Set it to `intervalSeconds` for evenly spaced looks.
   * @default 600
   */
  maxIntervalSeconds: positiveSeconds("maxIntervalSeconds").default(600),
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
  /** What a failed 5xx analysis does. @default { onFail: "rollback" } */
  errors: ErrorsCheckSchema.prefault({}),
  /** What a p95 above `maxLatencyRatio` does, once it lasts `forSeconds`. @default { onFail: "pause" } */
  latency: LatencyCheckSchema.prefault({}),
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
    /** What every region of this environment deploys to. @default the service's target */
    target: TargetSchema.optional(),
    /** What each region deploys to, by region name, when the regions are not alike. */
    targets: z.record(regionName, TargetSchema).optional(),
    /** Seconds the promotion bakes a wave before it deploys the next region. @default 600 */
    waveBakeSeconds: z.number().int().min(0).default(600),
    strategy: StrategySchema,
    /**
     * Seconds a deployment keeps watching at 100% before it succeeds and retires the old version: the old
     * version stays at full size, the alarms and the analysis keep judging, and a failure there is a weight
     * flip back (ROLLED_BACK, no redeploy); `promote` skips the rest. Not for rolling, which has replaced the
     * old version by then. @default 0
     */
    watchSeconds: z
      .number()
      .int()
      .min(0)
      .max(86_400, { error: "at most 86400 (a day); a longer watch is a bake of its own" })
      .default(0),
    alarms: z.array(AlarmSchema).default([]),
    analysis: AnalysisSchema.prefault({}),
    /** Business metrics judged per arm beside the alarms and the 5xx analysis. @default [] */
    metrics: z
      .array(BusinessMetricSchema)
      .max(20, { error: "at most 20 business metrics per environment (4 CloudWatch queries each)" })
      .default([]),
    /** The share of the new version's targets that may be unhealthy during bakes. @default not watched */
    targetHealth: TargetHealthSchema.optional(),
    /** What a pause a check asked for waits, and does when it times out. */
    pause: PauseSchema.prefault({}),
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
    /** The default target of every environment that names none of its own. */
    target: TargetSchema.optional(),
    /** What a new artifact does while a deployment of the same service and environment runs. @default "queue" */
    concurrency: z.enum(["queue", "supersede"]).default("queue"),
    /** Services this one needs first: in a release, it deploys after them and rolls back before them. */
    dependsOn: z.array(name("service name")).default([]),
    /** Environments in promotion order. */
    environments: z.array(EnvironmentSchema).min(1, { error: "list at least one environment" }),
  })
  .check((ctx) => {
    uniqueNames(ctx, ctx.value.environments, ["environments"]);
    ctx.value.environments.forEach((environment, index) => {
      uniqueNames(ctx, environment.metrics, ["environments", index, "metrics"]);
    });
    ctx.value.environments.forEach((environment, index) => {
      const { strategy } = environment;
      if (strategy.type === "experiment") {
        const metrics = environment.metrics.map((metric) => metric.name);
        if (!metrics.includes(strategy.decideOn)) {
          ctx.issues.push({
            code: "custom",
            input: strategy.decideOn,
            path: ["environments", index, "strategy", "decideOn"],
            message: `names no metric in this environment's metrics (has: ${metrics.join(", ") || "none"}); the verdict is on one of them`,
          });
        }
      }
      if (strategy.type === "rolling" && environment.watchSeconds > 0) {
        ctx.issues.push({
          code: "custom",
          input: environment.watchSeconds,
          path: ["environments", index, "watchSeconds"],
          message:
            "a rolling deployment has replaced the old version by 100%, so nothing is left to flip back to: set 0, or use canary, linear or blue-green",
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

/** Where the Glidepath control plane runs: the account and region of its stack, its bus and its step roles. */
export const ControlPlaneSchema = z.strictObject({
  account: z.string().regex(/^\d{12}$/, { error: "must be a 12-digit AWS account id" }),
  region: regionName,
  /** What the control plane's steps pass as `ExternalId` when they assume a deploy role. @default "glidepath" */
  externalId: z
    .string()
    .regex(/^[\w+=,.@:/-]{2,1224}$/, { error: "must be 2-1224 characters of letters, digits and +=,.@:/-" })
    .optional(),
});

export const GlidepathConfigSchema = z
  .strictObject({
    /**
     * The control plane's account and region. Required when the AWS targets span several accounts or regions;
     * @default the one account and region of every AWS target
     */
    controlPlane: ControlPlaneSchema.optional(),
    services: z.array(ServiceSchema).min(1, { error: "list at least one service" }),
    notifications: NotificationsSchema.prefault({}),
  })
  .check((ctx) => {
    uniqueNames(ctx, ctx.value.services, ["services"]);
    // Targets are checked here, once for the whole config: the checks across services need every wave.
    const uses = ctx.value.services.map((service, index) =>
      checkServiceTargets(service, ctx.issues, ["services", index]),
    );
    ctx.value.services.forEach((service, index) => {
      checkRollingCounts(service, uses[index] ?? [], ctx.issues, ["services", index]);
      checkStrategyTargets(service, uses[index] ?? [], ctx.issues, ["services", index]);
      checkLambdaTargets(service, uses[index] ?? [], ctx.issues, ["services", index]);
      checkHistoryBudget(service, uses[index] ?? [], ctx.issues, ["services", index]);
    });
    checkConfigTargets(ctx.value.services, uses, ctx.issues);
    checkDependencies(ctx.value.services, ctx.issues);
    if (ctx.value.controlPlane === undefined) checkControlPlaneImplied(ctx.value.services, uses, ctx.issues);
  });

export type GlidepathConfigInput = z.input<typeof GlidepathConfigSchema>;
export type GlidepathConfig = z.output<typeof GlidepathConfigSchema>;
export type ServiceConfig = GlidepathConfig["services"][number];
export type EnvironmentConfig = ServiceConfig["environments"][number];
export type AlarmConfig = EnvironmentConfig["alarms"][number];

type CheckContext = { issues: z.core.$ZodRawIssue[] };

function uniqueNames(
  ctx: CheckContext,
  items: readonly { name: string }[],
  path: readonly (string | number)[],
): void {
  const label = path
    .map((part) => (typeof part === "number" ? `[${part}]` : `.${part}`))
    .join("")
    .slice(1);
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
      path: [...path, index, "name"],
      message: `'${item.name}' is already the name of ${label}[${first}]; names must be unique`,
    });
  });
}

/**
 * Every `dependsOn` names another service of the config, once; and the dependencies have no cycle, which is
 * printed whole (`a → b → a`) on the first service it passes through.
 */
function checkDependencies(
  services: readonly { readonly name: string; readonly dependsOn: readonly string[] }[],
  issues: z.core.$ZodRawIssue[],
): void {
  const names = services.map((service) => service.name);
  services.forEach((service, index) => {
    service.dependsOn.forEach((dependency, at) => {
      const path = ["services", index, "dependsOn", at];
      const problem =
        dependency === service.name
          ? "a service cannot depend on itself"
          : !names.includes(dependency)
            ? `names no service of the config (has: ${names.filter((other) => other !== service.name).join(", ") || "none"})`
            : service.dependsOn.indexOf(dependency) !== at
              ? `'${dependency}' is listed twice`
              : undefined;
      if (problem !== undefined) issues.push({ code: "custom", input: dependency, path, message: problem });
    });
  });
  const cycle = dependencyCycle(
    services.map((service) => ({
      name: service.name,
      dependsOn: service.dependsOn.filter((dependency) => dependency !== service.name),
    })),
  );
  if (cycle !== undefined) {
    issues.push({
      code: "custom",
      input: cycle,
      path: ["services", names.indexOf(cycle[0] ?? ""), "dependsOn"],
      message: `the services depend on each other in a cycle: ${cycle.join(" → ")}; remove one of these dependencies`,
    });
  }
}
