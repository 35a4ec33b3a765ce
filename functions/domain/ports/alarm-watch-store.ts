/** Which live deployments watch which alarms, so an alarm event finds the deployments it concerns. */
export interface AlarmWatchStore {
  watch(deploymentId: string, alarmNames: readonly string[]): Promise<void>;

  unwatch(deploymentId: string, alarmNames: readonly string[]): Promise<void>;

  /** Deployments that watch the alarm now. */
  watching(alarmName: string): Promise<readonly string[]>;
}
