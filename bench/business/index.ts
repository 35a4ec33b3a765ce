import { parseArgs } from "node:util";
import {
  type BusinessScenario,
  glidepathPolicy,
  type PolicyResult,
  simulateDrop,
  thresholdPolicy,
} from "./simulate.ts";

export interface BusinessOptions {
  readonly runs: number;
  readonly seed: number;
  readonly scenario: Omit<BusinessScenario, "drop">;
  readonly drops: readonly number[];
}

/**
 * A canary at 10% for 30 minutes of a checkout flow with 100 checkouts a second converting at 20%, both arms'
 * rate moving together by up to ±20% every 30-second interval.
 */
export const defaultOptions: BusinessOptions = {
  runs: 1000,
  seed: 20261202,
  scenario: {
    checkoutsPerSecond: 100,
    share: 0.1,
    conversionRate: 0.2,
    noise: 0.2,
    intervalSeconds: 30,
    phaseSeconds: 1800,
  },
  drops: [0, 0.1, 0.2, 0.3],
};

const settings = { alpha: 0.01, maxDrop: 0.1, minSamples: 100 } as const;

export interface BusinessReport {
  readonly options: BusinessOptions;
  readonly results: readonly PolicyResult[];
}

/** Glidepath's test against the threshold rule users write, on the same seeds, at every drop. */
export function runBusiness(options: BusinessOptions = defaultOptions): BusinessReport {
  const policies = [glidepathPolicy(settings), thresholdPolicy({ ...settings, forSeconds: 300 })];
  return {
    options,
    results: options.drops.flatMap((drop) =>
      simulateDrop({ ...options.scenario, drop }, policies, options.runs, options.seed),
    ),
  };
}

const pct = (value: number) => `${(value * 100).toFixed(1)}%`;
const ratio = (value: number, baseline: number) =>
  baseline === 0 ? "-" : `${(value / baseline).toFixed(2)}x`;

export function formatReport(report: BusinessReport): string {
  const { scenario, runs } = report.options;
  const lines = [
    `business metric: a canary at ${pct(scenario.share)} for ${scenario.phaseSeconds}s, ${scenario.checkoutsPerSecond} checkouts/s converting at ${pct(scenario.conversionRate)} (±${pct(scenario.noise)} per ${scenario.intervalSeconds}s interval, both arms alike), ${runs} runs per row`,
    "",
    `${"drop".padEnd(6)}${"policy".padEnd(28)}${"paused".padStart(9)}${"p50 s".padStart(8)}${"lost conv".padStart(11)}${"vs threshold".padStart(14)}`,
  ];
  for (const drop of report.options.drops) {
    const rows = report.results.filter((result) => result.drop === drop);
    const baseline = rows.find((row) => row.policy === "threshold rule");
    for (const row of rows) {
      lines.push(
        `${pct(drop).padEnd(6)}${row.policy.padEnd(28)}${pct(row.pauseRate).padStart(9)}${String(row.medianSecondsToPause ?? "-").padStart(8)}${row.meanConversionsLost.toFixed(1).padStart(11)}${(drop === 0 ? ratio(row.pauseRate, baseline?.pauseRate ?? 0) : ratio(row.meanConversionsLost, baseline?.meanConversionsLost ?? 0)).padStart(14)}`,
      );
    }
  }
  lines.push(
    "",
    "drop 0%: 'paused' is the false-pause rate, and the ratio compares it; other drops compare the conversions lost before the pause.",
    ...report.results
      .filter((result) => result.drop === 0)
      .map((result) => `  ${result.policy}: ${result.setting}`),
    "",
    JSON.stringify(summaryJson(report)),
  );
  return lines.join("\n");
}

export function summaryJson(report: BusinessReport) {
  const of = (policy: string, drop: number) =>
    report.results.find((result) => result.policy === policy && result.drop === drop);
  const falsePause = (policy: string) => of(policy, 0)?.pauseRate ?? null;
  const lost = (policy: string) =>
    Object.fromEntries(
      report.options.drops
        .filter((drop) => drop > 0)
        .map((drop) => [String(drop), Math.round((of(policy, drop)?.meanConversionsLost ?? 0) * 10) / 10]),
    );
  const paused = (policy: string) =>
    Object.fromEntries(
      report.options.drops
        .filter((drop) => drop > 0)
        .map((drop) => [String(drop), of(policy, drop)?.pauseRate ?? null]),
    );
  return {
    bench: "business",
    runs: report.options.runs,
    glidepath: {
      falsePauseRate: falsePause("Glidepath sequential test"),
      pauseRate: paused("Glidepath sequential test"),
      conversionsLost: lost("Glidepath sequential test"),
    },
    threshold: {
      falsePauseRate: falsePause("threshold rule"),
      pauseRate: paused("threshold rule"),
      conversionsLost: lost("threshold rule"),
    },
  };
}

/** `npm run bench -- business [--runs 1000] [--seed N]`. */
export function main(argv: readonly string[]): void {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      runs: { type: "string", default: String(defaultOptions.runs) },
      seed: { type: "string", default: String(defaultOptions.seed) },
    },
  });
  const runs = Number(values.runs);
  const seed = Number(values.seed);
  if (!(Number.isInteger(runs) && runs >= 1 && runs <= 100_000))
    throw new RangeError("--runs must be a whole number from 1 to 100000");
  if (!Number.isInteger(seed)) throw new RangeError("--seed must be a whole number");
  console.log(formatReport(runBusiness({ ...defaultOptions, runs, seed })));
}
