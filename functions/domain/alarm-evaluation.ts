import type { AlarmConfig } from "./config/schema.ts";
import type { AlarmStateValue } from "./ports/health-signals.ts";

/** An alarm Glidepath evaluates itself, with CloudWatch's semantics. */
export type AlarmDefinition = Extract<AlarmConfig, { kind: "definition" }>;
export type AlarmComparison = AlarmDefinition["comparison"];
export type TreatMissingData = AlarmDefinition["treatMissingData"];

export interface AlarmEvaluationInput {
  readonly alarm: AlarmDefinition;
  /** The state before this evaluation: `ignore` keeps it, and the reason names the transition. */
  readonly previousState: AlarmStateValue;
  /**
   * One value per period, oldest first, `undefined` for a period without data. This is CloudWatch's
   * evaluation range: at least `evaluationPeriods` long (shorter is padded with missing periods at the old
   * end), and possibly longer, as CloudWatch looks further back when data is missing (5 periods for an alarm
   * of 3 in its documented example).
   */
  readonly datapoints: readonly (number | undefined)[];
  /** Start (epoch ms) of the newest period, to timestamp the datapoints in the reason. */
  readonly newestPeriodStart?: number;
}

export interface AlarmEvaluation {
  readonly state: AlarmStateValue;
  /** CloudWatch's style: "Threshold Crossed: 2 out of the last 3 datapoints [5.2 (…), 4.1 (…)] were …". */
  readonly reason: string;
}

interface Point {
  readonly value: number;
  /** Periods from the end of the range: the newest period is 1. */
  readonly age: number;
  readonly label: string;
}

const relation: Record<AlarmComparison, string> = {
  GreaterThanThreshold: "greater than",
  GreaterThanOrEqualToThreshold: "greater than or equal to",
  LessThanThreshold: "less than",
  LessThanOrEqualToThreshold: "less than or equal to",
};

/** Whether one datapoint is on the wrong side of the threshold. */
export function breaches(value: number, comparison: AlarmComparison, threshold: number): boolean {
  switch (comparison) {
    case "GreaterThanThreshold":
      return value > threshold;
    case "GreaterThanOrEqualToThreshold":
      return value >= threshold;
    case "LessThanThreshold":
      return value < threshold;
    case "LessThanOrEqualToThreshold":
      return value <= threshold;
  }
}

/**
 * The alarm's state after one evaluation, following CloudWatch's documented rules
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html):
 *
 * - with at least `evaluationPeriods` (N) real datapoints in the range, the newest N real ones are evaluated
 *   and the missing-data treatment plays no part;
 * - with fewer, every real datapoint counts and the rest up to N are filled by the treatment: `breaching` and
 *   `notBreaching` fill with breaching or good datapoints, `missing` and `ignore` fill with nothing;
 * - ALARM when at least `datapointsToAlarm` (M) of the N are breaching, else OK; except that `missing` and
 *   `ignore` need a real good datapoint for OK: without one, `missing` gives INSUFFICIENT_DATA and `ignore`
 *   keeps the previous state;
 * - one exception for `missing` (the documented "X - - - -" row, and AWS's knowledge-centre note on alarms
 *   that fire after a single datapoint): when no real datapoint is good and the oldest breaching one is at
 *   least M periods old, the state is ALARM even though fewer than M datapoints breach.
 */
export function evaluateAlarm(input: AlarmEvaluationInput): AlarmEvaluation {
  const { alarm, previousState } = input;
  const n = alarm.evaluationPeriods;
  const m = alarm.datapointsToAlarm;
  const range: (number | undefined)[] = [
    ...Array.from({ length: Math.max(0, n - input.datapoints.length) }, () => undefined),
    ...input.datapoints,
  ];
  const periodMs = alarm.periodSeconds * 1000;
  const real: Point[] = [];
  range.forEach((value, index) => {
    if (value === undefined) return;
    const age = range.length - index;
    const label =
      input.newestPeriodStart === undefined
        ? formatValue(value)
        : `${formatValue(value)} (${formatTime(input.newestPeriodStart - (age - 1) * periodMs)})`;
    real.push({ value, age, label });
  });
  const isBreaching = (point: Point) => breaches(point.value, alarm.comparison, alarm.threshold);
  const breaching = real.filter(isBreaching);
  const good = real.filter((point) => !isBreaching(point));
  const reason = new Reason(alarm, previousState);

  if (real.length >= n) {
    const evaluated = real.slice(-n);
    const evaluatedBreaching = evaluated.filter(isBreaching);
    if (evaluatedBreaching.length >= m) return reason.crossed("ALARM", evaluatedBreaching, n);
    return reason.crossed(
      "OK",
      evaluated.filter((point) => !isBreaching(point)),
      n,
    );
  }

  const fill = n - real.length;
  const missing = range.length - real.length;
  switch (alarm.treatMissingData) {
    case "breaching": {
      const treated = { count: fill, as: "Breaching" } as const;
      return breaching.length + fill >= m
        ? reason.crossed("ALARM", breaching, n, { treated })
        : reason.crossed("OK", good, n, { treated });
    }
    case "notBreaching": {
      const treated = { count: fill, as: "NonBreaching" } as const;
      return breaching.length >= m
        ? reason.crossed("ALARM", breaching, n, { treated })
        : reason.crossed("OK", good, n, { treated });
    }
    case "missing":
    case "ignore": {
      if (breaching.length >= m)
        return reason.crossed("ALARM", breaching, real.length, { notCounted: missing });
      const oldest = breaching[0];
      if (
        alarm.treatMissingData === "missing" &&
        good.length === 0 &&
        oldest !== undefined &&
        oldest.age >= m
      ) {
        return reason.sustained(breaching, oldest.age);
      }
      if (good.length > 0) return reason.crossed("OK", good, real.length, { notCounted: missing });
      return alarm.treatMissingData === "missing"
        ? reason.insufficient(breaching, missing)
        : reason.retained(breaching, missing, range.length);
    }
  }
}

interface Extra {
  /** Missing datapoints filled by the treatment. */
  readonly treated?: { readonly count: number; readonly as: "Breaching" | "NonBreaching" };
  /** Missing datapoints that `missing` or `ignore` left out. */
  readonly notCounted?: number;
}

class Reason {
  readonly #alarm: AlarmDefinition;
  readonly #previous: AlarmStateValue;

  constructor(alarm: AlarmDefinition, previous: AlarmStateValue) {
    this.#alarm = alarm;
    this.#previous = previous;
  }

  /** `shown` are the real datapoints on the side of the threshold that decided the state. */
  crossed(state: "OK" | "ALARM", shown: readonly Point[], outOf: number, extra: Extra = {}): AlarmEvaluation {
    const not = state === "OK" ? "not " : "";
    const { treated, notCounted = 0 } = extra;
    const treatedCount = treated?.count ?? 0;
    const sameSide = treated?.as === (state === "ALARM" ? "Breaching" : "NonBreaching");
    let text: string;
    if (treated !== undefined && treatedCount === outOf) {
      text = `no datapoints were received for ${periods(outOf)} and ${missingDatapoints(treatedCount)} ${wasWere(treatedCount)} treated as [${treated.as}]`;
    } else {
      const count = shown.length + (sameSide ? treatedCount : 0);
      const listed = shown.length === 0 ? "" : ` ${list(shown)}`;
      text = `${count} out of the last ${datapoints(outOf)}${listed} ${wasWere(count)} ${not}${this.#relation()}`;
      if (treated !== undefined && treatedCount > 0) {
        text += sameSide
          ? `, counting ${missingDatapoints(treatedCount)} treated as [${treated.as}]`
          : `; ${missingDatapoints(treatedCount)} ${wasWere(treatedCount)} treated as [${treated.as}]`;
      }
      if (notCounted > 0) text += `; ${missingDatapoints(notCounted)} ${wasWere(notCounted)} not counted`;
    }
    const minimum =
      state === "ALARM"
        ? this.#alarm.datapointsToAlarm
        : this.#alarm.evaluationPeriods - this.#alarm.datapointsToAlarm + 1;
    return { state, reason: `Threshold Crossed: ${text}${this.#transition(state, minimum)}.` };
  }

  sustained(breaching: readonly Point[], age: number): AlarmEvaluation {
    return {
      state: "ALARM",
      reason: `Threshold Crossed: ${datapoints(breaching.length)} ${list(breaching)} ${wasWere(breaching.length)} ${this.#relation()} and no datapoint within the threshold was received for ${periods(age)}${this.#transition("ALARM", this.#alarm.datapointsToAlarm)}.`,
    };
  }

  insufficient(breaching: readonly Point[], missing: number): AlarmEvaluation {
    return {
      state: "INSUFFICIENT_DATA",
      reason: `Insufficient Data: ${datapoints(missing)} ${wasWere(missing)} unknown${this.#tooFew(breaching)}.`,
    };
  }

  retained(breaching: readonly Point[], missing: number, of: number): AlarmEvaluation {
    return {
      state: this.#previous,
      reason: `Missing data ignored: ${missing} of the last ${datapoints(of)} ${wasWere(missing)} missing, so the alarm stays ${this.#previous}${this.#tooFew(breaching)}.`,
    };
  }

  #tooFew(breaching: readonly Point[]): string {
    if (breaching.length === 0) return "";
    return `; ${datapoints(breaching.length)} ${list(breaching)} ${wasWere(breaching.length)} ${this.#relation()}, fewer than the ${this.#alarm.datapointsToAlarm} needed`;
  }

  #relation(): string {
    return `${relation[this.#alarm.comparison]} the threshold (${formatValue(this.#alarm.threshold)})`;
  }

  #transition(to: AlarmStateValue, minimum: number): string {
    return this.#previous === to
      ? ""
      : ` (minimum ${datapoints(minimum)} for ${this.#previous} -> ${to} transition)`;
  }
}

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;
const datapoints = (count: number) => plural(count, "datapoint", "datapoints");
const missingDatapoints = (count: number) => plural(count, "missing datapoint", "missing datapoints");
const periods = (count: number) => plural(count, "period", "periods");
const wasWere = (count: number) => (count === 1 ? "was" : "were");
/** Newest first, as CloudWatch lists them. */
const list = (points: readonly Point[]) =>
  `[${points
    .map((point) => point.label)
    .toReversed()
    .join(", ")}]`;

/** CloudWatch prints doubles the Java way: 1.0, 0.05, 12.5. */
function formatValue(value: number): string {
  return Number.isInteger(value) ? value.toFixed(1) : String(value);
}

/** CloudWatch's reason timestamps: dd/MM/yy HH:mm:ss in UTC. */
function formatTime(epochMs: number): string {
  const iso = new Date(epochMs).toISOString();
  return `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(2, 4)} ${iso.slice(11, 19)}`;
}
