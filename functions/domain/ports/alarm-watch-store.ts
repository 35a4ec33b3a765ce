/**
 * An alarm where CloudWatch keeps it: names are unique only within one account and region, and a wave's
 * alarms live in the wave's.
 */
export interface AlarmRef {
  readonly account: string;
  readonly region: string;
  readonly name: string;
}

/** Which live deployments watch which alarms, so an alarm event finds the deployments it concerns. */
export interface AlarmWatchStore {
  watch(deploymentId: string, alarms: readonly AlarmRef[]): Promise<void>;

  unwatch(deploymentId: string, alarms: readonly AlarmRef[]): Promise<void>;

  /** Deployments that watch the alarm now. */
  watching(alarm: AlarmRef): Promise<readonly string[]>;
}

/** The alarms a wave watches, by name, in its account and region. */
export function alarmRefs(
  wave: { readonly account: string; readonly region: string },
  names: readonly string[],
): AlarmRef[] {
  return names.map((name) => ({ account: wave.account, region: wave.region, name }));
}
