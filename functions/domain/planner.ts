import type { CanaryStep, StrategyConfig } from "./config/index.ts";
import { ErrorNames, GlidepathError } from "./errors.ts";

/**
 * What a phase waits on besides its bake: an analysis, an approval, a smoke test, an experiment's verdict, or
 * the watch window after 100% (`watchSeconds`), during which the old version stays at full size.
 */
export type GateKind = "analysis" | "approval" | "smoke-test" | "experiment" | "watch";

/** One stop on the way to 100%: the new version's weight, how long it bakes there, what must pass to move on. */
export interface Phase {
  /** Percentage of traffic (or of the fleet, for rolling) on the new version. */
  readonly weight: number;
  readonly bakeSeconds: number;
  readonly gates: readonly GateKind[];
  /** Seconds the approval gate of this phase waits before it counts as rejected; only on phases with one. */
  readonly approvalTimeoutSeconds?: number;
  /** Only on an experiment's phase: its bake ends with the verdict ("Judge experiment"). */
  readonly judge?: true;
}

export interface Plan {
  readonly strategy: StrategyConfig["type"];
  readonly phases: readonly Phase[];
  /** Seconds from the first shift to success, bakes and analyses only: approvals wait as long as humans take. */
  readonly totalSeconds: number;
  /** Seconds the old version keeps running after success (blue-green), for instant rollback. */
  readonly retireAfterSeconds: number;
  /**
   * Seconds of the watch window: the plan's last phase, at 100%, with the old version still at full size and
   * every check still judging, so that a failure there is a weight flip back; 0 when there is none.
   */
  readonly watchSeconds: number;
}

export interface PlanOptions {
  /** Tasks in the fleet; required by rolling strategies that count batches in tasks. */
  readonly fleetSize?: number;
  /** The environment's watch window after 100% (`watchSeconds`). @default 0 */
  readonly watchSeconds?: number;
}

export class PlanInvalidError extends GlidepathError {
  override readonly name = ErrorNames.PlanInvalid;
}

/** Turns a strategy into the ordered phases a state machine walks. Pure and deterministic. */
export function plan(strategy: StrategyConfig, options: PlanOptions = {}): Plan {
  const watchSeconds = options.watchSeconds ?? 0;
  if (watchSeconds > 0 && strategy.type === "rolling") {
    throw new PlanInvalidError(
      "a rolling deployment has no old version at full size to flip back to after 100%: set watchSeconds to 0, or use canary, linear or blue-green",
    );
  }
  const phases = [
    ...phasesOf(strategy, options),
    ...(watchSeconds > 0 ? [{ weight: 100, bakeSeconds: watchSeconds, gates: ["watch" as const] }] : []),
  ];
  return {
    strategy: strategy.type,
    phases,
    totalSeconds: phases.reduce((sum, phase) => sum + phase.bakeSeconds, 0),
    retireAfterSeconds: strategy.type === "blue-green" ? strategy.retireDelaySeconds : 0,
    watchSeconds,
  };
}

function phasesOf(strategy: StrategyConfig, options: PlanOptions): Phase[] {
  switch (strategy.type) {
    case "all-at-once":
      return [{ weight: 100, bakeSeconds: strategy.bakeSeconds, gates: [] }];
    case "blue-green":
      return [
        ...(strategy.smokeTest === undefined
          ? []
          : [{ weight: 0, bakeSeconds: 0, gates: ["smoke-test" as const] }]),
        { weight: 100, bakeSeconds: strategy.bakeSeconds, gates: [] },
      ];
    case "linear":
      return steppedWeights(strategy.stepPercent).map((weight) => ({
        weight,
        bakeSeconds: weight === 100 ? 0 : strategy.intervalSeconds,
        gates: [],
      }));
    case "rolling":
      return rollingWeights(strategy.batch, options.fleetSize).map((weight) => ({
        weight,
        bakeSeconds: strategy.bakeSeconds,
        gates: [],
      }));
    case "canary":
    case "feature-flag":
      return canaryPhases(strategy.steps);
    case "experiment":
      // The split for the planned duration, judged at its end; a winner then goes to 100%, after an approval
      // unless it promotes itself.
      return [
        {
          weight: strategy.split,
          bakeSeconds: strategy.durationSeconds,
          gates: strategy.autoPromote ? ["experiment"] : ["experiment", "approval"],
          judge: true,
          ...(strategy.autoPromote ? {} : { approvalTimeoutSeconds: strategy.approvalTimeoutSeconds }),
        },
        { weight: 100, bakeSeconds: 0, gates: [] },
      ];
  }
}

function steppedWeights(step: number): number[] {
  const weights: number[] = [];
  for (let weight = step; weight < 100; weight += step) weights.push(weight);
  weights.push(100);
  return weights;
}

function rollingWeights(
  batch: { percent: number } | { count: number },
  fleetSize: number | undefined,
): number[] {
  if ("percent" in batch) return steppedWeights(batch.percent);
  if (fleetSize === undefined || fleetSize < 1) {
    throw new PlanInvalidError(
      `a rolling batch of ${batch.count} task(s) needs the fleet size: set target.desiredCount, or use batch.percent`,
    );
  }
  const weights: number[] = [];
  for (let replaced = batch.count; replaced < fleetSize; replaced += batch.count) {
    weights.push(Math.round((replaced / fleetSize) * 100));
  }
  weights.push(100);
  return weights;
}

interface MutablePhase {
  weight: number;
  bakeSeconds: number;
  gates: GateKind[];
  approvalTimeoutSeconds?: number;
}

function canaryPhases(steps: readonly CanaryStep[]): Phase[] {
  const phases: MutablePhase[] = [];
  const current = (): MutablePhase => {
    const last = phases.at(-1);
    if (last !== undefined) return last;
    const first: MutablePhase = { weight: 0, bakeSeconds: 0, gates: [] };
    phases.push(first);
    return first;
  };
  for (const step of steps) {
    if (step.setWeight !== undefined) {
      if (phases.at(-1)?.weight !== step.setWeight)
        phases.push({ weight: step.setWeight, bakeSeconds: 0, gates: [] });
    } else if (step.bake !== undefined) {
      current().bakeSeconds += step.bake.seconds;
    } else if (step.analysis !== undefined) {
      const phase = current();
      phase.bakeSeconds += step.analysis.seconds;
      phase.gates.push("analysis");
    } else if (step.approval !== undefined) {
      const phase = current();
      phase.gates.push("approval");
      // Two approvals in one phase are one gate: the shorter timeout holds.
      phase.approvalTimeoutSeconds = Math.min(
        phase.approvalTimeoutSeconds ?? Number.POSITIVE_INFINITY,
        step.approval.timeoutSeconds,
      );
    }
  }
  if (phases.at(-1)?.weight !== 100) phases.push({ weight: 100, bakeSeconds: 0, gates: [] });
  return phases;
}
