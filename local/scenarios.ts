import type { VersionBehaviour } from "../functions/adapters/local/process-deploy-target.ts";

export const liveVersion = "1.0.0";
export const newVersion = "1.1.0";

const healthy: VersionBehaviour = { errorRate: 0.001, latencyMs: 20, unhealthy: false, conversionRate: 0.5 };

/** What the new version of the sample service does in each demo scenario; the live version is always healthy. */
export const Scenarios = {
  /** Behaves like the live version: the deployment succeeds. */
  good: healthy,
  /** Fails 5% of requests: the alarm and the analysis roll it back. */
  bad: { ...healthy, errorRate: 0.05 },
  /**
   * Twice the latency, so twice the p95 (maxLatencyRatio 1.5): latency pauses by default, and the pause rolls
   * back when it times out.
   */
  slow: { ...healthy, latencyMs: 40 },
  /** No more errors, 30% fewer conversions: the business metric pauses it, and the pause times out into a rollback. */
  "conversion-drop": { ...healthy, conversionRate: healthy.conversionRate * 0.7 },
  /** No more errors, 30% more conversions: the treatment an experiment (`--strategy experiment`) finds the winner. */
  "conversion-lift": { ...healthy, conversionRate: healthy.conversionRate * 1.3 },
  /** Never passes its health check: traffic is never shifted. */
  "flaky-deploy": { ...healthy, unhealthy: true },
} as const satisfies Record<string, VersionBehaviour>;

export type ScenarioName = keyof typeof Scenarios;

export const scenarioNames = Object.keys(Scenarios) as ScenarioName[];

export function isScenarioName(name: string): name is ScenarioName {
  return Object.hasOwn(Scenarios, name);
}

export function behaviourOf(scenario: ScenarioName): (version: string) => VersionBehaviour {
  return (version) => (version === liveVersion ? healthy : Scenarios[scenario]);
}
