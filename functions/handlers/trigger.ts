import { TriggerEventInvalidError } from "../domain/errors.ts";
import { newPromotion } from "../domain/promotion/controller.ts";
import type { PromotionCommand } from "../domain/promotion/events.ts";
import { LockPlace, PromotionStatus } from "../domain/promotion/record.ts";
import { promotionRequest } from "../domain/promotion/request.ts";
import { type DeployMatch, matchArtifact } from "../domain/triggers.ts";
import { logger } from "../shared/logger.ts";
import { applyPromotionEvent, type PromotionPorts } from "./promotion-runner.ts";

export type TriggerPorts = PromotionPorts & Required<Pick<PromotionPorts, "config" | "start">>;

interface Placed {
  readonly promotionId: string;
  readonly service: string;
  readonly version: string;
}

export type TriggerOutcome =
  | (Placed & { readonly outcome: "started"; readonly executionArn: string })
  /** Waiting for the lock; `superseded` is the older promotion it replaced in the queue. */
  | (Placed & { readonly outcome: "queued"; readonly behind?: string; readonly superseded?: string })
  /** A newer artifact already waits: this one is SUPERSEDED at once. */
  | (Placed & { readonly outcome: "superseded" })
  /** A redelivered event, or a digest promoted before: nothing new is created or started. */
  | (Placed & { readonly outcome: "duplicate"; readonly status: string })
  | { readonly outcome: "ignored"; readonly reason: string };

/**
 * Starts promotions from artifact events (ECR pushes, ArtifactPublished). Each artifact becomes one promotion
 * record per service, idempotent by digest, which takes the service's lock for the whole promotion and starts
 * the pipeline, or waits (see the promotion controller's arrival). Malformed events throw
 * TriggerEventInvalidError so the rule's dead-letter queue keeps them.
 */
export function createTriggerHandler(ports: TriggerPorts) {
  const supersedes = ports.config.services.filter((service) => service.concurrency === "supersede");
  if (supersedes.length > 0 && ports.abort === undefined) {
    throw new Error(
      `services ${supersedes.map((service) => service.name).join(", ")} use concurrency "supersede", which needs an abort port`,
    );
  }
  return async (event: unknown): Promise<readonly TriggerOutcome[]> => {
    const match = matchArtifact(ports.config, event);
    if (!Array.isArray(match)) {
      const { kind, reason } = match as Exclude<typeof match, readonly DeployMatch[]>;
      if (kind === "malformed") throw new TriggerEventInvalidError(reason);
      logger.info("artifact event ignored", { reason });
      return [{ outcome: "ignored", reason }];
    }
    const outcomes: TriggerOutcome[] = [];
    for (const deploy of match as readonly DeployMatch[]) outcomes.push(await place(ports, deploy));
    return outcomes;
  };
}

async function place(ports: TriggerPorts, match: DeployMatch): Promise<TriggerOutcome> {
  const service = ports.config.services.find((candidate) => candidate.name === match.service);
  if (service === undefined)
    throw new Error(`matchArtifact returned ${match.service}, which is not in the config`);
  const request = promotionRequest({ service, artifact: match.artifact, startAt: match.environment });
  const { promotion: before } = await ports.promotions.create(
    newPromotion({
      request,
      publishedAt: match.publishedAt,
      now: ports.clock().toISOString(),
      ...(match.requestedBy === undefined ? {} : { requestedBy: match.requestedBy }),
    }),
  );
  const placed: Placed = { promotionId: before.id, service: service.name, version: before.artifact.version };
  const trace: PromotionCommand[] = [];
  const transition = await applyPromotionEvent(
    ports,
    before.id,
    {
      type: "arrived",
      lock: await ports.promotions.getLock(service.name),
      concurrency: service.concurrency,
    },
    { trace },
  );
  const after = (await ports.promotions.get(before.id)) ?? transition.promotion;
  if (
    before.status !== PromotionStatus.Queued ||
    (before.lock === LockPlace.Queued && after.lock === LockPlace.Queued)
  ) {
    logger.info("artifact event already handled", { ...logKeys(placed), status: after.status });
    return { ...placed, outcome: "duplicate", status: after.status };
  }
  if (after.status === PromotionStatus.Running && after.executionArn !== undefined) {
    logger.info("promotion started", { ...logKeys(placed), executionArn: after.executionArn });
    return { ...placed, outcome: "started", executionArn: after.executionArn };
  }
  if (after.status === PromotionStatus.Superseded) return { ...placed, outcome: "superseded" };
  if (after.status !== PromotionStatus.Queued)
    return { ...placed, outcome: "duplicate", status: after.status };
  const { holder } = await ports.promotions.getLock(service.name);
  const superseded = trace.find((command) => command.type === "supersede")?.promotionId;
  logger.info("promotion queued", { ...logKeys(placed), behind: holder, superseded });
  return {
    ...placed,
    outcome: "queued",
    ...(holder === undefined || holder === before.id ? {} : { behind: holder }),
    ...(superseded === undefined ? {} : { superseded }),
  };
}

/**
 * A promotion's keys for a log line. Powertools drops a `service` key (its own, the function's service name,
 * is reserved), so the deployed service goes under `serviceName`.
 */
function logKeys({ service, ...rest }: Placed) {
  return { ...rest, serviceName: service };
}
