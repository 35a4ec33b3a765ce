import { arrival } from "./arrival.ts";
import type { PromotionEvent, Transition } from "./events.ts";
import { progress } from "./progress.ts";
import { EnvironmentStatus, LockPlace, type Promotion, PromotionStatus } from "./record.ts";
import type { PromotionRequest } from "./request.ts";

/**
 * The promotion controller: `(promotion, event) → { promotion′, commands }`, pure. Handlers load the promotion,
 * call it, persist the result with a write conditioned on the revision they read, then carry out the commands.
 * An event the promotion cannot take is refused with a named error (PromotionEventRefusedError, or
 * PromotionBlockedError for an environment it may not enter) and changes nothing.
 */
export function decide(promotion: Promotion, event: PromotionEvent): Transition {
  switch (event.type) {
    case "arrived":
    case "lock-acquired":
    case "lock-busy":
    case "outdated":
    case "enqueued":
    case "lock-handed":
    case "started":
    case "unstartable":
    case "superseded":
    case "abort-requested":
      return arrival(promotion, event);
    default:
      return progress(promotion, event);
  }
}

/** The record of a promotion that has just arrived: QUEUED, outside the lock, every environment PENDING. */
export function newPromotion(input: {
  readonly request: PromotionRequest;
  readonly publishedAt: string;
  readonly now: string;
  /** Who asked for it (`glidepath deploy`). */
  readonly requestedBy?: string;
}): Promotion {
  return {
    id: input.request.promotionId,
    service: input.request.service,
    artifact: { ...input.request.artifact },
    publishedAt: input.publishedAt,
    ...(input.requestedBy === undefined ? {} : { requestedBy: input.requestedBy }),
    status: PromotionStatus.Queued,
    environments: input.request.environments.map((environment) => ({
      name: environment.name,
      status: EnvironmentStatus.Pending,
      waves: environment.waves.map((wave) => ({
        deploymentId: wave.deploymentId,
        place: { account: wave.request.account, region: wave.request.region },
        ...(wave.region === undefined ? {} : { region: wave.region }),
      })),
    })),
    hooks: [],
    lock: LockPlace.None,
    createdAt: input.now,
    updatedAt: input.now,
    revision: 0,
  };
}
