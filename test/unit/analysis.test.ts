import { describe, expect, it } from "vitest";
import { binomialInverse, mulberry32, PoissonTable, seedOf } from "../../bench/blast-radius/random.ts";
import {
  type ArmCounts,
  analyse,
  compareErrorRates,
  phaseAlpha,
  sprtExpectedErrors,
  testErrorRateLimit,
} from "../../functions/domain/analysis/index.ts";
import { compareLatency } from "../../functions/domain/analysis/latency.ts";
import { analysisSettings } from "../helpers/analysis-settings.ts";

const settings = { alpha: 0.01, beta: 0.05, minRatio: 2 } as const;

const counts = (requests: number, errors: number): ArmCounts => ({ requests, errors });

interface Traffic {
  /** The new arm's share of the requests. */
  readonly share: number;
  readonly requestsPerInterval: number;
  readonly oldRate: number;
  readonly newRate: number;
  readonly intervals: number;
}

/**
 * One canary bake: each interval adds Poisson requests to each arm and binomial errors, and the test is judged
 * on the counts since the shift, as the evaluate step does. Stops at the first `fail`, or at the first `pass`
 * when `stopAtPass`.
 */
function bake(traffic: Traffic, seed: number, stopAtPass: boolean): "fail" | "pass" | "continue" {
  const uniform = mulberry32(seedOf(seed));
  const newArrivals = new PoissonTable(traffic.requestsPerInterval * traffic.share);
  const oldArrivals = new PoissonTable(traffic.requestsPerInterval * (1 - traffic.share));
  const old = { requests: 0, errors: 0 };
  const fresh = { requests: 0, errors: 0 };
  for (let interval = 0; interval < traffic.intervals; interval++) {
    const newRequests = newArrivals.draw(uniform());
    const oldRequests = oldArrivals.draw(uniform());
    fresh.requests += newRequests;
    fresh.errors += binomialInverse(uniform(), newRequests, traffic.newRate);
    old.requests += oldRequests;
    old.errors += binomialInverse(uniform(), oldRequests, traffic.oldRate);
    const verdict = compareErrorRates(old, fresh, settings).verdict;
    if (verdict === "fail" || (stopAtPass && verdict === "pass")) return verdict;
  }
  return "continue";
}

function share(traffic: Traffic, runs: number, stopAtPass: boolean, salt: number) {
  const verdicts = Array.from({ length: runs }, (_, run) => bake(traffic, seedOf(salt, run), stopAtPass));
  return {
    fail: verdicts.filter((verdict) => verdict === "fail").length / runs,
    pass: verdicts.filter((verdict) => verdict === "pass").length / runs,
  };
}

/** 100 requests/s evaluated every 10 s for 10 minutes, 0.5% 5xx on the old version. */
const canary = (newShare: number, rho: number): Traffic => ({
  share: newShare,
  requestsPerInterval: 1000,
  oldRate: 0.005,
  newRate: 0.005 * rho,
  intervals: 60,
});

describe("compareErrorRates, seeded", () => {
  it.each([0.1, 0.5])(
    "rolls back at most alpha of healthy releases at %f of the traffic, looking every interval and never stopping",
    (newShare) => {
      // Act
      const { fail } = share(canary(newShare, 1), 1000, false, 1);

      // Assess
      expect(fail).toBeLessThanOrEqual(settings.alpha);
    },
  );

  it("rolls back at most alpha of releases that are better than the old one", () => {
    // Act
    const { fail } = share(canary(0.1, 0.5), 500, false, 2);

    // Assess
    expect(fail).toBeLessThanOrEqual(settings.alpha);
  });

  it("passes most healthy releases within the bake", () => {
    // Act
    const { pass, fail } = share(canary(0.1, 1), 500, true, 3);

    // Assess
    expect(pass).toBeGreaterThan(0.9);
    expect(fail).toBeLessThanOrEqual(settings.alpha);
  });

  it.each<[number, number, number]>([
    [2, 0.85, 0.05],
    [5, 0.999, 0],
    [10, 1, 0],
  ])("catches a release %ix worse in at least %f of runs, passing at most %f", (rho, caught, passed) => {
    // Act
    const { fail, pass } = share(canary(0.1, rho), 500, true, 4);

    // Assess
    expect(fail).toBeGreaterThanOrEqual(caught);
    expect(pass).toBeLessThanOrEqual(passed);
  });
});

describe("compareErrorRates", () => {
  it.each<[string, ArmCounts, ArmCounts, { applicable: boolean; share: number | null; errors: number }]>([
    ["no traffic at all", counts(0, 0), counts(0, 0), { applicable: false, share: null, errors: 0 }],
    ["an empty old arm", counts(0, 0), counts(1000, 40), { applicable: false, share: 1, errors: 40 }],
    ["an empty new arm", counts(1000, 5), counts(0, 0), { applicable: false, share: 0, errors: 5 }],
    ["no errors", counts(9000, 0), counts(1000, 0), { applicable: true, share: 0.1, errors: 0 }],
  ])("stays undecided with %s, e-values at 1", (_case, old, fresh, expected) => {
    // Act
    const result = compareErrorRates(old, fresh, settings);

    // Assess
    expect(result).toMatchObject({ verdict: "continue", ...expected });
    expect(result.fail.eValue).toBeCloseTo(1, 12);
    expect(result.pass.eValue).toBe(1);
  });

  it("fails on the errors' split alone, whatever the absolute rates", () => {
    // Act
    const result = compareErrorRates(counts(900_000, 9), counts(100_000, 8), settings);

    // Assess
    expect(result).toMatchObject({ verdict: "fail", share: 0.1, errors: 17, errorShare: 8 / 17 });
    expect(result.fail.eValue).toBeGreaterThanOrEqual(result.fail.bound);
    expect(result.fail.likeliestRatio).toBe(8);
  });

  it("passes when the errors split as the requests do, on enough of them", () => {
    // Act
    const result = compareErrorRates(counts(90_000, 450), counts(10_000, 50), settings);

    // Assess
    expect(result.verdict).toBe("pass");
    expect(result.pass).toMatchObject({ bound: 20, ratio: 2 });
    expect(result.pass.eValue).toBeGreaterThanOrEqual(20);
  });

  it("counts at most one error per request", () => {
    // Act
    const result = compareErrorRates(counts(900, 0), counts(10, 20), settings);

    // Assess
    expect(result.errors).toBe(10);
  });

  it("mixes the alternatives minRatio × 1, 2, 4 and 8", () => {
    // Act
    const result = compareErrorRates(counts(900, 1), counts(100, 1), { ...settings, minRatio: 1.5 });

    // Assess
    expect(result.fail.ratios).toEqual([1.5, 3, 6, 12]);
  });
});

describe("testErrorRateLimit", () => {
  it("rolls back at most alpha of releases exactly at the limit, seeded", () => {
    // Prepare
    const arrivals = new PoissonTable(100);
    let failures = 0;

    // Act
    for (let run = 0; run < 500; run++) {
      const uniform = mulberry32(seedOf(5, run));
      const fresh = { requests: 0, errors: 0 };
      for (let interval = 0; interval < 60; interval++) {
        const requests = arrivals.draw(uniform());
        fresh.requests += requests;
        fresh.errors += binomialInverse(uniform(), requests, 0.01);
        if (testErrorRateLimit(fresh, 0.01, 0.01).verdict === "fail") {
          failures += 1;
          break;
        }
      }
    }

    // Assess
    expect(failures / 500).toBeLessThanOrEqual(0.01);
  });

  it.each<[string, ArmCounts, number, string]>([
    ["4% over 1000 requests against 1%", counts(1000, 40), 0.01, "fail"],
    ["1.5% over 1000 requests against 1%: not yet", counts(1000, 15), 0.01, "continue"],
    ["any error against a limit of 0", counts(1000, 1), 0, "fail"],
    ["no error against a limit of 0", counts(1000, 0), 0, "continue"],
    ["a limit so high that nothing is above twice it", counts(100, 90), 0.6, "continue"],
    ["no traffic", counts(0, 0), 0.01, "continue"],
  ])("%s → %s", (_case, fresh, limit, verdict) => {
    // Act
    const result = testErrorRateLimit(fresh, limit, 0.01);

    // Assess
    expect(result.verdict).toBe(verdict);
    expect(result.bound).toBe(100);
  });
});

describe("sprtExpectedErrors", () => {
  it("gives the issue's limit: about 136 errors for 10% of the traffic, a 2x release, α 1% and β 5%", () => {
    // Act
    const result = sprtExpectedErrors({ share: 0.1, ratio: 2, alpha: 0.01, beta: 0.05 });

    // Assess
    expect(Math.round(result.errors)).toBe(136);
    expect(result.badShare).toBeCloseTo(0.2 / 1.1, 12);
    expect(result.newErrors).toBeCloseTo(result.errors * result.badShare, 9);
  });

  it("needs fewer errors for a worse release", () => {
    // Act
    const [two, five, ten] = [2, 5, 10].map(
      (ratio) => sprtExpectedErrors({ share: 0.1, ratio, alpha: 0.01, beta: 0.05 }).errors,
    );

    // Assess
    expect(two).toBeGreaterThan(five ?? 0);
    expect(five).toBeGreaterThan(ten ?? 0);
  });
});

describe("analyse", () => {
  it.each<[string, ArmCounts, ArmCounts, string, string | null, boolean]>([
    ["a failure before minRequests", counts(900, 0), counts(40, 10), "fail", "error-rate-limit", false],
    ["too few requests, nothing wrong yet", counts(900, 1), counts(40, 0), "continue", null, false],
    ["a pass", counts(90_000, 450), counts(10_000, 50), "pass", null, true],
    ["a comparison failure", counts(9000, 9), counts(1000, 8), "fail", "error-rate-comparison", true],
  ])("%s → %s", (_case, old, fresh, verdict, failedBy, enoughRequests) => {
    // Act
    const result = analyse(old, fresh, analysisSettings, 0);

    // Assess
    expect(result).toMatchObject({ verdict, failedBy, enoughRequests, alpha: 0.005, beta: 0.05 });
  });

  it("fails on latency only with enough requests on both arms", () => {
    // Act
    const slow = analyse(
      { requests: 9000, errors: 0, p95Ms: 80 },
      { requests: 1000, errors: 0, p95Ms: 200 },
      analysisSettings,
      0,
    );

    // Assess
    expect(slow).toMatchObject({ verdict: "fail", failedBy: "latency", latency: { ratio: 2.5 } });
  });

  it.each<[number, number]>([
    [0, 0.005],
    [1, 0.0025],
    [3, 0.000625],
  ])("phase %i spends alpha %f", (phaseIndex, alpha) => {
    // Act & Assess
    expect(phaseAlpha(0.01, phaseIndex)).toBeCloseTo(alpha, 12);
  });
});

describe("compareLatency", () => {
  const limits = { maxRatio: 1.5, minRequests: 100 };

  it.each<[string, number, number | undefined, number, number | undefined, string, number | null]>([
    ["twice the p95", 9000, 80, 1000, 160, "fail", 2],
    ["a little slower", 9000, 80, 1000, 100, "pass", 1.25],
    ["exactly at the limit", 9000, 80, 1000, 120, "pass", 1.5],
    ["no baseline", 0, undefined, 1000, 500, "skipped", null],
    ["no percentiles", 9000, undefined, 1000, 160, "skipped", null],
    ["a p95 of 0 ms on the old arm", 9000, 0, 1000, 160, "skipped", null],
    ["too few requests on the new arm", 9000, 80, 50, 400, "skipped", null],
  ])("%s → %s", (_case, oldRequests, oldP95, newRequests, newP95, verdict, ratio) => {
    // Act
    const result = compareLatency(
      { requests: oldRequests, ...(oldP95 === undefined ? {} : { p95Ms: oldP95 }) },
      { requests: newRequests, ...(newP95 === undefined ? {} : { p95Ms: newP95 }) },
      limits,
    );

    // Assess
    expect(result).toMatchObject({ verdict, ratio, limit: 1.5 });
  });
});
