import type { LocalBus } from "../functions/adapters/local/local-bus.ts";
import { CliEventSource, DeployRequestedDetailType } from "../functions/domain/triggers.ts";
import type { TriggerOutcome } from "../functions/handlers/trigger.ts";

/**
 * The local endpoint's `POST /deploy` (`glidepath deploy` from another terminal): the request put on the run's
 * bus as the CLI puts it on AWS, so the run's own trigger takes it; answers what the trigger did.
 */
export function deployThrough(bus: Pick<LocalBus, "put">): (detail: unknown) => Promise<string> {
  return async (detail) => {
    const outcomes = (await bus.put(CliEventSource, DeployRequestedDetailType, detail)) as TriggerOutcome[];
    return outcomes.map(describeOutcome).join("; ");
  };
}

/** What the trigger did with an artifact: `started (p-…)`, `queued behind p-… (p-…)`, `duplicate: RUNNING (p-…)`. */
export function describeOutcome(outcome: TriggerOutcome): string {
  if (outcome.outcome === "ignored") return `ignored: ${outcome.reason}`;
  const detail =
    outcome.outcome === "queued"
      ? `${outcome.behind === undefined ? "" : ` behind ${outcome.behind}`}${outcome.superseded === undefined ? "" : `, superseding ${outcome.superseded}`}`
      : outcome.outcome === "duplicate"
        ? `: ${outcome.status}`
        : "";
  return `${outcome.outcome}${detail} (${outcome.promotionId})`;
}
