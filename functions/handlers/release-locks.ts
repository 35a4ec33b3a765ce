import { LockNotHeldError } from "../domain/errors.ts";
import type { Stores } from "../domain/ports/stores.ts";
import { PromotionStatus } from "../domain/promotion/record.ts";
import { locksToTake, type Release } from "../domain/release/record.ts";
import { logger } from "../shared/logger.ts";
import { handOverLock, type PromotionPorts } from "./promotion-runner.ts";

export interface ReleaseLockPorts extends PromotionPorts, Pick<Stores, "releases"> {}

export type TakeLocksOutcome =
  | { readonly held: true; readonly locks: readonly string[] }
  /** `service`'s lock is another's (`holder`, absent while it is handed to the one waiting for it). */
  | {
      readonly held: false;
      readonly service: string;
      readonly holder?: string;
      readonly locks: readonly string[];
    };

/** A save that lost to a concurrent writer is retried from the fresh record this many times. */
export const maxSaveAttempts = 5;

/**
 * Takes the release's services' locks one at a time in lock order (by name), keeping the ones it has, and
 * stops at the first that another holds: every release takes shared locks in the same order, so the release
 * holding a lock never waits for one another release holds while waiting for it. Safe to repeat (the release's
 * pipeline calls it until every lock is held): a lock is taken (re-entrant) before it is recorded, so an
 * interrupted call leaves nothing a repeat does not finish.
 */
export async function takeReleaseLocks(
  ports: ReleaseLockPorts,
  releaseId: string,
): Promise<TakeLocksOutcome> {
  for (let attempt = 1; attempt <= maxSaveAttempts; attempt++) {
    const release = await loadRelease(ports, releaseId);
    if (release.status !== PromotionStatus.Queued && release.status !== PromotionStatus.Running) {
      throw new Error(`release ${releaseId} is ${release.status}: it takes no locks`);
    }
    const taken: string[] = [];
    let busy: { service: string; holder?: string } | undefined;
    for (const service of locksToTake(release)) {
      const result = await ports.promotions.acquireLock({ service, promotionId: release.id });
      if (!result.acquired) {
        busy = { service, ...(result.holder === undefined ? {} : { holder: result.holder }) };
        break;
      }
      taken.push(service);
    }
    const locks = [...release.locks, ...taken];
    if (taken.length > 0 && !(await ports.releases.save(revised(ports, release, { locks })))) continue;
    if (busy === undefined) return { held: true, locks };
    logger.info("release waits for a lock", { releaseId, ...busy, locks });
    return { held: false, ...busy, locks };
  }
  throw new Error(
    `release ${releaseId} kept changing while it took its locks: ${maxSaveAttempts} writes won first`,
  );
}

/**
 * Gives back every lock the release holds, recording `liveVersion`s (the release's artifacts, when it
 * succeeded), and hands each to the promotion waiting for it. Safe to repeat: a lock given back before is a
 * no-op, and the record drops a lock only once it is given back.
 */
export async function returnReleaseLocks(
  ports: ReleaseLockPorts,
  releaseId: string,
  options: { readonly succeeded: boolean },
): Promise<void> {
  const release = await loadRelease(ports, releaseId);
  for (const service of [...release.locks].reverse()) {
    const liveVersion = options.succeeded ? release.artifacts[service]?.version : undefined;
    try {
      await ports.promotions.releaseLock({
        service,
        promotionId: release.id,
        ...(liveVersion === undefined ? {} : { liveVersion }),
      });
    } catch (error) {
      if (!(error instanceof LockNotHeldError)) throw error;
      logger.info("release did not hold the lock it recorded; nothing to give back", {
        releaseId,
        service,
        holder: error.holder,
      });
    }
    await handOverLock(ports, service, {});
  }
  for (let attempt = 1; attempt <= maxSaveAttempts; attempt++) {
    const fresh = await loadRelease(ports, releaseId);
    if (fresh.locks.length === 0) return;
    const locks = fresh.locks.filter((service) => !release.locks.includes(service));
    if (await ports.releases.save(revised(ports, fresh, { locks }))) return;
  }
  throw new Error(`release ${releaseId} kept changing while it gave back its locks`);
}

export async function loadRelease(
  ports: Pick<ReleaseLockPorts, "releases">,
  releaseId: string,
): Promise<Release> {
  const release = await ports.releases.get(releaseId);
  if (release === undefined) throw new Error(`release ${releaseId} does not exist`);
  return release;
}

function revised(ports: ReleaseLockPorts, release: Release, change: Partial<Release>): Release {
  return { ...release, ...change, updatedAt: ports.clock().toISOString(), revision: release.revision + 1 };
}
