import type { z } from "zod";
import { historyBudget, historyLimit, maxIntervalToFit, planHistoryEvents } from "../history-budget.ts";
import { plan } from "../planner.ts";
import type { Strategy } from "./strategy.ts";
import type { WaveUse } from "./target-checks.ts";

type Issue = z.core.$ZodRawIssue;
type Path = (string | number)[];

interface EnvironmentToCheck {
  readonly strategy: Strategy;
  readonly watchSeconds: number;
  readonly analysis: { readonly intervalSeconds: number; readonly maxIntervalSeconds: number };
}

/**
 * Each environment's strategy execution fits Step Functions' history at its longest (every bake extended to
 * 2x): a plan that would not is refused here, with the `maxIntervalSeconds` that fits, rather than failing on
 * AWS in the middle of its bake. Rolling batches counted in tasks are planned on each wave's fleet.
 */
export function checkHistoryBudget(
  service: { readonly environments: readonly EnvironmentToCheck[] },
  uses: readonly WaveUse[],
  issues: Issue[],
  prefix: Path,
): void {
  service.environments.forEach((environment, index) => {
    const fleets = uses
      .filter((use) => use.environmentIndex === index)
      .map((use) => ("desiredCount" in use.target ? use.target.desiredCount : undefined));
    for (const fleetSize of new Set(fleets.length === 0 ? [undefined] : fleets)) {
      let planned: ReturnType<typeof plan>;
      try {
        planned = plan(environment.strategy, {
          watchSeconds: environment.watchSeconds,
          ...(fleetSize === undefined ? {} : { fleetSize }),
        });
      } catch {
        return; // a plan that cannot be made is another check's problem
      }
      const events = planHistoryEvents(planned, environment.analysis);
      if (events <= historyBudget) continue;
      const fit = maxIntervalToFit(planned, environment.analysis);
      const hours = Number((planned.totalSeconds / 3600).toFixed(1));
      const phases = planned.phases.length === 1 ? "1 phase" : `${planned.phases.length} phases`;
      issues.push({
        code: "custom",
        input: environment.analysis.maxIntervalSeconds,
        path: [...prefix, "environments", index, "analysis", "maxIntervalSeconds"],
        message:
          `${phases} baking ${hours} hours in all would take up to ${count(events)} Step Functions history events ` +
          `with every bake extended to 2x, over the ${count(historyBudget)} a deployment may plan (an execution stops at ${count(historyLimit)}): ` +
          (fit === undefined
            ? "use fewer phases or shorter bakes"
            : `set maxIntervalSeconds to at least ${fit}, or shorten the bakes`),
      });
      return;
    }
  });
}

const count = (n: number) => n.toLocaleString("en-US");
