import { z } from "zod";
import { FlagRolloutSchema } from "./flag-schema.ts";

const seconds = (what: string) =>
  z
    .number({ error: `${what} must be a number of seconds` })
    .int({ error: `${what} must be a whole number of seconds` })
    .min(0, { error: `${what} cannot be negative` })
    .max(31_536_000, { error: `${what} cannot exceed one year (Step Functions' execution limit)` });

const percent = (what: string) =>
  z
    .number({ error: `${what} must be a percentage` })
    .int({ error: `${what} must be a whole percentage` })
    .min(1, { error: `${what} must be at least 1` })
    .max(100, { error: `${what} cannot exceed 100` });

export const AllAtOnceStrategySchema = z.strictObject({
  type: z.literal("all-at-once"),
  /** Seconds to watch the new version at 100% before the deployment succeeds. @default 0 */
  bakeSeconds: seconds("bakeSeconds").default(0),
});

const RollingBatchSchema = z.union(
  [
    z.strictObject({ percent: percent("batch.percent") }),
    z.strictObject({ count: z.number().int().min(1, { error: "batch.count must be at least 1 task" }) }),
  ],
  {
    error: "batch must be either { percent: 1-100 } or { count: tasks per batch }",
  },
);

export const RollingStrategySchema = z.strictObject({
  type: z.literal("rolling"),
  batch: RollingBatchSchema,
  /** Seconds to watch each batch before the next one. @default 0 */
  bakeSeconds: seconds("bakeSeconds").default(0),
});

export const BlueGreenStrategySchema = z.strictObject({
  type: z.literal("blue-green"),
  /** Name of a hook (environment `hooks.smokeTest`) run against the idle colour before the switch. */
  smokeTest: z.string().min(1).optional(),
  /** Seconds to watch the new colour at 100% before the deployment succeeds. @default 300 */
  bakeSeconds: seconds("bakeSeconds").default(300),
  /** Seconds the old colour keeps running after success, for instant rollback. @default 3600 */
  retireDelaySeconds: seconds("retireDelaySeconds").default(3600),
});

const AnalysisStepSchema = z.strictObject({
  /** Seconds of traffic the analysis observes at the current weight. @default 60 */
  seconds: seconds("analysis.seconds").default(60),
});

const ApprovalStepSchema = z.strictObject({
  /** Seconds before an unanswered approval counts as rejected. @default 86400 */
  timeoutSeconds: seconds("approval.timeoutSeconds").min(1).default(86_400),
});

const stepActions = ["setWeight", "bake", "analysis", "approval"] as const;

export const CanaryStepSchema = z
  .strictObject({
    setWeight: percent("setWeight").optional(),
    bake: z
      .strictObject({ seconds: seconds("bake.seconds").min(1, { error: "bake.seconds must be at least 1" }) })
      .optional(),
    analysis: AnalysisStepSchema.optional(),
    approval: ApprovalStepSchema.optional(),
  })
  .check((ctx) => {
    const present = stepActions.filter((key) => ctx.value[key] !== undefined);
    if (present.length !== 1) {
      ctx.issues.push({
        code: "custom",
        input: ctx.value,
        message:
          present.length === 0
            ? `a step needs exactly one action: one of ${stepActions.join(", ")}`
            : `a step has exactly one action, found ${present.join(" and ")}: split it into ${present.length} steps`,
      });
    }
  });

const canarySteps = (what: string) =>
  z
    .array(CanaryStepSchema)
    .min(1, { error: `${what} needs at least one step, e.g. { setWeight: 10 }` })
    .check((ctx) => {
      let previous = 0;
      ctx.value.forEach((step, index) => {
        if (step.setWeight === undefined) return;
        if (step.setWeight < previous) {
          ctx.issues.push({
            code: "custom",
            input: step,
            path: [index, "setWeight"],
            message: `weights only go up: ${step.setWeight} comes after ${previous}. Lowering traffic is a rollback, which Glidepath does on its own`,
          });
        }
        previous = Math.max(previous, step.setWeight);
      });
    });

export const CanaryStrategySchema = z.strictObject({
  type: z.literal("canary"),
  steps: canarySteps("a canary"),
});

/**
 * Feature flag: the flag's `treatment` variant shown to a growing share of users (`setWeight`), chosen by a
 * stable hash of a context key (AppConfig's `split by::$<key> pct::N`), judged per variant on the metrics the
 * application emits with the variant as its `Variant` dimension. No code is deployed: the code that reads
 * the flag already runs.
 */
export const FeatureFlagStrategySchema = z.strictObject({
  type: z.literal("feature-flag"),
  ...FlagRolloutSchema.shape,
  steps: canarySteps("a feature-flag rollout"),
});

export const LinearStrategySchema = z.strictObject({
  type: z.literal("linear"),
  stepPercent: percent("stepPercent"),
  intervalSeconds: seconds("intervalSeconds").min(1, { error: "intervalSeconds must be at least 1" }),
});

export const StrategyObjectSchema = z.discriminatedUnion(
  "type",
  [
    AllAtOnceStrategySchema,
    RollingStrategySchema,
    BlueGreenStrategySchema,
    CanaryStrategySchema,
    LinearStrategySchema,
    FeatureFlagStrategySchema,
  ],
  { error: "type must be one of all-at-once, rolling, blue-green, canary, linear, feature-flag" },
);

export type StrategyInput = z.input<typeof StrategyObjectSchema>;
export type Strategy = z.output<typeof StrategyObjectSchema>;
export type CanaryStep = z.output<typeof CanaryStepSchema>;
export type StrategyType = Strategy["type"];
