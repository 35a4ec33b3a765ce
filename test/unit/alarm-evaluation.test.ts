import { describe, expect, it } from "vitest";
import {
  datapoint,
  periodDatapoints,
  periodWindows,
  statistic,
  type WindowMetrics,
} from "../../functions/domain/alarm-datapoints.ts";
import {
  type AlarmComparison,
  type AlarmDefinition,
  breaches,
  evaluateAlarm,
  type TreatMissingData,
} from "../../functions/domain/alarm-evaluation.ts";
import type { AlarmStateValue } from "../../functions/domain/ports/health-signals.ts";

const alarm = (overrides: Partial<AlarmDefinition> = {}): AlarmDefinition => ({
  kind: "definition",
  name: "sample-5xx-rate",
  metric: "ErrorRate",
  statistic: "Average",
  periodSeconds: 60,
  evaluationPeriods: 3,
  datapointsToAlarm: 3,
  threshold: 1,
  comparison: "GreaterThanThreshold",
  treatMissingData: "missing",
  onFail: "rollback",
  ...overrides,
});

/** CloudWatch's documentation notation, oldest first: 0 is within the threshold (1), X breaches, - is missing. */
const points = (notation: string): (number | undefined)[] =>
  notation.split(" ").map((symbol) => (symbol === "-" ? undefined : symbol === "X" ? 5 : 0));

const treatments = ["missing", "ignore", "breaching", "notBreaching"] as const satisfies TreatMissingData[];

/** Rows of a documented table: datapoints, then the state per treatment (missing, ignore, breaching, notBreaching). */
type DocumentedRow = [string, AlarmStateValue, AlarmStateValue | "retain", AlarmStateValue, AlarmStateValue];

const expandRows = (rows: DocumentedRow[]) =>
  rows.flatMap(([notation, ...states]) =>
    treatments.map(
      (treatment, index) => [notation, treatment, states[index] as AlarmStateValue | "retain"] as const,
    ),
  );

describe("evaluateAlarm", () => {
  // The two tables of "How alarm state is evaluated when data is missing" (CloudWatch User Guide), which
  // evaluate the 5 most recent periods for an alarm of 3. "retain" is checked from a previous ALARM state.
  it.each(
    expandRows([
      ["0 - X - X", "OK", "OK", "OK", "OK"],
      ["0 - - - -", "OK", "OK", "OK", "OK"],
      ["- - - - -", "INSUFFICIENT_DATA", "retain", "ALARM", "OK"],
      ["0 X X - X", "ALARM", "ALARM", "ALARM", "ALARM"],
      ["- - - - X", "INSUFFICIENT_DATA", "retain", "ALARM", "OK"],
      ["X - - - -", "ALARM", "retain", "ALARM", "OK"],
    ]),
  )("3 out of 3: %s treated as %s is %s", (notation, treatMissingData, expected) => {
    // Prepare
    const definition = alarm({ evaluationPeriods: 3, datapointsToAlarm: 3, treatMissingData });
    const previousState = treatMissingData === "ignore" && expected === "retain" ? "ALARM" : "OK";

    // Act
    const result = evaluateAlarm({ alarm: definition, previousState, datapoints: points(notation) });

    // Assess
    expect(result.state).toBe(expected === "retain" ? previousState : expected);
  });

  it.each(
    expandRows([
      ["0 - X - X", "ALARM", "ALARM", "ALARM", "ALARM"],
      ["0 0 X 0 X", "ALARM", "ALARM", "ALARM", "ALARM"],
      ["0 - X - -", "OK", "OK", "ALARM", "OK"],
      ["- - - - 0", "OK", "OK", "ALARM", "OK"],
      ["- - - - X", "INSUFFICIENT_DATA", "retain", "ALARM", "OK"],
    ]),
  )("2 out of 3: %s treated as %s is %s", (notation, treatMissingData, expected) => {
    // Prepare
    const definition = alarm({ evaluationPeriods: 3, datapointsToAlarm: 2, treatMissingData });
    const previousState = "ALARM";

    // Act
    const result = evaluateAlarm({ alarm: definition, previousState, datapoints: points(notation) });

    // Assess
    expect(result.state).toBe(expected === "retain" ? previousState : expected);
  });

  it.each<[AlarmComparison, number, boolean]>([
    ["GreaterThanThreshold", 1.1, true],
    ["GreaterThanThreshold", 1, false],
    ["GreaterThanThreshold", 0.9, false],
    ["GreaterThanOrEqualToThreshold", 1.1, true],
    ["GreaterThanOrEqualToThreshold", 1, true],
    ["GreaterThanOrEqualToThreshold", 0.9, false],
    ["LessThanThreshold", 1.1, false],
    ["LessThanThreshold", 1, false],
    ["LessThanThreshold", 0.9, true],
    ["LessThanOrEqualToThreshold", 1.1, false],
    ["LessThanOrEqualToThreshold", 1, true],
    ["LessThanOrEqualToThreshold", 0.9, true],
  ])("%s with %d against 1 breaches: %s", (comparison, value, expected) => {
    // Prepare
    const definition = alarm({ comparison, evaluationPeriods: 1, datapointsToAlarm: 1 });

    // Act
    const result = evaluateAlarm({ alarm: definition, previousState: "OK", datapoints: [value] });

    // Assess
    expect(breaches(value, comparison, 1)).toBe(expected);
    expect(result.state).toBe(expected ? "ALARM" : "OK");
  });

  it.each<[string, number[], number, number, AlarmStateValue]>([
    ["every datapoint breaches", [5, 5, 5], 3, 3, "ALARM"],
    ["one of 3 is good in a 3 of 3", [5, 0, 5], 3, 3, "OK"],
    ["2 of 3 need not be consecutive", [5, 0, 5], 3, 2, "ALARM"],
    ["1 of 3 is not 2 of 3", [0, 0, 5], 3, 2, "OK"],
    ["1 of 5 on the oldest period", [5, 0, 0, 0, 0], 5, 1, "ALARM"],
    ["4 of 5", [5, 5, 0, 5, 5], 5, 4, "ALARM"],
    ["3 of 5 is not 4 of 5", [5, 0, 0, 5, 5], 5, 4, "OK"],
    ["only the newest N of a longer range count", [5, 5, 5, 0, 0, 0], 3, 1, "OK"],
  ])("M out of N: %s", (_, datapoints, evaluationPeriods, datapointsToAlarm, expected) => {
    // Prepare
    const definition = alarm({ evaluationPeriods, datapointsToAlarm });

    // Act
    const result = evaluateAlarm({ alarm: definition, previousState: "OK", datapoints });

    // Assess
    expect(result.state).toBe(expected);
  });

  it.each<[AlarmStateValue]>([["OK"], ["ALARM"], ["INSUFFICIENT_DATA"]])(
    "ignore keeps %s when every datapoint is missing",
    (previousState) => {
      // Prepare
      const definition = alarm({ treatMissingData: "ignore" });

      // Act
      const result = evaluateAlarm({
        alarm: definition,
        previousState,
        datapoints: [undefined, undefined, undefined],
      });

      // Assess
      expect(result).toEqual({
        state: previousState,
        reason: `Missing data ignored: 3 of the last 3 datapoints were missing, so the alarm stays ${previousState}.`,
      });
    },
  );

  it("pads a range shorter than evaluationPeriods with missing periods at the old end", () => {
    // Prepare
    const definition = alarm({ evaluationPeriods: 3, datapointsToAlarm: 3, treatMissingData: "breaching" });

    // Act
    const result = evaluateAlarm({ alarm: definition, previousState: "OK", datapoints: [5] });

    // Assess
    expect(result.state).toBe("ALARM");
    expect(result.reason).toBe(
      "Threshold Crossed: 3 out of the last 3 datapoints [5.0] were greater than the threshold (1.0), counting 2 missing datapoints treated as [Breaching] (minimum 3 datapoints for OK -> ALARM transition).",
    );
  });

  it.each<[string, Partial<AlarmDefinition>, AlarmStateValue, (number | undefined)[], string]>([
    [
      "an M out of N alarm",
      { datapointsToAlarm: 2, threshold: 1 },
      "OK",
      [5.2, 0.5, 4.1],
      "Threshold Crossed: 2 out of the last 3 datapoints [4.1 (26/11/26 14:02:00), 5.2 (26/11/26 14:00:00)] were greater than the threshold (1.0) (minimum 2 datapoints for OK -> ALARM transition).",
    ],
    [
      "a recovery",
      { datapointsToAlarm: 2, threshold: 0.01 },
      "ALARM",
      [0.002, 0.05, 0],
      "Threshold Crossed: 2 out of the last 3 datapoints [0.0 (26/11/26 14:02:00), 0.002 (26/11/26 14:00:00)] were not greater than the threshold (0.01) (minimum 2 datapoints for ALARM -> OK transition).",
    ],
    [
      "no change of state",
      { evaluationPeriods: 1, datapointsToAlarm: 1, comparison: "GreaterThanOrEqualToThreshold" },
      "ALARM",
      [1],
      "Threshold Crossed: 1 out of the last 1 datapoint [1.0 (26/11/26 14:02:00)] was greater than or equal to the threshold (1.0).",
    ],
    [
      "missing data treated as breaching",
      { treatMissingData: "breaching" },
      "OK",
      [undefined, undefined, undefined],
      "Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints were treated as [Breaching] (minimum 3 datapoints for OK -> ALARM transition).",
    ],
    [
      "a breach outvoted by missing data treated as not breaching",
      { treatMissingData: "notBreaching", comparison: "LessThanThreshold" },
      "INSUFFICIENT_DATA",
      [undefined, 0.5, undefined],
      "Threshold Crossed: 2 out of the last 3 datapoints were not less than the threshold (1.0), counting 2 missing datapoints treated as [NonBreaching] (minimum 1 datapoint for INSUFFICIENT_DATA -> OK transition).",
    ],
    [
      "a good datapoint with missing data treated as breaching",
      { treatMissingData: "breaching" },
      "ALARM",
      [0, undefined, undefined, undefined, undefined],
      "Threshold Crossed: 1 out of the last 3 datapoints [0.0 (26/11/26 13:58:00)] was not greater than the threshold (1.0); 2 missing datapoints were treated as [Breaching] (minimum 1 datapoint for ALARM -> OK transition).",
    ],
    [
      "good data among missing data",
      { treatMissingData: "missing" },
      "ALARM",
      [0, undefined, 0, undefined, undefined],
      "Threshold Crossed: 2 out of the last 2 datapoints [0.0 (26/11/26 14:00:00), 0.0 (26/11/26 13:58:00)] were not greater than the threshold (1.0); 3 missing datapoints were not counted (minimum 1 datapoint for ALARM -> OK transition).",
    ],
    ["no data", {}, "OK", [undefined, undefined, undefined], "Insufficient Data: 3 datapoints were unknown."],
    [
      "too few breaching datapoints",
      {},
      "OK",
      [undefined, undefined, 5],
      "Insufficient Data: 2 datapoints were unknown; 1 datapoint [5.0 (26/11/26 14:02:00)] was greater than the threshold (1.0), fewer than the 3 needed.",
    ],
    [
      "a breach followed by silence",
      {},
      "OK",
      [5, undefined, undefined],
      "Threshold Crossed: 1 datapoint [5.0 (26/11/26 14:00:00)] was greater than the threshold (1.0) and no datapoint within the threshold was received for 3 periods (minimum 3 datapoints for OK -> ALARM transition).",
    ],
  ])("explains %s in CloudWatch's words", (_, overrides, previousState, datapoints, reason) => {
    // Prepare
    const newestPeriodStart = Date.parse("2026-11-26T14:02:00Z");

    // Act
    const result = evaluateAlarm({ alarm: alarm(overrides), previousState, datapoints, newestPeriodStart });

    // Assess
    expect(result.reason).toBe(reason);
  });
});

describe("statistic", () => {
  const hundred = Array.from({ length: 100 }, (_, index) => index + 1);

  it.each<[string, number[], number | undefined]>([
    ["Average", [1, 2, 3, 6], 3],
    ["Sum", [1, 2, 3, 6], 12],
    ["Minimum", [4, 2, 9], 2],
    ["Maximum", [4, 2, 9], 9],
    ["SampleCount", [4, 2, 9], 3],
    ["p50", hundred, 50],
    ["p95", hundred, 95],
    ["p99", hundred, 99],
    ["p99.5", hundred, 100],
    ["p0", hundred, 1],
    ["p100", hundred, 100],
    ["p95", [0.3, 0.1, 0.2], 0.3],
    ["p50", [0.3, 0.1, 0.2], 0.2],
    ["p90", [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110], 100],
    ["Average", [], undefined],
    ["p95", [], undefined],
    ["SampleCount", [], undefined],
  ])("%s of %j is %s", (name, values, expected) => {
    // Act
    const result = statistic(values, name);

    // Assess
    expect(result).toBe(expected);
  });

  it("rejects a statistic CloudWatch does not have", () => {
    // Act
    const act = () => statistic([1], "Median");

    // Assess
    expect(act).toThrow(RangeError);
    expect(act).toThrow(/unknown statistic 'Median'/);
  });
});

describe("datapoint", () => {
  const window = (requests: number, errors: number, latenciesMs: number[] = []): WindowMetrics => ({
    requests,
    errors,
    latenciesMs,
  });

  it.each<[AlarmDefinition["metric"], string, WindowMetrics, number | undefined]>([
    ["ErrorRate", "Average", window(200, 5), 0.025],
    ["ErrorRate", "Maximum", window(200, 5), 0.025],
    ["ErrorRate", "Average", window(0, 0), undefined],
    ["RequestCount", "Sum", window(200, 5), 200],
    ["RequestCount", "SampleCount", window(200, 5), 200],
    ["RequestCount", "Average", window(200, 5), 1],
    ["RequestCount", "Sum", window(0, 0), undefined],
    ["HTTPCode_Target_5XX_Count", "Sum", window(200, 5), 5],
    ["HTTPCode_Target_5XX_Count", "Maximum", window(200, 5), 1],
    ["HTTPCode_Target_5XX_Count", "Sum", window(200, 0), undefined],
    ["TargetResponseTime", "p50", window(3, 0, [30, 10, 20]), 0.02],
    ["TargetResponseTime", "Maximum", window(3, 0, [30, 10, 20]), 0.03],
    ["TargetResponseTime", "Average", window(0, 0), undefined],
  ])("%s %s of %j is %s", (metric, name, metrics, expected) => {
    // Act
    const result = datapoint({ metric, statistic: name }, metrics);

    // Assess
    expect(result).toBe(expected);
  });
});

describe("periodWindows", () => {
  it("returns the last complete periods, oldest first, aligned to the period", () => {
    // Prepare
    const end = Date.parse("2026-11-26T14:03:25Z");

    // Act
    const windows = periodWindows(60, end, 3);

    // Assess
    expect(
      windows.map(({ start, end }) => [new Date(start).toISOString(), new Date(end).toISOString()]),
    ).toEqual([
      ["2026-11-26T14:00:00.000Z", "2026-11-26T14:01:00.000Z"],
      ["2026-11-26T14:01:00.000Z", "2026-11-26T14:02:00.000Z"],
      ["2026-11-26T14:02:00.000Z", "2026-11-26T14:03:00.000Z"],
    ]);
  });
});

describe("periodDatapoints", () => {
  it("turns per-period router metrics into datapoints that evaluateAlarm reads", () => {
    // Prepare
    const definition = alarm({
      periodSeconds: 10,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      threshold: 0.05,
    });
    const byStart = new Map<number, WindowMetrics>([
      [Date.parse("2026-11-26T14:00:00Z"), { requests: 100, errors: 10, latenciesMs: [] }],
      [Date.parse("2026-11-26T14:00:20Z"), { requests: 50, errors: 5, latenciesMs: [] }],
    ]);
    const metricsOf = (window: { start: number }) =>
      byStart.get(window.start) ?? { requests: 0, errors: 0, latenciesMs: [] };

    // Act
    const range = periodDatapoints(definition, { end: Date.parse("2026-11-26T14:00:30Z") }, metricsOf);
    const result = evaluateAlarm({ alarm: definition, previousState: "OK", ...range });

    // Assess
    expect(range).toEqual({
      datapoints: [0.1, undefined, 0.1],
      newestPeriodStart: Date.parse("2026-11-26T14:00:20Z"),
    });
    expect(result.state).toBe("ALARM");
    expect(result.reason).toMatch(
      /^Threshold Crossed: 2 out of the last 2 datapoints \[0\.1 \(26\/11\/26 14:00:20\), 0\.1 \(26\/11\/26 14:00:00\)\]/,
    );
  });
});
