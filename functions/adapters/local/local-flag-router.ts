import { z } from "zod";
import {
  deployedSplit,
  emptyFlagDocument,
  FlagDocumentSchema,
  flagDeploymentDescription,
  nextFlagStep,
  restoresPrevious,
  splitOfDescription,
  splitWeights,
  verifiedShift,
  withSplit,
} from "../../domain/flags.ts";
import type { TargetConfig } from "../../domain/ports/index.ts";
import type { ColourWeights, SetWeightsResult, TrafficRouter } from "../../domain/ports/traffic-router.ts";

type FlagTarget = Extract<TargetConfig, { type: "flag" }>;

const DeploymentsSchema = z.object({
  items: z.array(
    z.object({
      deploymentNumber: z.number().int(),
      description: z.string(),
      state: z.enum(["DEPLOYING", "COMPLETE"]),
      document: FlagDocumentSchema,
    }),
  ),
});

type LocalDeployment = z.output<typeof DeploymentsSchema>["items"][number];

export interface LocalFlagRouterProps {
  /** The local cloud's flag store (local/flag-store.ts), `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly rollout: Pick<FlagTarget, "flag" | "splitKey" | "rollbackTo">;
  readonly deploymentId: string;
}

/**
 * The flag's split as the traffic router on this machine, over the local flag store's HTTP API: the same
 * steps as on AppConfig (start a deployment of the live document with the flag's variants, look again until
 * it completed, read it back), so a shift is unsettled for as long as a local deployment takes.
 */
export class LocalFlagRouter implements TrafficRouter {
  readonly #props: LocalFlagRouterProps;

  constructor(props: LocalFlagRouterProps) {
    this.#props = props;
  }

  async readWeights(): Promise<ColourWeights> {
    const latest = (await this.#deployments())[0];
    if (latest === undefined || latest.state !== "COMPLETE" || this.#ours(latest) === undefined)
      return splitWeights(0);
    return splitWeights(deployedSplit(latest.document, this.#props.rollout, this.#name));
  }

  async setWeights(weights: ColourWeights): Promise<SetWeightsResult> {
    const percent = weights.green;
    const deployments = await this.#deployments();
    const latest = deployments[0];
    const next = nextFlagStep(
      latest === undefined
        ? undefined
        : { ours: this.#ours(latest), state: latest.state === "COMPLETE" ? "complete" : "in-progress" },
      percent,
    );
    if (next === "wait")
      return { changed: latest?.description === this.#description(percent), weights, settled: false };
    if (next === "verify" && latest !== undefined) {
      return verifiedShift(this.#props.rollout, weights, {
        router: this.#name,
        why: "Something else deployed the same flag.",
        document: async () => latest.document,
      });
    }
    const live =
      deployments.find((deployment) => deployment.state === "COMPLETE")?.document ?? emptyFlagDocument();
    const before = restoresPrevious(this.#props.rollout, percent)
      ? deployments.find(
          (deployment) => deployment.state === "COMPLETE" && this.#ours(deployment) === undefined,
        )?.document
      : undefined;
    const response = await fetch(`${this.#props.url}/deployments`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        description: this.#description(percent),
        document: before ?? withSplit(live, this.#props.rollout, percent),
      }),
    });
    // 409: another deployment started in between; look again later.
    if (response.status === 409) return { changed: false, weights, settled: false };
    if (!response.ok)
      throw new Error(`the local flag store refused the deployment: ${await response.text()}`);
    return { changed: true, weights, settled: false };
  }

  async #deployments(): Promise<LocalDeployment[]> {
    const response = await fetch(`${this.#props.url}/deployments`);
    if (!response.ok) throw new Error(`the local flag store answered ${response.status} to GET /deployments`);
    return DeploymentsSchema.parse(await response.json()).items;
  }

  get #name(): string {
    return `flag ${this.#props.rollout.flag} of the local flag store`;
  }

  #description(percent: number): string {
    return flagDeploymentDescription(this.#props.deploymentId, this.#props.rollout.flag, percent);
  }

  #ours(deployment: LocalDeployment): number | undefined {
    return splitOfDescription(deployment.description, this.#props.deploymentId, this.#props.rollout.flag);
  }
}
