import { type BakeScheduleSettings, bakeEvaluations, maxBakeExtension } from "./bake-schedule.ts";
import type { Plan } from "./planner.ts";

/** Step Functions stops a standard execution at this many history events. */
export const historyLimit = 25_000;

/**
 * The most history events a deployment's plan may take at its longest (every bake extended): a tenth of the
 * limit is left for what no plan says, pauses, retries and alarms.
 */
export const historyBudget = 22_500;

/**
 * History events of one look of a bake on the synthesized machines, as measured by the long-bake test:
 * `Evaluate alarms` 5, `Bake complete?` 2, the `Bake` Parallel 4, its token gate 6, its timer 2, the ring 5.
 */
export const eventsPerLook = 24;

/** History events of a phase besides its looks (its shift and the states around it), at most. */
export const eventsPerPhase = 40;

/** History events of a deployment besides its phases (deploy, rollout checks, records, retire), at most. */
export const eventsPerDeployment = 200;

/**
 * The history events a strategy execution of `plan` takes at most: every bake lasting `extension` times as
 * planned (an undecided bake is extended up to 2x). An estimate from above, checked against the synthesized
 * machines by the long-bake test.
 */
export function planHistoryEvents(
  plan: Pick<Plan, "phases">,
  settings: BakeScheduleSettings,
  extension: number = maxBakeExtension,
): number {
  const looks = plan.phases.reduce(
    (sum, phase) => sum + bakeEvaluations(phase.bakeSeconds * extension, settings),
    0,
  );
  return eventsPerDeployment + plan.phases.length * eventsPerPhase + looks * eventsPerLook;
}

/**
 * The smallest `maxIntervalSeconds` in whole minutes that brings `plan` inside the budget, or undefined when
 * none does (too many phases even at the fewest looks). Fewer looks with a longer wait: a binary search.
 */
export function maxIntervalToFit(plan: Plan, settings: BakeScheduleSettings): number | undefined {
  const fits = (minutes: number) =>
    planHistoryEvents(plan, { ...settings, maxIntervalSeconds: minutes * 60 }) <= historyBudget;
  const longest = Math.max(...plan.phases.map((phase) => phase.bakeSeconds * maxBakeExtension));
  let high = Math.max(1, Math.ceil(longest / 60));
  if (!fits(high)) return undefined;
  let low = Math.floor(settings.maxIntervalSeconds / 60);
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (fits(middle)) high = middle;
    else low = middle;
  }
  return high * 60;
}
