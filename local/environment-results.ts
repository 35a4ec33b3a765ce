import type { Deployment } from "../functions/domain/deployment.ts";
import type { DecisionLog } from "../functions/domain/ports/decision-log.ts";
import type { DeploymentStore } from "../functions/domain/ports/deployment-store.ts";
import type { Colour } from "../functions/domain/ports/traffic-router.ts";
import type { PromotionRequest } from "../functions/domain/promotion/request.ts";
import { type CheckVerdicts, checkVerdicts } from "../functions/domain/verdicts.ts";
import type { Fleet } from "./fleet.ts";

/** What happened in one environment of the promotion. */
export interface EnvironmentResult {
  readonly name: string;
  /** The status of its deployment (the last wave's), or NOT_PROMOTED when the promotion never reached it. */
  readonly status: string;
  readonly statusReason?: string;
  readonly deploymentIds: readonly string[];
  /** The deployment whose status is the environment's: its first wave that did not succeed, or its last. */
  readonly deployment?: Deployment;
  /** Every weight its router was set to, in order, as the new version's share (of the outcome's wave). */
  readonly weightHistory: readonly { readonly at: number; readonly new: number }[];
  /** Every weight of every wave that ran, with the wave's region when the environment has several. */
  readonly waveWeights: readonly { readonly at: number; readonly new: number; readonly region?: string }[];
  readonly requests: { readonly old: number; readonly new: number };
  readonly errorsServedByNew: number;
  /** Each region wave: the account and region its local cloud stands for, and its deployment's status. */
  readonly waves: readonly WaveResult[];
}

export interface WaveResult {
  readonly deploymentId: string;
  readonly account: string;
  readonly region: string;
  readonly status: string;
  /** What its checks said at its last evaluation, and the first pause one asked for. */
  readonly verdicts: CheckVerdicts;
}

/** The status of an environment the promotion stopped before. */
export const NotPromoted = "NOT_PROMOTED";

/**
 * What happened in each environment of a promotion, in promotion order, from its waves' deployment records and
 * the fleets they ran on: the status, the weights, the requests and errors each version served.
 */
export async function environmentResults(
  promotion: PromotionRequest,
  deployments: Pick<DeploymentStore, "get">,
  decisions: Pick<DecisionLog, "list">,
  fleets: readonly Fleet[],
): Promise<EnvironmentResult[]> {
  const environments: EnvironmentResult[] = [];
  for (const environment of promotion.environments) {
    const ids = environment.waves.map((wave) => wave.deploymentId);
    // The environment's outcome is its first wave that did not succeed, or its last wave.
    const records = (await Promise.all(ids.map((id) => deployments.get(id)))).filter(
      (candidate) => candidate !== undefined,
    );
    const waves = await Promise.all(
      environment.waves.map(async (wave) => ({
        deploymentId: wave.deploymentId,
        account: wave.request.account,
        region: wave.request.region,
        status: records.find((candidate) => candidate.id === wave.deploymentId)?.status ?? NotPromoted,
        verdicts: checkVerdicts(await decisions.list(wave.deploymentId)),
      })),
    );
    const ran = records.filter((candidate) => candidate.executionArn !== undefined);
    const record = ran.find((candidate) => candidate.status !== "SUCCEEDED") ?? ran.at(-1) ?? records.at(-1);
    const fleet = fleets.find((candidate) => candidate.deploymentId === record?.id);
    const totals = fleet?.totals();
    const served = (colour: Colour | undefined) =>
      colour === undefined || totals === undefined ? { requests: 0, errors: 0 } : totals[colour];
    const oldColour: Colour = fleet?.newColour === "blue" ? "green" : "blue";
    environments.push({
      name: environment.name,
      status: record?.status ?? NotPromoted,
      ...(record?.statusReason === undefined ? {} : { statusReason: record.statusReason }),
      deploymentIds: ids,
      ...(record === undefined ? {} : { deployment: record }),
      weightHistory: fleet?.weightHistory ?? [],
      waveWeights: environment.waves.flatMap((wave) =>
        (fleets.find((candidate) => candidate.deploymentId === wave.deploymentId)?.weightHistory ?? []).map(
          (entry) => ({ ...entry, ...(wave.region === undefined ? {} : { region: wave.region }) }),
        ),
      ),
      requests: {
        old: fleet === undefined ? 0 : served(oldColour).requests,
        new: served(fleet?.newColour).requests,
      },
      errorsServedByNew: served(fleet?.newColour).errors,
      waves,
    });
  }
  return environments;
}
