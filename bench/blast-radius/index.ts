import { parseArgs } from "node:util";
import { sprtExpectedErrors } from "../../functions/domain/analysis/index.ts";
import { quantile } from "../stats.ts";
import {
  CodeDeployPolicy,
  FlaggerPolicy,
  GlidepathPolicy,
  type GlidepathProps,
  type Outcome,
  type Policy,
} from "./policies.ts";
import { seedOf } from "./random.ts";
import { simulate } from "./simulate.ts";

export interface BlastRadiusOptions {
  /** Seeds per case, for good and bad releases alike. @default 1000 */
  readonly seeds: number;
  /** @default 100 */
  readonly rps: number;
  /** @default 0.005 */
  readonly baselineErrorRate: number;
  /** Seconds simulated after the first shift. @default 3600 */
  readonly horizonSeconds: number;
  /** @default 1 */
  readonly seed: number;
  /** @default [1.5, 2, 5, 10] */
  readonly rhos: readonly number[];
}

export const defaultOptions: BlastRadiusOptions = {
  seeds: 1000,
  rps: 100,
  baselineErrorRate: 0.005,
  horizonSeconds: 3600,
  seed: 1,
  rhos: [1.5, 2, 5, 10],
};

/**
 * Glidepath's canary: 10% until the analysis decides (up to 3 minutes, 6 when it leans towards a degradation),
 * then 50% the same way (up to 5 minutes), then 100%. At 10% it catches large regressions with few errors; at
 * 50% it confirms what 10% could not decide in time, at five times the information per second.
 */
export const glidepathCanary: GlidepathProps = {
  strategy: {
    type: "canary",
    steps: [
      { setWeight: 10 },
      { analysis: { seconds: 180 } },
      { setWeight: 50 },
      { analysis: { seconds: 300 } },
    ],
  },
  analysis: { intervalSeconds: 10 },
};

/** CodeDeploy's own weights (10% up to 5 minutes, then 100%) with the sequential analysis: the analysis alone. */
export const glidepathCanaryOnly: GlidepathProps = {
  strategy: { type: "canary", steps: [{ setWeight: 10 }, { analysis: { seconds: 300 } }] },
  analysis: { intervalSeconds: 10 },
};

/** The test the bound is computed for: the canary's share, and the schema's default α and β. */
const bound = { share: 0.1, alpha: 0.01, beta: 0.05 } as const;

const policies: Readonly<Record<string, { readonly label: string; readonly create: () => Policy }>> = {
  glidepath: { label: "glidepath", create: () => new GlidepathPolicy(glidepathCanary) },
  glidepathCanaryOnly: {
    label: "glidepath, 10% then 100%",
    create: () => new GlidepathPolicy(glidepathCanaryOnly),
  },
  glidepathCanaryOnlyWatched: {
    label: "glidepath, 10%→100%, +watch",
    create: () => new GlidepathPolicy({ ...glidepathCanaryOnly, watchSeconds: 600 }),
  },
  glidepath60s: {
    label: "glidepath, 60 s evaluations",
    create: () =>
      new GlidepathPolicy({
        ...glidepathCanary,
        analysis: { ...glidepathCanary.analysis, intervalSeconds: 60 },
      }),
  },
  codedeploy: {
    label: "codedeploy, ALB alarm",
    create: () => new CodeDeployPolicy({ alarmScope: "service" }),
  },
  codedeployCanaryAlarm: {
    label: "codedeploy, canary TG alarm",
    create: () => new CodeDeployPolicy({ alarmScope: "canary" }),
  },
  flagger: { label: "flagger", create: () => new FlaggerPolicy() },
};

export interface BadSummary {
  /** Mean errors the new version served before the rollback, over the runs that rolled back. */
  readonly badErrors: number | null;
  /** Mean seconds from the first shift to the rollback, over the runs that rolled back. */
  readonly rollbackSeconds: number | null;
  /** Share of the runs rolled back within the horizon. */
  readonly caught: number;
  /** Mean errors the new version served within the horizon, over every run (a missed release keeps serving). */
  readonly errorsInHorizon: number;
}

export interface GoodSummary {
  readonly falseRollbackRate: number;
  /** Seconds to 100% over the runs that got there: mean, median and 95th percentile. */
  readonly secondsTo100: {
    readonly mean: number | null;
    readonly p50: number | null;
    readonly p95: number | null;
  };
}

export interface BlastRadiusReport {
  readonly options: BlastRadiusOptions;
  readonly bad: readonly {
    readonly rho: number;
    readonly policies: Readonly<Record<string, BadSummary>>;
    readonly bound: { readonly errors: number; readonly seconds: number };
  }[];
  readonly good: Readonly<Record<string, GoodSummary>>;
}

export function runBlastRadius(options: BlastRadiusOptions = defaultOptions): BlastRadiusReport {
  const seeds = Array.from({ length: options.seeds }, (_, index) => seedOf(options.seed, index));
  const create = Object.fromEntries(Object.entries(policies).map(([name, { create }]) => [name, create]));
  const run = (rho: number) =>
    simulate({
      rps: options.rps,
      baselineErrorRate: options.baselineErrorRate,
      rho,
      horizonSeconds: options.horizonSeconds,
      seeds,
      policies: create,
    });
  const bad = options.rhos.map((rho) => {
    const outcomes = run(rho);
    const expected = sprtExpectedErrors({ ...bound, ratio: rho });
    const errorsPerSecond = options.rps * options.baselineErrorRate * (bound.share * rho + (1 - bound.share));
    return {
      rho,
      policies: Object.fromEntries(
        Object.entries(outcomes).map(([name, runs]) => [name, summariseBad(runs)]),
      ),
      bound: { errors: expected.newErrors, seconds: expected.errors / errorsPerSecond },
    };
  });
  const good = Object.fromEntries(Object.entries(run(1)).map(([name, runs]) => [name, summariseGood(runs)]));
  return { options, bad, good };
}

function summariseBad(runs: readonly Outcome[]): BadSummary {
  const caught = runs.filter((run) => run.rolledBackAt !== null);
  return {
    badErrors: mean(caught.map((run) => run.newErrors)),
    rollbackSeconds: mean(caught.map((run) => run.rolledBackAt ?? 0)),
    caught: caught.length / runs.length,
    errorsInHorizon: mean(runs.map((run) => run.newErrors)) ?? 0,
  };
}

function summariseGood(runs: readonly Outcome[]): GoodSummary {
  const full = runs.flatMap((run) => (run.fullAt === null ? [] : [run.fullAt])).sort((a, b) => a - b);
  return {
    falseRollbackRate: runs.filter((run) => run.rolledBackAt !== null).length / runs.length,
    secondsTo100: { mean: mean(full), p50: quantile(full, 0.5), p95: quantile(full, 0.95) },
  };
}

/** The table, then the summary the issue asks for as one JSON object on the last line. */
export function formatReport(report: BlastRadiusReport): string {
  const { options } = report;
  const lines: string[] = [
    `blast radius: ${options.rps} rps (Poisson), old version's 5xx ${pct(options.baselineErrorRate)}, ${options.seeds} seeds per case, ${options.horizonSeconds / 60} min horizon, the same traffic for every policy`,
    "glidepath: 10% up to 180 s, then 50% up to 300 s, then 100%; sequential analysis every 10 s (α 1% per deployment,",
    "  catch 2x with β 5%, schema defaults); no alarm",
    "  (10% then 100%: 10% up to 300 s, CodeDeploy's weights; +watch: and a 10 min watch window at 100%;",
    "  60 s evaluations: what one-minute ALB metrics allow)",
    "codedeploy: ECSCanary10Percent5Minutes; alarm 5xx rate > 1% (60 s, 1 of 1), checked every minute, all horizon long",
    "  (ALB alarm: both versions' 5xx; canary TG alarm: the new version's target group only)",
    "flagger: interval 60 s, threshold 5, stepWeight 10, maxWeight 50, request success rate ≥ 99%; nothing after promotion",
    "",
  ];
  const header = (first: string, columns: readonly string[]) =>
    `${first.padEnd(34)}${columns.map((column) => column.padStart(16)).join("")}`;
  for (const { rho, policies: outcomes, bound: limit } of report.bad) {
    lines.push(
      header(`bad release, ρ = ${rho} (${pct(options.baselineErrorRate * rho)} 5xx)`, [
        "errors→rollback",
        "rollback s",
        "caught in hzn",
        "errors in hzn",
      ]),
    );
    for (const [name, summary] of Object.entries(outcomes)) {
      lines.push(
        header(`  ${policies[name]?.label ?? name}`, [
          fixed(summary.badErrors, 1),
          fixed(summary.rollbackSeconds, 0),
          pct(summary.caught),
          fixed(summary.errorsInHorizon, 1),
        ]),
      );
    }
    lines.push(
      header("  SPRT bound (w 10%, α 1%, β 5%)", [fixed(limit.errors, 1), fixed(limit.seconds, 0), "", ""]),
      "",
    );
  }
  lines.push(header("good release (ρ = 1)", ["false rollbacks", "to 100% mean s", "p50 s", "p95 s"]));
  for (const [name, summary] of Object.entries(report.good)) {
    lines.push(
      header(`  ${policies[name]?.label ?? name}`, [
        pct(summary.falseRollbackRate),
        fixed(summary.secondsTo100.mean, 0),
        fixed(summary.secondsTo100.p50, 0),
        fixed(summary.secondsTo100.p95, 0),
      ]),
    );
  }
  lines.push("", JSON.stringify(summaryJson(report)));
  return lines.join("\n");
}

export function summaryJson(report: BlastRadiusReport) {
  const entry = (summary: BadSummary | undefined) => ({
    badErrors: round(summary?.badErrors ?? null, 1),
    rollbackSeconds: round(summary?.rollbackSeconds ?? null, 0),
    caught: round(summary?.caught ?? null, 4),
    errorsInHorizon: round(summary?.errorsInHorizon ?? null, 1),
  });
  const rate = (name: string) => round(report.good[name]?.falseRollbackRate ?? null, 4);
  const to100 = (name: string) => round(report.good[name]?.secondsTo100.mean ?? null, 0);
  return {
    cases: report.bad.map(({ rho, policies: outcomes, bound: limit }) => ({
      rho,
      glidepath: entry(outcomes.glidepath),
      codedeploy: entry(outcomes.codedeploy),
      flagger: entry(outcomes.flagger),
      glidepathCanaryOnly: entry(outcomes.glidepathCanaryOnly),
      glidepathCanaryOnlyWatched: entry(outcomes.glidepathCanaryOnlyWatched),
      glidepath60s: entry(outcomes.glidepath60s),
      codedeployCanaryAlarm: entry(outcomes.codedeployCanaryAlarm),
      sprtBoundErrors: round(limit.errors, 1),
      sprtBoundSeconds: round(limit.seconds, 0),
    })),
    falseRollbackRate: {
      glidepath: rate("glidepath"),
      codedeploy: rate("codedeploy"),
      flagger: rate("flagger"),
      glidepathCanaryOnly: rate("glidepathCanaryOnly"),
      glidepathCanaryOnlyWatched: rate("glidepathCanaryOnlyWatched"),
      glidepath60s: rate("glidepath60s"),
      codedeployCanaryAlarm: rate("codedeployCanaryAlarm"),
    },
    good: {
      glidepathSecondsTo100: to100("glidepath"),
      codedeploySecondsTo100: to100("codedeploy"),
      flaggerSecondsTo100: to100("flagger"),
      glidepathCanaryOnlySecondsTo100: to100("glidepathCanaryOnly"),
      glidepathCanaryOnlyWatchedSecondsTo100: to100("glidepathCanaryOnlyWatched"),
      glidepath60sSecondsTo100: to100("glidepath60s"),
      glidepathSecondsTo100P95: round(report.good.glidepath?.secondsTo100.p95 ?? null, 0),
    },
    settings: {
      rps: report.options.rps,
      baselineErrorRate: report.options.baselineErrorRate,
      seeds: report.options.seeds,
      horizonSeconds: report.options.horizonSeconds,
      seed: report.options.seed,
    },
  };
}

/** `npm run bench -- blast-radius [--seeds N] [--rps N] [--error-rate R] [--horizon S] [--seed N]` */
export function main(argv: readonly string[]): void {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      seeds: { type: "string" },
      rps: { type: "string" },
      "error-rate": { type: "string" },
      horizon: { type: "string" },
      seed: { type: "string" },
    },
    strict: true,
  });
  const number = (value: string | undefined, fallback: number, name: string) => {
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed <= 0) throw new RangeError(`--${name} must be a positive number`);
    return parsed;
  };
  const options: BlastRadiusOptions = {
    ...defaultOptions,
    seeds: Math.round(number(values.seeds, defaultOptions.seeds, "seeds")),
    rps: number(values.rps, defaultOptions.rps, "rps"),
    baselineErrorRate: number(values["error-rate"], defaultOptions.baselineErrorRate, "error-rate"),
    horizonSeconds: Math.round(number(values.horizon, defaultOptions.horizonSeconds, "horizon")),
    seed: Math.round(number(values.seed, defaultOptions.seed, "seed")),
  };
  console.log(formatReport(runBlastRadius(options)));
}

function mean(values: readonly number[]): number | null {
  return values.length === 0 ? null : values.reduce((sum, value) => sum + value, 0) / values.length;
}

function round(value: number | null, digits: number): number | null {
  return value === null ? null : Number(value.toFixed(digits));
}

const fixed = (value: number | null, digits: number) => (value === null ? "-" : value.toFixed(digits));
const pct = (rate: number) => `${Number((rate * 100).toFixed(2))}%`;
