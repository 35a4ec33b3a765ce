import type { Decision, Deployment } from "../../functions/domain/deployment.ts";
import { isTerminal } from "../../functions/domain/deployment.ts";
import type { Gate } from "../../functions/domain/gates.ts";
import type { Stores } from "../../functions/domain/ports/stores.ts";
import type { Promotion } from "../../functions/domain/promotion/record.ts";
import { UsageError } from "../usage-error.ts";

/** What Step Functions says of an execution (DescribeExecution), beside what the records say. */
export interface ExecutionState {
  readonly status: "RUNNING" | "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "ABORTED" | "PENDING_REDRIVE" | string;
  readonly stopDate?: string;
}

/** Reads an execution's state; absent where there is no Step Functions API to ask (the local run). */
export type DescribeExecution = (executionArn: string) => Promise<ExecutionState | undefined>;

/**
 * Everything `glidepath status` shows, read at one moment: the promotion (when the id is a promotion's, or the
 * deployment's belongs to one), every wave deployment that exists, and for the wave that runs (or ran last)
 * its decision log and open gate.
 */
export interface StatusSnapshot {
  readonly readAt: string;
  readonly promotion?: Promotion;
  /** The deployment asked for, when the id was a deployment's. */
  readonly deploymentId?: string;
  /** By id. */
  readonly deployments: Readonly<Record<string, Deployment>>;
  /** The wave deployment that runs now, else the last that ran. */
  readonly current?: {
    readonly deploymentId: string;
    readonly decisions: readonly Decision[];
    readonly openGate?: Gate;
  };
  /** The promotion's pipeline execution (or the lone deployment's), as Step Functions sees it. */
  readonly execution?: ExecutionState;
}

/** The reads `status` makes. */
export interface StatusStores {
  readonly promotions: Pick<Stores["promotions"], "get">;
  readonly deployments: Pick<Stores["deployments"], "get">;
  readonly gates: Pick<Stores["gates"], "getOpen">;
  readonly decisions: Pick<Stores["decisions"], "list">;
}

const promotionIdPattern = /^p-[0-9a-f]{20}$/;
const deploymentIdPattern = /^d-[0-9a-f]{20}$/;

/** Reads the snapshot of `id` (a promotion's `p-…` or a deployment's `d-…`); a usage error when unknown. */
export async function readStatus(
  id: string,
  stores: StatusStores,
  describe: DescribeExecution | undefined,
  now: () => Date = () => new Date(),
): Promise<StatusSnapshot> {
  if (!promotionIdPattern.test(id) && !deploymentIdPattern.test(id)) {
    throw new UsageError(
      `'${id}' is neither a promotion id (p- and 20 hex digits) nor a deployment id (d- and 20 hex digits); see \`glidepath history\``,
    );
  }
  const asked = deploymentIdPattern.test(id) ? await stores.deployments.get(id) : undefined;
  const promotionId = promotionIdPattern.test(id) ? id : asked?.promotionId;
  const promotion = promotionId === undefined ? undefined : await stores.promotions.get(promotionId);
  if (promotion === undefined && asked === undefined) {
    throw new UsageError(
      `no ${promotionIdPattern.test(id) ? "promotion" : "deployment"} ${id} in the state table; check the id, the table (--table, GLIDEPATH_TABLE) and that \`npm start\` still runs for a local one`,
    );
  }
  const waveIds =
    promotion === undefined
      ? [id]
      : promotion.environments.flatMap((environment) => environment.waves.map((wave) => wave.deploymentId));
  const found = await Promise.all(waveIds.map((waveId) => stores.deployments.get(waveId)));
  const deployments: Record<string, Deployment> = {};
  for (const deployment of found) if (deployment !== undefined) deployments[deployment.id] = deployment;
  const existing = waveIds.flatMap((waveId) => deployments[waveId] ?? []);
  const current = existing.find((deployment) => !isTerminal(deployment.status)) ?? existing.at(-1);
  const executionArn = promotion?.executionArn ?? asked?.executionArn;
  // The promotion's approval into an environment is opened on its first wave, QUEUED until approved.
  const [decisions, openGate, execution] = await Promise.all([
    current === undefined ? [] : stores.decisions.list(current.id),
    current === undefined ? undefined : stores.gates.getOpen(current.id),
    executionArn === undefined || describe === undefined ? undefined : describe(executionArn),
  ]);
  return {
    readAt: now().toISOString(),
    ...(promotion === undefined ? {} : { promotion }),
    ...(asked === undefined ? {} : { deploymentId: asked.id }),
    deployments,
    ...(current === undefined
      ? {}
      : {
          current: {
            deploymentId: current.id,
            decisions,
            ...(openGate === undefined ? {} : { openGate }),
          },
        }),
    ...(execution === undefined ? {} : { execution }),
  };
}
