import type { EnvironmentConfig } from "./config/index.ts";

export type FreezeWindow = EnvironmentConfig["freezeWindows"][number];

export interface ActiveFreeze {
  /** The window in force now. */
  readonly window: string;
  /**
   * ISO-8601 end of the freeze: the window's end, or later when windows overlap or touch (a deployment that
   * waits for one window must not wake inside the next).
   */
  readonly until: string;
}

/** The freeze in force at `now`, if any. Windows are half-open: [start, end). */
export function activeFreeze(windows: readonly FreezeWindow[], now: Date): ActiveFreeze | undefined {
  const at = now.getTime();
  const spans = windows
    .map((window) => ({ name: window.name, start: Date.parse(window.start), end: Date.parse(window.end) }))
    .sort((a, b) => a.start - b.start);
  const current = spans.find((span) => span.start <= at && at < span.end);
  if (current === undefined) return undefined;
  let until = current.end;
  for (const span of spans) if (span.start <= until && span.end > until) until = span.end;
  return { window: current.name, until: new Date(until).toISOString() };
}
