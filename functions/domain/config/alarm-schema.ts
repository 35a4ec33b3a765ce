import { z } from "zod";
import { OnFailSchema } from "./check-schema.ts";

const comparisons = [
  "GreaterThanThreshold",
  "GreaterThanOrEqualToThreshold",
  "LessThanThreshold",
  "LessThanOrEqualToThreshold",
] as const;

const metrics = ["ErrorRate", "HTTPCode_Target_5XX_Count", "TargetResponseTime", "RequestCount"] as const;
const treatments = ["missing", "ignore", "breaching", "notBreaching"] as const;

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
    metric: z.enum(metrics).optional(),
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
    treatMissingData: z.enum(treatments).optional(),
    /** What the alarm in ALARM does: roll back at once, or pause for a human. @default "rollback" */
    onFail: OnFailSchema.optional(),
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
      return { kind: "existing" as const, name, onFail: alarm.onFail ?? "rollback" };
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
      onFail: alarm.onFail ?? "rollback",
    };
  });

/** A defined alarm as the config schema outputs it: what a deployment request carries to put it on AWS. */
export const AlarmDefinitionSchema = z.strictObject({
  kind: z.literal("definition"),
  name: z.string().min(1).max(255),
  metric: z.enum(metrics),
  statistic: z.string().min(1),
  periodSeconds: z.number().int().min(10),
  evaluationPeriods: z.number().int().min(1),
  datapointsToAlarm: z.number().int().min(1),
  threshold: z.number(),
  comparison: z.enum(comparisons),
  treatMissingData: z.enum(treatments),
  onFail: OnFailSchema.default("rollback"),
});
