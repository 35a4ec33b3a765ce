import { z } from "zod";
import type { AlarmStateValue } from "./ports/health-signals.ts";

/**
 * CloudWatch puts every alarm's state changes on its account's default bus under this source and detail-type:
 * the rule that routes them, the local bus that imitates it and resolve-gate that reads them use these names.
 */
export const AlarmStateChangeSource = "aws.cloudwatch";
export const AlarmStateChangeDetailType = "CloudWatch Alarm State Change";

const alarmStateValues = ["OK", "ALARM", "INSUFFICIENT_DATA"] as const satisfies readonly AlarmStateValue[];

const AlarmStateSchema = z.object({
  value: z.enum(alarmStateValues),
  reason: z.string(),
  timestamp: z.string(),
});

/**
 * The detail of a "CloudWatch Alarm State Change" event, the parts Glidepath reads (the alarm's configuration
 * and the states' `reasonData` are dropped).
 */
export const AlarmStateChangeSchema = z.object({
  alarmName: z.string().min(1),
  state: AlarmStateSchema,
  previousState: AlarmStateSchema,
});
export type AlarmStateChange = z.output<typeof AlarmStateChangeSchema>;
