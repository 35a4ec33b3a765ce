import { z } from "zod";
import { name, positiveSeconds } from "./fields.ts";

/**
 * What a failed check does: roll back at once, or hold the current weight for a human (`PAUSED`), whose
 * pause times out into `pause.onTimeout`. A hard signal (errors, alarms, unhealthy targets) rolls back by
 * default; a soft one (latency, business metrics) pauses.
 */
export const OnFailSchema = z.enum(["rollback", "pause"]);
export type OnFail = z.output<typeof OnFailSchema>;

/**
 * Seconds a check must keep failing, evaluation after evaluation, before it counts ("p95 up 50% for 5
 * minutes"); 0 counts the first failed evaluation.
 */
const forSeconds = z.number().int({ error: "forSeconds must be whole seconds" }).min(0).default(0);

/** The dimension the application adds to every business metric: the arm (variant) that served the request. */
export const VariantDimension = "Variant";

/**
 * The environment variable through which Glidepath tells an ECS task its arm (`blue`, `green`): the value the
 * application gives the `Variant` dimension.
 */
export const VariantEnvironmentVariable = "GLIDEPATH_VARIANT";

const metricName = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[^:]/, { error: "must be a CloudWatch metric name (not starting with ':')" });

/**
 * A business metric: the ratio of two counts the application emits per arm, such as checkouts completed over
 * checkouts started, with the arm as the `Variant` dimension (CloudWatch embedded metric format). The
 * analysis tests, sequentially and anytime-valid like the 5xx analysis, whether the new arm's ratio is lower
 * than the old arm's by `maxDrop` or more.
 */
export const BusinessMetricSchema = z
  .strictObject({
    name: name("metric name"),
    /** The CloudWatch namespace the application emits into. */
    namespace: z.string().min(1).max(255),
    /** The count that falls when the release is worse: `checkout_completed`. */
    numerator: metricName,
    /** What it is counted against: `checkout_started`. */
    denominator: metricName,
    /** Dimensions of both metrics besides `Variant`, as the application emits them. @default {} */
    dimensions: z.record(z.string().min(1).max(255), z.string().min(1).max(1024)).default({}),
    /**
     * The relative drop worth catching (0.1 = the new arm's ratio 10% below the old arm's): a drop this large
     * fails the test with at least 95% chance, no drop fails it with at most the chance `analysis.alpha`.
     * @default 0.1
     */
    maxDrop: z
      .number()
      .gt(0, { error: "maxDrop must be above 0 (0.1 is a drop of 10%)" })
      .lt(1, { error: "maxDrop must be below 1 (0.1 is a drop of 10%)" })
      .default(0.1),
    /** Counts of `denominator` the new arm must reach before the test may decide either way. @default 100 */
    minSamples: z.number().int().min(0).default(100),
    onFail: OnFailSchema.default("pause"),
  })
  .check((ctx) => {
    if (Object.hasOwn(ctx.value.dimensions, VariantDimension)) {
      ctx.issues.push({
        code: "custom",
        input: ctx.value.dimensions,
        path: ["dimensions", VariantDimension],
        message: `${VariantDimension} is the arm, which Glidepath sets per arm: remove it from dimensions`,
      });
    }
    if (ctx.value.numerator === ctx.value.denominator) {
      ctx.issues.push({
        code: "custom",
        input: ctx.value.numerator,
        path: ["numerator"],
        message: "numerator and denominator are the same metric: their ratio is always 1",
      });
    }
  });
export type BusinessMetricConfig = z.output<typeof BusinessMetricSchema>;

/** The new version's targets during bakes: the share of them that fail their health checks. */
export const TargetHealthSchema = z.strictObject({
  /** Highest tolerated share of the new version's targets that are unhealthy (0.3 = 30%). */
  maxUnhealthyShare: z.number().min(0).lt(1),
  forSeconds,
  onFail: OnFailSchema.default("rollback"),
});
export type TargetHealthConfig = z.output<typeof TargetHealthSchema>;

/** The 5xx analysis' two tests (against the limit, against the old version). */
export const ErrorsCheckSchema = z.strictObject({ onFail: OnFailSchema.default("rollback") });

/** The p95 comparison against `maxLatencyRatio`. */
export const LatencyCheckSchema = z.strictObject({ forSeconds, onFail: OnFailSchema.default("pause") });

/** What a pause a check asked for does when nobody decides: roll back, or resume the plan. */
export const PauseSchema = z.strictObject({
  /** Seconds a pause waits for a human. @default 3600 */
  timeoutSeconds: positiveSeconds("timeoutSeconds").default(3600),
  /** @default "rollback" */
  onTimeout: z.enum(["rollback", "resume"]).default("rollback"),
});
export type PauseConfig = z.output<typeof PauseSchema>;
