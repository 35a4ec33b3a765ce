import { DecisionAction } from "../deployment.ts";
import type { NewestArtifact } from "../ports/promotion-store.ts";
import type { PromotionEvent, Transition } from "./events.ts";
import { LockPlace, type Promotion, PromotionStatus } from "./record.ts";
import { refuse, unchanged, updated } from "./transition.ts";

/** The actor of the decisions the `supersede` policy and the queue take. */
export const SupersedeActor = "glidepath:supersede";

type ArrivalEvent = Extract<
  PromotionEvent,
  {
    readonly type:
      | "arrived"
      | "lock-acquired"
      | "lock-busy"
      | "outdated"
      | "enqueued"
      | "lock-handed"
      | "started"
      | "unstartable"
      | "superseded"
      | "abort-requested";
  }
>;

/**
 * The trigger's side of a promotion: an artifact that arrives takes the service's lock and starts its pipeline,
 * or waits. Only the newest waiting artifact waits: the one it replaces is SUPERSEDED. With `supersede`, the
 * running promotion is asked to stop too. A redelivered event finds the promotion where the first delivery left
 * it and finishes what that delivery did not.
 */
export function arrival(promotion: Promotion, event: ArrivalEvent): Transition {
  switch (event.type) {
    case "arrived":
      return arrived(promotion, event);
    case "lock-acquired":
      if (promotion.status !== PromotionStatus.Queued) return refuse(promotion, event, "it is not waiting");
      return updated(promotion, { lock: LockPlace.Holder }, [{ type: "start-pipeline" }]);
    case "lock-handed":
      return lockHanded(promotion, event);
    case "lock-busy":
      // Handed the lock or superseded meanwhile, by the delivery of another artifact.
      if (movedOn(promotion)) return unchanged(promotion);
      return unchanged(promotion, [{ type: "enqueue", order: queueOrder(promotion) }]);
    case "outdated":
      if (promotion.status === PromotionStatus.Superseded) return unchanged(promotion);
      if (movedOn(promotion)) return refuse(promotion, event, "only a waiting promotion is outdated");
      return outdated(promotion, event.newer);
    case "enqueued":
      return enqueued(promotion, event);
    case "started":
      if (promotion.status === PromotionStatus.Running && promotion.executionArn === event.executionArn) {
        return unchanged(promotion);
      }
      if (promotion.status !== PromotionStatus.Queued || promotion.lock !== LockPlace.Holder) {
        return refuse(promotion, event, "only the holder of the lock starts");
      }
      return updated(promotion, {
        status: PromotionStatus.Running,
        executionArn: event.executionArn,
        updatedAt: event.at,
      });
    case "unstartable":
      if (promotion.status !== PromotionStatus.Queued) return refuse(promotion, event, "it is not waiting");
      return updated(
        promotion,
        { status: PromotionStatus.Stopped, lock: LockPlace.None, reason: event.reason, updatedAt: event.at },
        promotion.lock === LockPlace.Holder ? [{ type: "release-lock" }, { type: "take-queue" }] : [],
      );
    case "superseded": {
      if (promotion.status === PromotionStatus.Superseded) return unchanged(promotion);
      if (promotion.status !== PromotionStatus.Queued || promotion.lock === LockPlace.Holder) {
        return refuse(promotion, event, "only a waiting promotion is superseded");
      }
      const reason = `superseded by ${event.version} (${event.by}) before it started`;
      return updated(
        promotion,
        { status: PromotionStatus.Superseded, lock: LockPlace.None, reason, updatedAt: event.at },
        [supersededLog(promotion.id, reason, event, event.at)],
      );
    }
    case "abort-requested": {
      if (promotion.status !== PromotionStatus.Running) return unchanged(promotion);
      const abort = { type: "abort" as const, reason: `superseded by ${event.version} (${event.by})` };
      if (promotion.abortRequested !== undefined) return unchanged(promotion, [abort]);
      return updated(
        promotion,
        { abortRequested: { by: event.by, reason: abort.reason, at: event.at }, updatedAt: event.at },
        [abort],
      );
    }
  }
}

function arrived(promotion: Promotion, event: Extract<PromotionEvent, { type: "arrived" }>): Transition {
  // Started, finished or superseded before: a redelivery, or a digest promoted before.
  if (promotion.status !== PromotionStatus.Queued) return unchanged(promotion);
  if (promotion.lock === LockPlace.Holder) return unchanged(promotion, [{ type: "start-pipeline" }]);
  if (promotion.lock === LockPlace.Queued) {
    // It waits already; the earlier delivery may have stopped before asking the holder to stop.
    const holder = event.lock.holder;
    return unchanged(
      promotion,
      event.concurrency === "supersede" && holder !== undefined && holder !== promotion.id
        ? [abortHolder(holder)]
        : [],
    );
  }
  return unchanged(promotion, [{ type: "acquire-lock", order: queueOrder(promotion) }]);
}

/**
 * Artifacts of a service are promoted in the order they were published (the event's time), whatever order
 * EventBridge delivers them in: one published before the newest that took the lock arrived late, and is
 * superseded by that one instead of taking the service back to an older version.
 */
function outdated(promotion: Promotion, newer: NewestArtifact): Transition {
  const reason = `published before ${newer.version} (${newer.promotionId}), which took the lock first: an older artifact is not promoted after a newer one`;
  return updated(
    promotion,
    { status: PromotionStatus.Superseded, lock: LockPlace.None, reason, updatedAt: promotion.publishedAt },
    [
      {
        type: "log",
        decision: {
          deploymentId: promotion.id,
          id: `outdated-by-${newer.promotionId}`,
          at: promotion.publishedAt,
          action: DecisionAction.Supersede,
          actor: SupersedeActor,
          reason,
          values: {
            newer: newer.promotionId,
            newerVersion: newer.version,
            version: promotion.artifact.version,
          },
        },
      },
    ],
  );
}

/**
 * Two hand-overs may race for one waiting promotion (a promotion that ends and the trigger placing a newer
 * artifact each hand the free lock to the head of the queue): the second finds it holding the lock already, and
 * finishes what the first may not have (a start is idempotent), or finds it started.
 */
function lockHanded(
  promotion: Promotion,
  event: Extract<PromotionEvent, { type: "lock-handed" }>,
): Transition {
  if (promotion.lock === LockPlace.Holder) {
    if (promotion.status === PromotionStatus.Queued)
      return unchanged(promotion, [{ type: "start-pipeline" }]);
    if (promotion.status === PromotionStatus.Running) return unchanged(promotion);
  }
  if (promotion.status !== PromotionStatus.Queued) return refuse(promotion, event, "it is not waiting");
  return updated(promotion, { lock: LockPlace.Holder }, [{ type: "start-pipeline" }]);
}

function enqueued(promotion: Promotion, event: Extract<PromotionEvent, { type: "enqueued" }>): Transition {
  // Its place was decided before this answer came back: a release handed it the lock, or a newer artifact
  // replaced it in the queue and has told it so.
  if (movedOn(promotion)) return unchanged(promotion);
  if (event.outdatedBy !== undefined) return outdated(promotion, event.outdatedBy);
  if (event.superseded === promotion.id) {
    const reason = "a newer artifact already waits for the lock";
    return updated(
      promotion,
      { status: PromotionStatus.Superseded, lock: LockPlace.None, reason, updatedAt: promotion.publishedAt },
      [supersededLog(promotion.id, reason, { by: "", ...promotion.artifact }, promotion.publishedAt)],
    );
  }
  return updated(promotion, { lock: LockPlace.Queued }, [
    ...(event.superseded === undefined
      ? []
      : [{ type: "supersede" as const, promotionId: event.superseded }]),
    // The lock was freed before it joined the queue: nobody else will hand it over.
    ...(event.holder === undefined ? [{ type: "take-queue" as const }] : []),
    ...(event.concurrency === "supersede" && event.holder !== undefined ? [abortHolder(event.holder)] : []),
  ]);
}

function movedOn(promotion: Promotion): boolean {
  return promotion.status !== PromotionStatus.Queued || promotion.lock === LockPlace.Holder;
}

/** Event time first: pushes a second apart keep their order however EventBridge delivers them. */
export function queueOrder(promotion: Promotion): string {
  return `${promotion.publishedAt}#${promotion.createdAt}#${promotion.id}`;
}

function abortHolder(holder: string) {
  return { type: "request-abort" as const, promotionId: holder };
}

/** The newer artifact's promotion, version and digest: "" as `by` when a newer one already waited. */
function supersededLog(
  id: string,
  reason: string,
  newcomer: { readonly by: string; readonly version: string; readonly digest: string },
  at: string,
) {
  const { by } = newcomer;
  return {
    type: "log" as const,
    decision: {
      deploymentId: id,
      id: by === "" ? "superseded" : `superseded-by-${by}`,
      // The event's time, so a redelivery records nothing new.
      at,
      action: DecisionAction.Supersede,
      actor: SupersedeActor,
      reason,
      values:
        by === ""
          ? { version: newcomer.version, digest: newcomer.digest }
          : { newcomer: by, version: newcomer.version, digest: newcomer.digest },
    },
  };
}
