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

/**
 * Experiment: the flag's `treatment` variant shown to `split`% of users, chosen by the same stable hash as a
 * feature-flag rollout, for a planned `durationSeconds` (no early end on a good look: an A/B test runs its
 * course), then judged on the business metric `decideOn`: a winner, or no difference, with the lift and its
 * anytime-valid confidence interval. A treatment that wins goes to 100% (after an approval unless
 * `autoPromote`); otherwise the flag goes back as a rollback leaves it, and the promotion stops. Errors,
 * alarms and the other checks act during the experiment as in any bake.
 */
export const ExperimentStrategySchema = z.strictObject({
  type: z.literal("experiment"),
  ...FlagRolloutSchema.shape,
  /** The treatment's share of users during the experiment. @default 50 */
  split: percent("split")
    .max(99, { error: "split cannot exceed 99: an experiment needs users on both arms" })
    .default(50),
  /** How long the experiment runs before it is judged. */
  durationSeconds: seconds("durationSeconds").min(1, { error: "durationSeconds must be at least 1" }),
  /** The name of the environment's business metric (`metrics[].name`) the verdict is on. */
  decideOn: z.string().min(1, { error: "decideOn names one of the environment's metrics" }),
  /**
   * The chance that the verdict's interval misses the true lift (and so of a wrong winner). @default 0.05
   */
  alpha: z
    .number()
    .gt(0)
    .lt(0.5, { error: "alpha must be below 0.5 (0.05 is 95% confidence)" })
    .default(0.05),
  /** Promote a winning treatment to 100% without an approval. @default false */
  autoPromote: z.boolean().default(false),
  /** Seconds the approval of a winning treatment waits before it counts as rejected. @default 86400 */
  approvalTimeoutSeconds: seconds("approvalTimeoutSeconds").min(1).default(86_400),
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
    ExperimentStrategySchema,
  ],
  {
    error: "type must be one of all-at-once, rolling, blue-green, canary, linear, feature-flag, experiment",
  },
);

export type StrategyInput = z.input<typeof StrategyObjectSchema>;
export type Strategy = z.output<typeof StrategyObjectSchema>;
export type CanaryStep = z.output<typeof CanaryStepSchema>;
export type StrategyType = Strategy["type"];

/** Every strategy's `type`, in the order of the union. */
export const strategyTypeNames = StrategyObjectSchema.options.map((option) => option.shape.type.value) as [
  StrategyType,
  ...StrategyType[],
];

/** The strategies that change a flag's split instead of deploying code: a rollout and an experiment. */
export function isFlagStrategy(type: StrategyType): type is "feature-flag" | "experiment" {
  return type === "feature-flag" || type === "experiment";
}
