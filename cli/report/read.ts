import { type Decision, type Deployment, DeploymentIdSchema } from "../../functions/domain/deployment.ts";
import { type Promotion, PromotionSchema } from "../../functions/domain/promotion/record.ts";
import type { StatusStores } from "../status/snapshot.ts";
import { UsageError } from "../usage-error.ts";

/**
 * Everything `glidepath report` shows, read at one moment: the promotion (when the id is a promotion's), every
 * wave deployment that exists (or the one deployment asked for), and every decision log.
 */
export interface ReportSnapshot {
  readonly readAt: string;
  readonly promotion?: Promotion;
  /** The deployment asked for, when the id was a deployment's. */
  readonly deploymentId?: string;
  /** By id. */
  readonly deployments: Readonly<Record<string, Deployment>>;
  /** Each deployment's decision log by its id, oldest first; a promotion's own log (its gates, hooks, freezes, moves) under the promotion's id. */
  readonly decisions: Readonly<Record<string, readonly Decision[]>>;
}

/** The reads a report makes: those of `status` but open gates. */
export type ReportStores = Pick<StatusStores, "promotions" | "deployments" | "decisions">;

/** Reads the snapshot of `id` (a promotion's `p-…` or a deployment's `d-…`); a usage error when unknown. */
export async function readReport(
  id: string,
  stores: ReportStores,
  now: () => Date = () => new Date(),
): Promise<ReportSnapshot> {
  const isPromotion = PromotionSchema.shape.id.safeParse(id).success;
  if (!isPromotion && !DeploymentIdSchema.safeParse(id).success) {
    throw new UsageError(
      `'${id}' is neither a promotion id (p- and 20 hex digits) nor a deployment id (d- and 20 hex digits); see \`glidepath history\``,
    );
  }
  const promotion = isPromotion ? await stores.promotions.get(id) : undefined;
  const deploymentIds =
    promotion === undefined
      ? [id]
      : promotion.environments.flatMap((environment) => environment.waves.map((wave) => wave.deploymentId));
  const found = await Promise.all(deploymentIds.map((deploymentId) => stores.deployments.get(deploymentId)));
  const deployments: Record<string, Deployment> = {};
  for (const deployment of found) if (deployment !== undefined) deployments[deployment.id] = deployment;
  if (promotion === undefined && deployments[id] === undefined) {
    throw new UsageError(
      `no ${isPromotion ? "promotion" : "deployment"} ${id} in the state table; check the id, the table (--table, GLIDEPATH_TABLE) and that \`npm start\` still runs for a local one`,
    );
  }
  const logged = [...(promotion === undefined ? [] : [promotion.id]), ...Object.keys(deployments)];
  const logs = await Promise.all(logged.map((subjectId) => stores.decisions.list(subjectId)));
  return {
    readAt: now().toISOString(),
    ...(promotion === undefined ? {} : { promotion }),
    ...(isPromotion ? {} : { deploymentId: id }),
    deployments,
    decisions: Object.fromEntries(logged.map((subjectId, at) => [subjectId, logs[at] ?? []])),
  };
}
