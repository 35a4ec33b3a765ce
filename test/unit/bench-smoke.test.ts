import { describe, expect, it, vi } from "vitest";
import { defaultOptions, formatReport, runBlastRadius } from "../../bench/blast-radius/index.ts";
import { binomialInverse, mulberry32, PoissonTable, seedOf } from "../../bench/blast-radius/random.ts";
import {
  defaultOptions as businessDefaults,
  formatReport as businessReport,
  runBusiness,
} from "../../bench/business/index.ts";
import { main } from "../../bench/rollback-latency/index.ts";

/** A few seeds and a short horizon: the benchmark's plumbing, not its numbers. */
const small = { ...defaultOptions, seeds: 20, horizonSeconds: 900, rhos: [2, 10] };

describe("blast-radius benchmark (smoke)", () => {
  it("prints a table and ends with the JSON summary the issue asks for", () => {
    // Act
    const output = formatReport(runBlastRadius(small));

    // Assess
    const lines = output.split("\n");
    expect(lines.some((line) => line.startsWith("bad release, ρ = 2 "))).toBe(true);
    expect(lines.some((line) => line.startsWith("good release"))).toBe(true);
    const summary = JSON.parse(lines.at(-1) ?? "");
    expect(summary.cases.map((entry: { rho: number }) => entry.rho)).toEqual([2, 10]);
    for (const entry of summary.cases) {
      for (const policy of ["glidepath", "codedeploy", "flagger"]) {
        expect(entry[policy]).toEqual({
          badErrors: expect.any(Number),
          rollbackSeconds: expect.any(Number),
          caught: expect.any(Number),
          errorsInHorizon: expect.any(Number),
        });
      }
      expect(entry.sprtBoundErrors).toBeGreaterThan(0);
    }
    expect(summary.falseRollbackRate).toMatchObject({
      glidepath: expect.any(Number),
      codedeploy: expect.any(Number),
      flagger: expect.any(Number),
    });
    expect(summary.good).toMatchObject({
      glidepathSecondsTo100: expect.any(Number),
      codedeploySecondsTo100: 300,
    });
  });

  it("is deterministic by seed, and another seed gives other traffic", () => {
    // Act
    const first = runBlastRadius(small);
    const again = runBlastRadius(small);
    const other = runBlastRadius({ ...small, seed: 2 });

    // Assess
    expect(again).toEqual(first);
    expect(other.bad).not.toEqual(first.bad);
  });

  it("rolls every policy back from a 10x release, and CodeDeploy reaches 100% at 5 minutes", () => {
    // Act
    const report = runBlastRadius(small);

    // Assess
    const tenfold = report.bad.find((entry) => entry.rho === 10);
    for (const summary of Object.values(tenfold?.policies ?? {})) expect(summary.caught).toBe(1);
    expect(report.good.codedeploy?.secondsTo100).toEqual({ mean: 300, p50: 300, p95: 300 });
  });
});

describe("the simulation's randomness", () => {
  it("draws Poisson counts with the right mean by inversion", () => {
    // Prepare
    const uniform = mulberry32(seedOf(1));
    const table = new PoissonTable(100);

    // Act
    let sum = 0;
    for (let draw = 0; draw < 20_000; draw++) sum += table.draw(uniform());

    // Assess
    expect(sum / 20_000).toBeCloseTo(100, 0);
  });

  it.each<[number, number]>([
    [100, 0.1],
    [100, 0.005],
    [5000, 0.5],
  ])("draws Binomial(%i, %f) with the right mean by inversion", (n, p) => {
    // Prepare
    const uniform = mulberry32(seedOf(2, n));

    // Act
    let sum = 0;
    for (let draw = 0; draw < 5000; draw++) sum += binomialInverse(uniform(), n, p);

    // Assess
    const sd = Math.sqrt((n * p * (1 - p)) / 5000);
    expect(Math.abs(sum / 5000 - n * p)).toBeLessThan(4 * sd);
  });

  it("inverts monotonically: a larger uniform never gives fewer", () => {
    // Act
    const draws = [0.01, 0.2, 0.5, 0.8, 0.99].map((u) => binomialInverse(u, 5000, 0.5));

    // Assess
    expect(draws).toEqual(draws.toSorted((a, b) => a - b));
    expect(binomialInverse(0.5, 0, 0.5)).toBe(0);
    expect(binomialInverse(0.5, 10, 1)).toBe(10);
  });
});

describe("rollback-latency benchmark (smoke)", () => {
  it("measures both lanes once and ends with its JSON line", { timeout: 60_000 }, async () => {
    // Prepare
    const lines: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((line: unknown) => {
      lines.push(String(line));
    });

    // Act
    try {
      await main(["--interval", "1", "--runs", "1"]);
    } finally {
      spy.mockRestore();
    }

    // Assess
    const summary = JSON.parse(lines.at(-1) ?? "");
    expect(summary).toMatchObject({ intervalSeconds: 1, runs: 1 });
    // Both lanes measured; how fast is the full benchmark's to report (a timed assertion here flaked under load).
    expect(summary.eventDrivenMs).toBeGreaterThanOrEqual(0);
    expect(summary.pollingMs).toBeGreaterThan(0);
    expect(lines.filter((line) => /^run 1\/1 {2}(event-driven|polling)/.test(line))).toHaveLength(2);
  });
});

describe("business benchmark (smoke)", () => {
  it("prints a row per drop and policy and ends with the false-pause rate and the conversions lost per drop", () => {
    // Act
    const output = businessReport(runBusiness({ ...businessDefaults, runs: 20 }));

    // Assess
    const lines = output.split("\n");
    expect(lines.filter((line) => /^\d+\.\d% {1,2}(Glidepath|threshold)/.test(line))).toHaveLength(8);
    const summary = JSON.parse(lines.at(-1) ?? "");
    for (const policy of ["glidepath", "threshold"]) {
      expect(summary[policy]).toEqual({
        falsePauseRate: expect.any(Number),
        pauseRate: { "0.1": expect.any(Number), "0.2": expect.any(Number), "0.3": expect.any(Number) },
        conversionsLost: { "0.1": expect.any(Number), "0.2": expect.any(Number), "0.3": expect.any(Number) },
      });
    }
  });
});
