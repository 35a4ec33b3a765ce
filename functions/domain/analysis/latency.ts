/**
 * Latency of the two arms, compared by their p95 since the shift. The health signals carry percentiles, not
 * per-request latencies (CloudWatch's ALB metrics have no distribution to rank), so a rank test such as
 * Kayenta's Mann-Whitney has nothing to work on; a p95 over at least `minRequests` requests per arm is what
 * both CloudWatch and the local router measure the same way.
 */
export interface LatencyInput {
  readonly requests: number;
  readonly p95Ms?: number;
  readonly p99Ms?: number;
}

export interface LatencyComparison {
  /** `skipped` when the arms cannot be compared: see `skippedBecause`. */
  readonly verdict: "pass" | "fail" | "skipped";
  readonly skippedBecause?: "no baseline" | "no percentiles" | "too few requests";
  /** The new arm's p95 over the old arm's; null when skipped. */
  readonly ratio: number | null;
  readonly limit: number;
  readonly oldP95Ms: number | null;
  readonly newP95Ms: number | null;
  readonly oldP99Ms: number | null;
  readonly newP99Ms: number | null;
}

export function compareLatency(
  old: LatencyInput,
  fresh: LatencyInput,
  settings: { readonly maxRatio: number; readonly minRequests: number },
): LatencyComparison {
  const base = {
    limit: settings.maxRatio,
    oldP95Ms: old.p95Ms ?? null,
    newP95Ms: fresh.p95Ms ?? null,
    oldP99Ms: old.p99Ms ?? null,
    newP99Ms: fresh.p99Ms ?? null,
  };
  const skipped = (because: NonNullable<LatencyComparison["skippedBecause"]>): LatencyComparison => ({
    ...base,
    verdict: "skipped",
    skippedBecause: because,
    ratio: null,
  });
  if (old.requests === 0) return skipped("no baseline");
  if (old.p95Ms === undefined || fresh.p95Ms === undefined || old.p95Ms <= 0)
    return skipped("no percentiles");
  // A p95 of a few requests is their maximum: one slow request would decide.
  if (old.requests < settings.minRequests || fresh.requests < settings.minRequests) {
    return skipped("too few requests");
  }
  const ratio = fresh.p95Ms / old.p95Ms;
  return { ...base, verdict: ratio > settings.maxRatio ? "fail" : "pass", ratio };
}
