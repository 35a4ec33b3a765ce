import type { GlidepathConfig } from "../functions/domain/config/index.ts";
import type { Deployment } from "../functions/domain/deployment.ts";
import { type RollbackRequestedDetail, RollbackRequestedDetailType } from "../functions/domain/rollback.ts";
import { CliEventSource } from "../functions/domain/triggers.ts";
import type { RollbackOutcome } from "../functions/handlers/rollback.ts";
import type { ExecutionResult } from "./run-execution.ts";
import { type LocalRunOptions, type LocalStack, runLocal } from "./runtime.ts";
import { loadItems, readSavedTable } from "./saved-table.ts";

export interface LocalRollbackOptions
  extends Pick<LocalRunOptions, "speed" | "rps" | "onEvent" | "signal" | "page"> {
  readonly config: GlidepathConfig;
  readonly request: RollbackRequestedDetail;
  /** What each wave runs now, by region: its fleet starts there. */
  readonly live: Readonly<Record<string, string>>;
}

export interface LocalRollbackResult {
  readonly outcome: RollbackOutcome;
  /** Each wave's rollback deployment as it ended, with its execution. */
  readonly deployments: readonly { readonly deployment: Deployment; readonly execution: ExecutionResult }[];
  readonly durationSeconds: number;
}

/**
 * A rollback after a local run has ended: the local control plane again, with the records the last run left
 * (`.glidepath/table.json`) and each wave's fleet on the version it left there, then the same
 * RollbackRequested event the CLI puts on AWS, carried out by the same handler on the all-at-once machine.
 * What it ends with is saved for the next `status` or `rollback`.
 */
export async function runLocalRollback(options: LocalRollbackOptions): Promise<LocalRollbackResult> {
  return runLocal(
    {
      ...options,
      scenarioOf: () => "good",
      keepEnvironmentFleets: true,
      liveVersionOf: (place) =>
        place.service === options.request.service && place.environment === options.request.environment
          ? options.live[place.region]
          : undefined,
    },
    (stack) => rollBackLocally(stack, options),
  );
}

async function rollBackLocally(
  stack: LocalStack,
  options: LocalRollbackOptions,
): Promise<LocalRollbackResult> {
  const saved = readSavedTable();
  await loadItems(stack.table, saved.items);
  stack.phase(`the records the last local run left (${saved.items.length} items, saved ${saved.savedAt})`);
  const outcome = (await stack.bus.put(
    CliEventSource,
    RollbackRequestedDetailType,
    options.request,
  )) as RollbackOutcome;
  if (outcome.outcome === "refused") return { outcome, deployments: [], durationSeconds: seconds(stack) };
  stack.phase(
    `rolling ${options.request.service} in ${options.request.environment} back to ${outcome.to.version}: ${outcome.deployments.map((deployment) => deployment.deploymentId).join(", ")}`,
  );
  const deployments = [];
  for (const [name, run] of stack.strategies) {
    const execution = await run;
    const id = outcome.deployments.find((deployment) => name.endsWith(deployment.deploymentId.slice(2, 10)));
    const deployment = id === undefined ? undefined : await stack.stores.deployments.get(id.deploymentId);
    if (deployment !== undefined) deployments.push({ deployment, execution });
  }
  return { outcome, deployments, durationSeconds: seconds(stack) };
}

function seconds(stack: LocalStack): number {
  return Math.round((Date.now() - stack.started) / 100) / 10;
}
