import { z } from "zod";
import { BusinessMetricSchema, PauseSchema, TargetHealthSchema } from "../domain/config/check-schema.ts";
import { AnalysisSchema } from "../domain/config/schema.ts";
import { DecisionAction, DeploymentStatus } from "../domain/deployment.ts";
import { AlarmFiredError, AnalysisFailedError, PauseTimedOutError } from "../domain/errors.ts";
import { type Evaluation, type EvaluationState, evaluate, Verdict } from "../domain/evaluate.ts";
import type { Ports } from "../domain/ports/index.ts";
import { otherColour } from "../domain/ports/traffic-router.ts";
import { accessOf, colourSchema, parseInput, targetFields, weightSchema, windowSince } from "./schemas.ts";

/** What the previous evaluation of the phase left (`$.evaluation.state`); a pause the state machine ended is absent. */
const StateSchema = z.object({
  failing: z.record(z.string(), z.number().int().min(0)),
  pause: z
    .object({ sinceSeconds: z.number().int().min(0), by: z.enum(["check", "human"]) })
    .nullish()
    .transform((pause) => pause ?? null),
  acknowledged: z.boolean(),
});

const EvaluateInput = z.object({
  ...targetFields,
  newColour: colourSchema,
  alarms: z.array(z.string().min(1)),
  pauseAlarms: z.array(z.string().min(1)).default([]),
  analysis: AnalysisSchema,
  // Defaults for the executions started before these fields existed, which run on through an upgrade.
  metrics: z.array(BusinessMetricSchema).default([]),
  targetHealth: TargetHealthSchema.nullable().default(null),
  pause: PauseSchema.prefault({}),
  phase: z.object({
    index: z.number().int().min(0),
    weight: weightSchema,
    bakeSeconds: z.number().int().min(0),
    /** The plan's gates of this phase; "watch" is the watch window after 100%. */
    gates: z.array(z.string()).default([]),
  }),
  /** Seconds baked at this weight so far (the sum of the waits before this evaluation). */
  elapsedSeconds: z.number().int().min(0),
  /** When traffic moved to this weight; the metrics window starts here. */
  shiftedAt: z.iso.datetime(),
  state: StateSchema.prefault({ failing: {}, acknowledged: false }),
});

export interface EvaluateOutput {
  readonly verdict: Evaluation["verdict"];
  readonly reason: string;
  readonly complete: boolean;
  readonly waitSeconds: number;
  /** `elapsedSeconds` of the next evaluation, after the wait. */
  readonly nextElapsedSeconds: number;
  readonly state: EvaluationState;
}

const actions = {
  [Verdict.Continue]: DecisionAction.Continue,
  [Verdict.Extend]: DecisionAction.Extend,
  [Verdict.Pause]: DecisionAction.Pause,
  [Verdict.Rollback]: DecisionAction.Rollback,
} as const;

/**
 * Judges the new version at its current weight from alarm states, per-arm request and business metrics and
 * the new version's target health, records the decision with every value it used, and fails with
 * `AlarmFiredError`, `AnalysisFailedError` or `PauseTimedOutError` when it must roll back.
 */
export function createEvaluateHandler(ports: Ports) {
  return async (event: unknown): Promise<EvaluateOutput> => {
    const input = parseInput(EvaluateInput, event, "evaluate");
    const access = accessOf(input);
    const signals = ports.healthSignals(input.target, access);
    const oldColour = otherColour(input.newColour);
    const window = windowSince(input.shiftedAt, ports.clock());
    const [alarms, metrics, businessMetrics, status] = await Promise.all([
      signals.alarms(input.alarms),
      signals.armMetrics(window),
      input.metrics.length === 0 ? [] : signals.businessMetrics(input.metrics, window),
      input.targetHealth === null
        ? undefined
        : ports.deployTarget(input.target, access).status(input.newColour),
    ]);
    const result = evaluate({
      alarms,
      metrics: { old: metrics[oldColour], new: metrics[input.newColour] },
      analysis: input.analysis,
      bake: { elapsedSeconds: input.elapsedSeconds, bakeSeconds: input.phase.bakeSeconds },
      phaseIndex: input.phase.index,
      watch: input.phase.gates.includes("watch"),
      businessMetrics: input.metrics.flatMap((metric, index) => {
        const counts = businessMetrics[index];
        return counts === undefined ? [] : [{ metric, old: counts[oldColour], new: counts[input.newColour] }];
      }),
      ...(input.targetHealth === null || status === undefined
        ? {}
        : {
            targetHealth: {
              settings: input.targetHealth,
              counts: { healthy: status.healthyTargets, unhealthy: status.unhealthyTargets },
            },
          }),
      state: input.state,
      pause: input.pause,
      pauseAlarms: input.pauseAlarms,
    });
    // In the watch window after 100% the old version still runs at full size: a rollback is a weight flip.
    const reason = input.phase.gates.includes("watch")
      ? `in the watch window at 100%: ${result.reason}`
      : result.reason;
    const firing = alarms.found.filter((alarm) => alarm.state === "ALARM").map((alarm) => alarm.name);
    const pausing = new Set(input.pauseAlarms);
    // The bake's own clock, not the caller's: a redelivered evaluation finds its decision already recorded.
    const at = new Date(Date.parse(input.shiftedAt) + input.elapsedSeconds * 1000).toISOString();
    await ports.decisions.append({
      deploymentId: input.deploymentId,
      id: `phase-${input.phase.index + 1}-at-${input.elapsedSeconds}s`,
      at,
      action: actions[result.verdict],
      actor: firing.length > 0 ? `alarm:${firing.join(",")}` : "analysis",
      reason,
      values: { ...result.values, phase: input.phase, newColour: input.newColour },
    });
    if (result.verdict === Verdict.Rollback) {
      const rollsBack = (name: string) => !pausing.has(name);
      throw firing.some(rollsBack) || alarms.missing.some(rollsBack)
        ? new AlarmFiredError(reason)
        : result.pauseTimedOut
          ? new PauseTimedOutError(reason)
          : new AnalysisFailedError(reason);
    }
    if (input.state.pause !== null && result.state.pause === null) await resumed(ports, input.deploymentId);
    return {
      verdict: result.verdict,
      reason,
      complete: result.bake.complete,
      waitSeconds: result.bake.waitSeconds,
      nextElapsedSeconds: input.elapsedSeconds + result.bake.waitSeconds,
      state: result.state,
    };
  };
}

/** A pause that timed out into `resume`: the deployment is in progress again (once, however often redelivered). */
async function resumed(ports: Ports, deploymentId: string): Promise<void> {
  const deployment = await ports.deployments.get(deploymentId);
  if (deployment?.status !== DeploymentStatus.Paused) return;
  await ports.deployments.transition(deploymentId, DeploymentStatus.InProgress, {
    currentStep: "Resumed: the pause timed out (pause.onTimeout is resume)",
  });
}
