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

/** ALB target-group stickiness lasts at most 7 days. */
export const maxStickySeconds = 604_800;

/** An HTTP token (RFC 9110), as header and cookie names are, of at most 40 characters. */
const httpToken = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,40}$/;

/**
 * A cohort that always sees the treatment during an experiment on target groups: requests with this header
 * (or cookie) match an ALB listener rule that Glidepath creates at `priority` when the split starts and
 * deletes when it ends, either way. The rule carries the conditions of the target's own rule, if it has one.
 */
export const CohortSchema = z
  .strictObject({
    /** The rule's priority on the listener: free, and before the rule that the target names. */
    priority: z
      .number()
      .int({ error: "cohort.priority must be a whole number" })
      .min(1, { error: "cohort.priority must be at least 1" })
      .max(50_000, { error: "cohort.priority cannot exceed 50000 (ALB's highest rule priority)" }),
    /** Requests with this header set to one of `values` (ALB wildcards `*` and `?` allowed). */
    header: z
      .strictObject({
        name: z.string().regex(httpToken, { error: "must be an HTTP header name of at most 40 characters" }),
        values: z
          .array(z.string().min(1).max(128, { error: "a header value is at most 128 characters" }))
          .min(1, { error: "list at least one header value" })
          .max(5, { error: "an ALB rule matches at most 5 header values" }),
      })
      .optional(),
    /** Requests carrying this cookie with this value. */
    cookie: z
      .strictObject({
        name: z.string().regex(httpToken, { error: "must be a cookie name" }),
        value: z.string().regex(/^[A-Za-z0-9!#$%&'()+./:<=>@^_`{|}~-]{1,80}$/, {
          error:
            "must be a cookie value of at most 80 characters, without spaces, quotes, ',', ';', '*' or '?'",
        }),
      })
      .optional(),
  })
  .check((ctx) => {
    if ((ctx.value.header === undefined) === (ctx.value.cookie === undefined)) {
      ctx.issues.push({
        code: "custom",
        input: ctx.value,
        message: "a cohort is either a header { name, values } or a cookie { name, value }: give exactly one",
      });
    }
  });

export type Cohort = z.output<typeof CohortSchema>;

/**
 * Experiment: the treatment shown to `split`% of users for a planned `durationSeconds` (no early end on a
 * good look: an A/B test runs its course), then judged on the business metric `decideOn`: a winner, or no
 * difference, with the lift and its anytime-valid confidence interval. A treatment that wins goes to 100%
 * (after an approval unless `autoPromote`); otherwise the treatment goes back as a rollback leaves it, and the
 * promotion stops. Errors, alarms and the other checks act during the experiment as in any bake.
 *
 * The arms are either a flag's variants (with `flag`: the feature-flag fields, the same stable hash of a
 * context key) or, without `flag`, the new version's target group against the live one's: the new version is
 * deployed on the idle colour, and the ALB's weighted forward keeps each client on one arm (`stickySeconds`),
 * with an optional `cohort` that always sees the treatment.
 */
export const ExperimentStrategySchema = z
  .strictObject({
    type: z.literal("experiment"),
    /** The flag whose variants are the arms. Without it, the arms are the two colours' target groups. */
    flag: FlagRolloutSchema.shape.flag.optional(),
    /** With `flag`: the context key the split hashes. @default "userId" */
    splitKey: FlagRolloutSchema.shape.splitKey.removeDefault().optional(),
    /** With `flag`: what a rollback leaves, "off" or "previous". @default "off" */
    rollbackTo: FlagRolloutSchema.shape.rollbackTo.removeDefault().optional(),
    /** With `flag`: where the application's per-variant health metrics are (required with a flag). */
    metrics: FlagRolloutSchema.shape.metrics.optional(),
    /**
     * Without `flag`: seconds a client stays on the arm it first got (ALB target-group stickiness, 1 to
     * 604800). @default durationSeconds, at most 7 days
     */
    stickySeconds: z
      .number()
      .int({ error: "stickySeconds must be whole seconds" })
      .min(1, { error: "stickySeconds must be at least 1" })
      .max(maxStickySeconds, { error: "stickySeconds cannot exceed 604800 (ALB's 7 days)" })
      .optional(),
    /** Without `flag`: requests that always see the treatment, by header or cookie. */
    cohort: CohortSchema.optional(),
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
  })
  .check((ctx) => {
    const value = ctx.value;
    const misplaced = (keys: readonly (keyof typeof value)[], message: string) => {
      for (const key of keys) {
        if (value[key] !== undefined)
          ctx.issues.push({ code: "custom", input: value[key], path: [key], message });
      }
    };
    if (value.flag === undefined) {
      misplaced(
        ["splitKey", "rollbackTo", "metrics"],
        "belongs to an experiment on a flag: set flag too, or remove this to experiment on target groups",
      );
    } else {
      if (value.metrics === undefined) {
        ctx.issues.push({
          code: "custom",
          input: value,
          path: ["metrics"],
          message:
            "an experiment on a flag needs metrics { namespace, dimensions }: where the application's per-variant Requests, Errors and Latency are",
        });
      }
      misplaced(
        ["stickySeconds", "cohort"],
        "belongs to an experiment on target groups, which has no flag: a flag's split is sticky by its splitKey",
      );
    }
  });

/** The experiment's arms are a flag's variants rather than two target groups. */
export function isFlagExperiment(strategy: Strategy): boolean {
  return strategy.type === "experiment" && strategy.flag !== undefined;
}

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

/** The strategies that change a flag's split instead of deploying code: a rollout, and an experiment on a flag. */
export function isFlagStrategy(strategy: Strategy): boolean {
  return strategy.type === "feature-flag" || isFlagExperiment(strategy);
}
