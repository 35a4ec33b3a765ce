/** An alarm definition as a config gives it: the 5xx rate above 2% in 3 one-minute periods. */
export function errorRateAlarm<Name extends string>(name: Name) {
  return {
    name,
    metric: "ErrorRate",
    statistic: "Average",
    periodSeconds: 60,
    evaluationPeriods: 3,
    threshold: 0.02,
    comparison: "GreaterThanThreshold",
  } as const;
}

/** A feature flag's AppConfig target as a config gives it (AppConfig ids are 7 characters). */
export const appconfig = {
  type: "appconfig",
  application: "shop1ab",
  environment: "prod7cd",
  configurationProfile: "flags9e",
  deploymentStrategy: "now42zz",
} as const;
