import { z } from "zod";
import { AnalysisSchema } from "../domain/config/schema.ts";
import { DecisionAction } from "../domain/deployment.ts";
import { AlarmFiredError, AnalysisFailedError } from "../domain/errors.ts";
import { type Evaluation, evaluate, Verdict } from "../domain/evaluate.ts";
import type { Ports } from "../domain/ports/index.ts";
import { otherColour } from "../domain/ports/traffic-router.ts";
import { accessOf, colourSchema, parseInput, targetFields, weightSchema } from "./schemas.ts";

const EvaluateInput = z.object({
  ...targetFields,
  newColour: colourSchema,
  alarms: z.array(z.string().min(1)),
  analysis: AnalysisSchema,
  phase: z.object({
    index: z.number().int().min(0),
    weight: weightSchema,
    bakeSeconds: z.number().int().min(0),
  }),
  /** Seconds baked at this weight so far (the sum of the waits before this evaluation). */
  elapsedSeconds: z.number().int().min(0),
  /** When traffic moved to this weight; the metrics window starts here. */
  shiftedAt: z.iso.datetime(),
});

export interface EvaluateOutput {
  readonly verdict: Evaluation["verdict"];
  readonly reason: string;
  readonly complete: boolean;
  readonly waitSeconds: number;
  /** `elapsedSeconds` of the next evaluation, after the wait. */
  readonly nextElapsedSeconds: number;
}

/**
 * Judges the new version at its current weight from alarm states and per-arm metrics, records the decision
 * with every value it used, and fails with `AlarmFiredError` or `AnalysisFailedError` when it must roll back.
 */
export function createEvaluateHandler(ports: Ports) {
  return async (event: unknown): Promise<EvaluateOutput> => {
    const input = parseInput(EvaluateInput, event, "evaluate");
    const signals = ports.healthSignals(input.target, accessOf(input));
    const oldColour = otherColour(input.newColour);
    const start = new Date(input.shiftedAt);
    // The first evaluation can run in the millisecond of the shift; a window is never empty.
    const end = new Date(Math.max(ports.clock().getTime(), start.getTime() + 1000));
    const [alarms, metrics] = await Promise.all([
      signals.alarms(input.alarms),
      signals.armMetrics({ start, end }),
    ]);
    const result = evaluate({
      alarms,
      metrics: { old: metrics[oldColour], new: metrics[input.newColour] },
      analysis: input.analysis,
      bake: { elapsedSeconds: input.elapsedSeconds, bakeSeconds: input.phase.bakeSeconds },
      phaseIndex: input.phase.index,
    });
    const firing = alarms.found.filter((alarm) => alarm.state === "ALARM").map((alarm) => alarm.name);
    // The bake's own clock, not the caller's: a redelivered evaluation finds its decision already recorded.
    const at = new Date(Date.parse(input.shiftedAt) + input.elapsedSeconds * 1000).toISOString();
    await ports.decisions.append({
      deploymentId: input.deploymentId,
      id: `phase-${input.phase.index + 1}-at-${input.elapsedSeconds}s`,
      at,
      action:
        result.verdict === Verdict.Rollback
          ? DecisionAction.Rollback
          : result.verdict === Verdict.Extend
            ? DecisionAction.Extend
            : DecisionAction.Continue,
      actor: firing.length > 0 ? `alarm:${firing.join(",")}` : "analysis",
      reason: result.reason,
      values: { ...result.values, phase: input.phase, newColour: input.newColour },
    });
    if (result.verdict === Verdict.Rollback) {
      throw firing.length > 0 || alarms.missing.length > 0
        ? new AlarmFiredError(result.reason)
        : new AnalysisFailedError(result.reason);
    }
    return {
      verdict: result.verdict,
      reason: result.reason,
      complete: result.bake.complete,
      waitSeconds: result.bake.waitSeconds,
      nextElapsedSeconds: input.elapsedSeconds + result.bake.waitSeconds,
    };
  };
}
