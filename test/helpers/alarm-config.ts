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
