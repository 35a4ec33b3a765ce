import { z } from "zod";
import type { GlidepathConfig } from "../domain/config/index.ts";
import { TriggerEventInvalidError } from "../domain/errors.ts";
import type { ReleaseStore } from "../domain/ports/release-store.ts";
import { PromotionStatus } from "../domain/promotion/record.ts";
import type { AdjustRequest } from "../domain/promotion/request.ts";
import { planRelease, ReleaseInvalidError, ReleasePublishedDetailType } from "../domain/release/manifest.ts";
import { newRelease } from "../domain/release/record.ts";
import { type ReleaseRequest, releaseRequest } from "../domain/release/request.ts";
import { EnvelopeSchema } from "../domain/triggers.ts";
import { logger } from "../shared/logger.ts";

export interface ReleaseTriggerPorts {
  readonly releases: Pick<ReleaseStore, "create">;
  readonly config: GlidepathConfig;
  /**
   * Starts the release's pipeline execution, named after the release: Step Functions refuses a second one, and
   * `ExecutionAlreadyExists` resolves as success (see SfnExecutionStarter.startRelease).
   */
  readonly startRelease: (request: ReleaseRequest) => Promise<{ readonly executionArn: string }>;
  readonly clock: () => Date;
  /** How the local runtime adjusts each strategy request. @default unchanged */
  readonly adjust?: AdjustRequest;
}

export type ReleaseTriggerOutcome =
  | {
      readonly outcome: "started";
      readonly releaseId: string;
      /** In deployment order. */
      readonly services: readonly string[];
      readonly executionArn: string;
    }
  /** The same manifest again (a redelivery, or published twice): nothing new is created or started. */
  | { readonly outcome: "duplicate"; readonly releaseId: string; readonly status: string };

/**
 * Starts releases from `ReleasePublished` events on the Glidepath bus: the manifest becomes one release
 * record, idempotent by its services' digests, whose pipeline waits for the services' locks itself. A
 * manifest the config refuses throws TriggerEventInvalidError listing every problem, so the rule's
 * dead-letter queue keeps it.
 */
export function createReleaseTriggerHandler(ports: ReleaseTriggerPorts) {
  return async (event: unknown): Promise<ReleaseTriggerOutcome> => {
    const envelope = EnvelopeSchema.safeParse(event);
    if (!envelope.success) {
      throw new TriggerEventInvalidError(`the EventBridge envelope: ${z.prettifyError(envelope.error)}`);
    }
    if (envelope.data["detail-type"] !== ReleasePublishedDetailType) {
      throw new TriggerEventInvalidError(
        `unexpected detail-type ${envelope.data["detail-type"]}: the release trigger reads ${ReleasePublishedDetailType}`,
      );
    }
    let plan: ReturnType<typeof planRelease>;
    try {
      plan = planRelease(envelope.data.detail, ports.config);
    } catch (error) {
      if (error instanceof ReleaseInvalidError) throw new TriggerEventInvalidError(error.message);
      throw error;
    }
    const now = ports.clock().toISOString();
    const publishedAt = new Date(envelope.data.time).toISOString();
    const { release, created } = await ports.releases.create(newRelease(plan, publishedAt, now));
    // Not waiting any more: it started (and holds its locks) or ended. A QUEUED one may not have been started
    // by the delivery that created it, so it is started again: by name, which starts nothing new.
    if (release.status !== PromotionStatus.Queued) {
      logger.info("release event already handled", { releaseId: release.id, status: release.status });
      return { outcome: "duplicate", releaseId: release.id, status: release.status };
    }
    // The name the release was created with: a renamed manifest of the same content is the same execution.
    const { name: _published, ...content } = plan;
    const request = releaseRequest({
      plan: release.name === undefined ? content : { ...content, name: release.name },
      config: ports.config,
      ...(ports.adjust === undefined ? {} : { adjust: ports.adjust }),
    });
    const { executionArn } = await ports.startRelease(request);
    if (!created) {
      logger.info("release event already handled", { releaseId: release.id, status: release.status });
      return { outcome: "duplicate", releaseId: release.id, status: release.status };
    }
    logger.info("release started", { releaseId: release.id, name: plan.name, executionArn });
    return { outcome: "started", releaseId: release.id, services: plan.groups.flat(), executionArn };
  };
}

/** Whether an event on the Glidepath bus is a release's (by its detail-type), for the trigger's routing. */
export function isReleasePublished(event: unknown): boolean {
  return (
    typeof event === "object" &&
    event !== null &&
    (event as { "detail-type"?: unknown })["detail-type"] === ReleasePublishedDetailType
  );
}
