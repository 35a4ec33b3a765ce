/**
 * When a bake looks next. Evaluations come every `intervalSeconds` while the bake is young, then a tenth of
 * the time baked so far apart, up to `maxIntervalSeconds`: the looks of a long bake are spaced like a
 * geometric series at first, evenly later. The sequential analysis is anytime-valid (its error bounds hold at
 * any stopping time), so fewer looks keep its guarantees; they only add to how long a late fault takes to be
 * seen by the analysis, while alarm events and humans end a wait at once. This keeps a 24-hour bake inside
 * Step Functions' 25,000 history events (see the README's "Reliability").
 */

export interface BakeScheduleSettings {
  readonly intervalSeconds: number;
  /** Below `intervalSeconds` counts as `intervalSeconds`. */
  readonly maxIntervalSeconds: number;
}

/** An inconclusive bake is extended up to this many times its planned length. */
export const maxBakeExtension = 2;

/** The wait grows to this share of the time baked so far. */
export const lookGrowth = 0.1;

/** Seconds to wait after the evaluation at `elapsedSeconds` of a bake, before the end of the bake is considered. */
export function bakeWaitSeconds(elapsedSeconds: number, settings: BakeScheduleSettings): number {
  const longest = Math.max(settings.intervalSeconds, settings.maxIntervalSeconds);
  return Math.min(longest, Math.max(settings.intervalSeconds, Math.floor(elapsedSeconds * lookGrowth)));
}

/**
 * The evaluations of an undecided bake of `bakeSeconds` that lasts to its end: the first at once, then one
 * per wait, the last at or after `bakeSeconds` (the wait before the end is cut to the time left).
 */
export function bakeEvaluations(bakeSeconds: number, settings: BakeScheduleSettings): number {
  let elapsed = 0;
  let evaluations = 1;
  while (elapsed < bakeSeconds) {
    elapsed += Math.max(1, Math.min(bakeWaitSeconds(elapsed, settings), bakeSeconds - elapsed));
    evaluations += 1;
  }
  return evaluations;
}
