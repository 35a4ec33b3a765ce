import type { BusinessMetricConfig } from "../../functions/domain/config/check-schema.ts";
import type { AnalysisSettings } from "../../functions/domain/evaluate.ts";

/** The analysis settings of the tests: the config's defaults, with 100 requests to judge. */
export const analysisSettings: AnalysisSettings = {
  intervalSeconds: 30,
  maxIntervalSeconds: 600,
  minRequests: 100,
  maxErrorRate: 0.01,
  maxErrorRateRatio: 2,
  maxLatencyRatio: 1.5,
  alpha: 0.01,
  missingData: "inconclusive",
  errors: { onFail: "rollback" },
  latency: { onFail: "pause", forSeconds: 0 },
};

/** A checkout conversion metric as the config outputs it: completed over started, a 10% drop pauses. */
export const conversionMetric: BusinessMetricConfig = {
  name: "conversion",
  namespace: "Shop/Checkout",
  numerator: "checkout_completed",
  denominator: "checkout_started",
  dimensions: { Service: "checkout" },
  maxDrop: 0.1,
  minSamples: 100,
  onFail: "pause",
};
