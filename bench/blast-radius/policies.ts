import { AnalysisSchema } from "../../functions/domain/config/schema.ts";
import { type StrategyInput, StrategyObjectSchema } from "../../functions/domain/config/strategy.ts";
import { type AnalysisSettings, evaluate, Verdict } from "../../functions/domain/evaluate.ts";
import { type Phase, plan } from "../../functions/domain/planner.ts";
import type { ArmCount, SecondServed } from "./traffic.ts";

/** What happened to one release under one policy, within the simulated horizon. */
export interface Outcome {
  /** Seconds from the first shift to the rollback; null when it never rolled back. */
  readonly rolledBackAt: number | null;
  /** Seconds from the first shift until the new version served 100%; null when it never did. */
  readonly fullAt: number | null;
  /** Errors the new version served before the rollback, or in the whole horizon without one. */
  readonly newErrors: number;
}

/**
 * A rollout policy as the simulation drives it: it routes `weight` percent of the next second to the new
 * version, sees what each arm served in that second, and acts at the second's end (time `t + 1`).
 */
export interface Policy {
  readonly weight: number;
  serve(t: number, served: SecondServed): void;
  outcome(): Outcome;
}

abstract class BasePolicy implements Policy {
  weight = 0;
  #rolledBackAt: number | null = null;
  #fullAt: number | null = null;
  #newErrors = 0;

  serve(t: number, served: SecondServed): void {
    this.#newErrors += served.new.errors;
    this.act(t + 1, served);
  }

  outcome(): Outcome {
    return { rolledBackAt: this.#rolledBackAt, fullAt: this.#fullAt, newErrors: this.#newErrors };
  }

  protected get rolledBack(): boolean {
    return this.#rolledBackAt !== null;
  }

  protected shift(weight: number, at: number): void {
    this.weight = weight;
    if (weight === 100 && this.#fullAt === null) this.#fullAt = at;
  }

  protected rollBack(at: number): void {
    this.weight = 0;
    this.#rolledBackAt = at;
  }

  protected abstract act(now: number, served: SecondServed): void;
}

/** Sums of a one-minute CloudWatch period. */
class Period {
  requests = 0;
  errors = 0;

  add(count: ArmCount): void {
    this.requests += count.requests;
    this.errors += count.errors;
  }

  /** The period's error rate, or undefined without requests (a missing datapoint), then starts the next one. */
  close(): number | undefined {
    const rate = this.requests === 0 ? undefined : this.errors / this.requests;
    this.requests = 0;
    this.errors = 0;
    return rate;
  }
}

export interface CodeDeployProps {
  /**
   * What the alarm watches: the ALB's 5xx rate over both versions (`service`), or the new version's target
   * group only (`canary`).
   */
  readonly alarmScope: "service" | "canary";
  /** @default 10 */
  readonly canaryPercent?: number;
  /** @default 300 */
  readonly canarySeconds?: number;
  /** The alarm fires when a one-minute period's 5xx rate is above it. @default 0.01 */
  readonly threshold?: number;
}

/**
 * CodeDeploy's ECSCanary10Percent5Minutes with one CloudWatch alarm (5xx rate > 1%, 60 s period, 1 of 1
 * datapoints), checked every minute. The canary bakes 5 minutes whatever the evidence, then takes 100%; the
 * alarm is still watched afterwards, while the original task set waits for termination, so a late alarm still
 * rolls back (the simulation gives it the whole horizon).
 */
export class CodeDeployPolicy extends BasePolicy {
  readonly #props: Required<CodeDeployProps>;
  readonly #period = new Period();

  constructor(props: CodeDeployProps) {
    super();
    this.#props = { canaryPercent: 10, canarySeconds: 300, threshold: 0.01, ...props };
    this.shift(this.#props.canaryPercent, 0);
  }

  protected act(now: number, served: SecondServed): void {
    if (this.rolledBack) return;
    this.#period.add(served.new);
    if (this.#props.alarmScope === "service") this.#period.add(served.old);
    if (now % 60 === 0) {
      const rate = this.#period.close();
      if (rate !== undefined && rate > this.#props.threshold) {
        this.rollBack(now);
        return;
      }
    }
    if (now === this.#props.canarySeconds) this.shift(100, now);
  }
}

export interface FlaggerProps {
  /** @default 60 */
  readonly intervalSeconds?: number;
  /** Failed checks before rollback. @default 5 */
  readonly threshold?: number;
  /** @default 10 */
  readonly stepWeight?: number;
  /** @default 50 */
  readonly maxWeight?: number;
  /** The request-success-rate check fails when the canary's 5xx rate over the interval is above it. @default 0.01 */
  readonly maxErrorRate?: number;
}

/**
 * Flagger's canary analysis: every interval, the canary's request success rate over that interval is checked
 * (≥ 99%); a pass moves the weight up by `stepWeight`, or promotes once at `maxWeight`; a failure holds the
 * weight and counts, and `threshold` failures roll back. Failed checks are not reset by later passes. After the
 * promotion the analysis is over: nothing rolls back.
 */
export class FlaggerPolicy extends BasePolicy {
  readonly #props: Required<FlaggerProps>;
  readonly #window = new Period();
  #failedChecks = 0;
  #promoted = false;

  constructor(props: FlaggerProps = {}) {
    super();
    this.#props = {
      intervalSeconds: 60,
      threshold: 5,
      stepWeight: 10,
      maxWeight: 50,
      maxErrorRate: 0.01,
      ...props,
    };
    this.shift(this.#props.stepWeight, 0);
  }

  protected act(now: number, served: SecondServed): void {
    if (this.rolledBack || this.#promoted) return;
    this.#window.add(served.new);
    if (now % this.#props.intervalSeconds !== 0) return;
    const rate = this.#window.close();
    // Flagger counts a check without data as failed.
    if (rate === undefined || rate > this.#props.maxErrorRate) {
      this.#failedChecks += 1;
      if (this.#failedChecks >= this.#props.threshold) this.rollBack(now);
      return;
    }
    if (this.weight < this.#props.maxWeight) {
      this.shift(Math.min(this.weight + this.#props.stepWeight, this.#props.maxWeight), now);
    } else {
      this.#promoted = true;
      this.shift(100, now);
    }
  }
}

export interface GlidepathProps {
  readonly strategy: StrategyInput;
  /** The environment's `analysis`, as in a config; defaults as the schema's. */
  readonly analysis?: Partial<AnalysisSettings>;
  /** The environment's watch window after 100% (`watchSeconds`). @default 0 */
  readonly watchSeconds?: number;
}

/**
 * Glidepath's strategy state machine, step for step, around the real `evaluate` of functions/domain: shift to
 * the phase's weight, evaluate at once, then wait the `waitSeconds` it asks for and evaluate again on the
 * counts since the shift, until the bake is complete (next phase) or the verdict is a rollback. No alarms: the
 * comparison is of the analyses.
 */
export class GlidepathPolicy extends BasePolicy {
  readonly #phases: readonly Phase[];
  readonly #analysis: AnalysisSettings;
  #phase = -1;
  #shiftedAt = 0;
  #nextEvaluationAt = 0;
  #elapsedSeconds = 0;
  #old = { requests: 0, errors: 0 };
  #new = { requests: 0, errors: 0 };
  #done = false;

  constructor(props: GlidepathProps) {
    super();
    this.#phases = plan(StrategyObjectSchema.parse(props.strategy), {
      watchSeconds: props.watchSeconds ?? 0,
    }).phases;
    this.#analysis = AnalysisSchema.parse(props.analysis ?? {});
    this.#startPhase(0);
  }

  protected act(now: number, served: SecondServed): void {
    if (this.#done) return;
    this.#old.requests += served.old.requests;
    this.#old.errors += served.old.errors;
    this.#new.requests += served.new.requests;
    this.#new.errors += served.new.errors;
    if (now >= this.#nextEvaluationAt) this.#evaluate(now);
  }

  #startPhase(index: number): void {
    const phase = this.#phases[index];
    if (phase === undefined) {
      this.#done = true;
      return;
    }
    this.#phase = index;
    this.#shiftedAt = this.#nextEvaluationAt;
    this.shift(phase.weight, this.#shiftedAt);
    this.#old = { requests: 0, errors: 0 };
    this.#new = { requests: 0, errors: 0 };
    this.#elapsedSeconds = 0;
    this.#evaluate(this.#shiftedAt);
  }

  #evaluate(now: number): void {
    const phase = this.#phases[this.#phase];
    if (phase === undefined) return;
    const result = evaluate({
      alarms: { found: [], missing: [] },
      metrics: { old: { ...this.#old }, new: { ...this.#new } },
      analysis: this.#analysis,
      bake: { elapsedSeconds: this.#elapsedSeconds, bakeSeconds: phase.bakeSeconds },
      phaseIndex: this.#phase,
      watch: phase.gates.includes("watch"),
    });
    if (result.verdict === Verdict.Rollback) {
      this.rollBack(now);
      this.#done = true;
      return;
    }
    if (result.bake.complete) {
      this.#nextEvaluationAt = now;
      this.#startPhase(this.#phase + 1);
      return;
    }
    this.#elapsedSeconds += result.bake.waitSeconds;
    this.#nextEvaluationAt = this.#shiftedAt + this.#elapsedSeconds;
  }
}
