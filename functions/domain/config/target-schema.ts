import { z } from "zod";
import { arn, regionName } from "./fields.ts";
import { FlagRolloutSchema } from "./flag-schema.ts";
import { CohortSchema, maxStickySeconds } from "./strategy.ts";

export const ArtifactSourceSchema = z.discriminatedUnion(
  "type",
  [
    z
      .strictObject({
        type: z.literal("ecr"),
        repository: z.string().regex(/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/, {
          error: "must be an ECR repository name such as team/checkout",
        }),
        /** Regular expression that an image tag must match to start a deployment. @default any tag */
        tagPattern: z
          .string()
          .refine(isRegExp, { error: "must be a valid regular expression" })
          .default(".*"),
        /**
         * The account and region of the repository when it is not the control plane's: that account's
         * GlidepathTarget stack forwards its pushes to the Glidepath bus. @default the control plane's
         */
        account: z
          .string()
          .regex(/^\d{12}$/, { error: "must be a 12-digit AWS account id" })
          .optional(),
        region: regionName.optional(),
      })
      .check((ctx) => {
        if ((ctx.value.account === undefined) !== (ctx.value.region === undefined)) {
          ctx.issues.push({
            code: "custom",
            input: ctx.value,
            message: "give the repository's account and region together, or neither",
          });
        }
      }),
    z.strictObject({
      type: z.literal("custom"),
      /** The `source` of ArtifactPublished events that carry this service's artifacts. */
      source: z.string().min(1, { error: "must name the event source, such as ci.github" }),
    }),
  ],
  { error: "artifact.type must be 'ecr' or 'custom'" },
);

const ecsTargetFields = {
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
};

/** One listener or rule, and two different services and target groups. */
function checkEcsTarget(
  ctx: z.core.ParsePayload<{
    readonly listenerArn?: string | undefined;
    readonly listenerRuleArn?: string | undefined;
    readonly services: { readonly blue: string; readonly green: string };
    readonly targetGroups: { readonly blue: string; readonly green: string };
  }>,
): void {
  const { listenerArn, listenerRuleArn, services, targetGroups } = ctx.value;
  if ((listenerArn === undefined) === (listenerRuleArn === undefined)) {
    ctx.issues.push({
      code: "custom",
      input: ctx.value,
      message: "set exactly one of listenerArn (default forward action) or listenerRuleArn (a listener rule)",
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
}

export const EcsTargetSchema = z.strictObject(ecsTargetFields).check(checkEcsTarget);

/**
 * How the load balancer routes an experiment on target groups: group stickiness on the weighted forward for
 * `stickySeconds` while the arms split, and the cohort rule, if any, for the same time.
 */
export const ExperimentRoutingSchema = z.strictObject({
  stickySeconds: z.number().int().min(1).max(maxStickySeconds),
  cohort: CohortSchema.nullable(),
});

export type ExperimentRouting = z.output<typeof ExperimentRoutingSchema>;

/** An ECS target as a wave's steps receive it: for an experiment, with how its arms are routed. */
export const EcsWaveTargetSchema = z
  .strictObject({ ...ecsTargetFields, experimentRouting: ExperimentRoutingSchema.optional() })
  .check(checkEcsTarget);

/** AppConfig ids are 4 to 7 lowercase letters and digits. */
const appConfigId = (what: string) =>
  z
    .string()
    .regex(/^[a-z0-9]{4,7}$/, { error: `must be the ${what}'s id, 4 to 7 lowercase letters or digits` });

/**
 * A feature-flag configuration profile in AWS AppConfig, for the `feature-flag` strategy: Glidepath writes the
 * flag's variants as new hosted configuration versions and deploys each with `deploymentStrategy`.
 */
export const AppConfigTargetSchema = z.strictObject({
  type: z.literal("appconfig"),
  application: appConfigId("application"),
  environment: appConfigId("AppConfig environment"),
  /** A configuration profile of type AWS.AppConfig.FeatureFlags, hosted by AppConfig. */
  configurationProfile: appConfigId("configuration profile"),
  /**
   * A deployment strategy of your own with no duration and no bake (the README shows one), so each change is
   * live at once and Glidepath paces the rollout. AppConfig's predefined ones bake for minutes, during which
   * no other deployment may start, and have names, not ids.
   */
  deploymentStrategy: appConfigId("deployment strategy"),
});

/**
 * A Lambda function behind an alias its callers invoke: each deployment publishes a version and moves the
 * alias's weights to it (`RoutingConfig.AdditionalVersionWeights`). The wave's account and region place it.
 */
export const LambdaTargetSchema = z.strictObject({
  type: z.literal("lambda"),
  functionName: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, {
    error: "must be the function's name (not its ARN): 1 to 64 letters, digits, - or _",
  }),
  alias: z.string().regex(/^(?!\d+$)[A-Za-z0-9_-]{1,128}$/, {
    error: "must name an alias (1 to 128 letters, digits, - or _, not a version number)",
  }),
});

/**
 * A Lambda function in the local cloud (`npm start`), deployed as a `lambda` target is on AWS: the local Lambda
 * service runs each code of `handler` (a module exporting `handler`) in its own process, behind `alias`.
 */
export const LocalLambdaTargetSchema = LambdaTargetSchema.extend({
  type: z.literal("local-lambda"),
  handler: z.string().min(1, { error: "must name the function's handler module" }),
});

export const LocalTargetSchema = z.strictObject({
  type: z.literal("local"),
  /** Module of the sample service that the local runtime starts, one process per version. */
  entry: z.string().min(1).default("examples/sample-service/server.ts"),
  desiredCount: z.number().int().min(1).optional(),
});

/** A target of the local cloud (`npm start`), which no AWS account holds. */
export function isLocalTarget<T extends { readonly type: string }>(
  target: T,
): target is Extract<T, { readonly type: "local" | "local-lambda" }> {
  return target.type === "local" || target.type === "local-lambda";
}

/** A Lambda function behind its alias, on AWS or in the local cloud: its arms are versions. */
export function isLambdaTarget<T extends { readonly type: string }>(
  target: T,
): target is Extract<T, { readonly type: "lambda" | "local-lambda" }> {
  return target.type === "lambda" || target.type === "local-lambda";
}

export const TargetSchema = z.discriminatedUnion(
  "type",
  [EcsTargetSchema, AppConfigTargetSchema, LambdaTargetSchema, LocalTargetSchema, LocalLambdaTargetSchema],
  { error: "target.type must be 'ecs', 'appconfig', 'lambda', 'local' or 'local-lambda'" },
);

function isRegExp(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

/**
 * What a feature-flag wave's steps act on: the store that holds the flag (AppConfig, or the local cloud's flag
 * store) and the rollout's flag, split key and metrics, which the strategy gives.
 */
export const FlagTargetSchema = z.strictObject({
  type: z.literal("flag"),
  store: z.discriminatedUnion("type", [AppConfigTargetSchema, LocalTargetSchema]),
  ...FlagRolloutSchema.shape,
});

/** A wave's target as its steps receive it: the config's target, or for a feature-flag rollout the flag. */
export const WaveTargetSchema = z.discriminatedUnion("type", [
  EcsWaveTargetSchema,
  AppConfigTargetSchema,
  LambdaTargetSchema,
  LocalTargetSchema,
  LocalLambdaTargetSchema,
  FlagTargetSchema,
]);
