import type { GlidepathConfig } from "../domain/config/index.ts";
import { DeploymentStatus, isTerminal } from "../domain/deployment.ts";
import { IllegalTransitionError, LockNotHeldError, PromotionNotFoundError } from "../domain/errors.ts";
import { type ExposureTotal, exposureTotal } from "../domain/exposure.ts";
import type { Notifier } from "../domain/ports/notifier.ts";
import type { Stores } from "../domain/ports/stores.ts";
import { SupersedeActor } from "../domain/promotion/arrival.ts";
import { decide } from "../domain/promotion/controller.ts";
import type { PromotionCommand, PromotionEvent, Transition } from "../domain/promotion/events.ts";
import { type Promotion, PromotionStatus } from "../domain/promotion/record.ts";
import {
  type PromotionEnvironment,
  type PromotionRequest,
  promotionRequest,
} from "../domain/promotion/request.ts";
import { isReleaseId } from "../domain/release/record.ts";
import { logger } from "../shared/logger.ts";
import { createWaveDeployments } from "./wave-deployments.ts";

/** What carrying out a promotion's commands needs. */
export interface PromotionPorts extends Pick<Stores, "promotions" | "deployments" | "decisions"> {
  /**
   * The config a waiting promotion's pipeline input is resolved from when it starts. Without it and `start`,
   * a promotion that ends hands its lock to nobody (tests of one promotion, the benchmarks).
   */
  readonly config?: GlidepathConfig;
  /**
   * Starts the promotion's pipeline execution. On AWS: StartExecution named after the promotion, so Step
   * Functions itself refuses a second execution of the same promotion; `ExecutionAlreadyExists` must resolve as
   * success with that execution's ARN, because starting again is how a retried delivery finishes an
   * interrupted start.
   */
  readonly start?: (request: PromotionRequest) => Promise<{ readonly executionArn: string }>;
  /**
   * Aborts a running deployment for the `supersede` policy: the gate decision "abort" with actor
   * `glidepath:supersede`, as a human's abort. Required when a service's concurrency is `supersede`.
   */
  readonly abort?: (
    deploymentId: string,
    decision: { readonly actor: string; readonly reason: string },
  ) => Promise<void>;
  /** Tells humans a promotion ended or froze. @default nobody is told */
  readonly notifier?: Pick<Notifier, "promotionEnded">;
  /** @default the ARN itself */
  readonly executionUrl?: (executionArn: string) => string;
  readonly clock: () => Date;
}

export interface RunContext {
  /** What `create-deployments` creates: the environment as the pipeline's input resolved it. */
  readonly environment?: PromotionEnvironment;
  /** Collects every command carried out, this event's and those of the events they led to. */
  readonly trace?: PromotionCommand[];
}

/** A save that lost to a concurrent writer is decided again from the fresh record this many times. */
const maxSaveAttempts = 5;

/**
 * Applies an event to a promotion: loads it, lets the controller decide, saves the result conditioned on the
 * revision it read (deciding again from the fresh record when another writer won), then carries out the
 * commands in order. A command whose result is an event of its own (the lock's conditional writes, a start)
 * applies that event in turn. Returns the transition of this event.
 */
export async function applyPromotionEvent(
  ports: PromotionPorts,
  promotionId: string,
  event: PromotionEvent,
  context: RunContext = {},
): Promise<Transition> {
  for (let attempt = 1; attempt <= maxSaveAttempts; attempt++) {
    const promotion = await ports.promotions.get(promotionId);
    if (promotion === undefined) throw new PromotionNotFoundError(promotionId);
    const transition = decide(promotion, event);
    if (transition.promotion !== promotion && !(await ports.promotions.save(transition.promotion))) continue;
    for (const command of transition.commands) {
      context.trace?.push(command);
      await run(ports, transition.promotion, command, context);
    }
    return transition;
  }
  throw new Error(
    `promotion ${promotionId} kept changing while it took ${event.type}: ${maxSaveAttempts} other writes won first, and nothing of this event was written`,
  );
}

async function run(
  ports: PromotionPorts,
  promotion: Promotion,
  command: PromotionCommand,
  context: RunContext,
): Promise<void> {
  const lock = { service: promotion.service, promotionId: promotion.id };
  switch (command.type) {
    case "acquire-lock": {
      const result = await ports.promotions.acquireLock({
        ...lock,
        order: command.order,
        version: promotion.artifact.version,
      });
      await applyPromotionEvent(
        ports,
        promotion.id,
        result.acquired
          ? { type: "lock-acquired" }
          : result.outdatedBy !== undefined
            ? { type: "outdated", newer: result.outdatedBy }
            : { type: "lock-busy" },
        nested(context),
      );
      return;
    }
    case "enqueue": {
      const result = await ports.promotions.enqueue({
        ...lock,
        order: command.order,
        version: promotion.artifact.version,
      });
      await applyPromotionEvent(
        ports,
        promotion.id,
        {
          type: "enqueued",
          ...result,
          concurrency: concurrencyOf(ports.config, promotion.service),
        },
        nested(context),
      );
      return;
    }
    case "take-queue":
      return handOverLock(ports, promotion.service, nested(context));
    case "start-pipeline":
      return start(ports, promotion, nested(context));
    case "supersede":
      await applyPromotionEvent(
        ports,
        command.promotionId,
        {
          type: "superseded",
          by: promotion.id,
          version: promotion.artifact.version,
          digest: promotion.artifact.digest,
          at: promotion.publishedAt,
        },
        nested(context),
      );
      return;
    case "request-abort":
      if (isReleaseId(command.promotionId)) {
        // A release's services ship together: one push does not stop them. It waits for the release instead.
        logger.info("a release holds the lock; the newer artifact waits for it instead of superseding it", {
          promotionId: promotion.id,
          releaseId: command.promotionId,
        });
        return;
      }
      await applyPromotionEvent(
        ports,
        command.promotionId,
        {
          type: "abort-requested",
          by: promotion.id,
          version: promotion.artifact.version,
          at: promotion.publishedAt,
        },
        nested(context),
      );
      return;
    case "abort":
      return abortLiveDeployment(ports, promotion, command.reason);
    case "create-deployments":
      return createDeployments(ports, promotion, context.environment, command.environment);
    case "fail-not-deployed":
      for (const id of command.deployments) {
        try {
          await ports.deployments.transition(id, DeploymentStatus.Failed, { statusReason: command.reason });
        } catch (error) {
          // It moved on meanwhile (a redelivered failure): its own status stands.
          if (!(error instanceof IllegalTransitionError)) throw error;
        }
      }
      return;
    case "log":
      await ports.decisions.append(command.decision);
      return;
    case "release-lock":
      try {
        await ports.promotions.releaseLock({
          ...lock,
          ...(command.liveVersion === undefined ? {} : { liveVersion: command.liveVersion }),
        });
      } catch (error) {
        if (!(error instanceof LockNotHeldError)) throw error;
        logger.info("promotion ended without holding its lock; nothing to hand over", {
          promotionId: promotion.id,
          holder: error.holder,
        });
      }
      return;
    case "notify":
      return tell(ports, promotion, command);
  }
}

/**
 * Hands a free lock to the promotion waiting for it. When nobody waits but a holder has not started (the
 * delivery that handed it the lock stopped before starting it), that one is started now. A release holding
 * the lock is not a promotion: it takes its locks itself (see release-locks.ts).
 */
export async function handOverLock(
  ports: PromotionPorts,
  service: string,
  context: RunContext,
): Promise<void> {
  if (ports.start === undefined) return;
  const next = await ports.promotions.takeQueued(service);
  const holder = next ?? (await ports.promotions.getLock(service)).holder;
  if (holder === undefined) return;
  const waiting = await ports.promotions.get(holder);
  if (waiting?.status !== PromotionStatus.Queued) return;
  await applyPromotionEvent(ports, holder, { type: "lock-handed" }, context);
}

async function start(ports: PromotionPorts, promotion: Promotion, context: RunContext): Promise<void> {
  const service = ports.config?.services.find((candidate) => candidate.name === promotion.service);
  // From the environment the record starts at: a deployment asked for from one (`glidepath deploy --env`).
  const startAt = promotion.environments[0]?.name;
  const known = service?.environments.some((environment) => environment.name === startAt) === true;
  const request =
    service === undefined || !known
      ? undefined
      : promotionRequest({
          service,
          artifact: promotion.artifact,
          ...(startAt === undefined ? {} : { startAt }),
        });
  if (request === undefined || request.promotionId !== promotion.id) {
    const reason =
      service === undefined
        ? `${promotion.service} is no longer in the config`
        : `the environments of ${promotion.service} changed since ${promotion.artifact.version} arrived`;
    await applyPromotionEvent(
      ports,
      promotion.id,
      { type: "unstartable", reason, at: ports.clock().toISOString() },
      context,
    );
    return;
  }
  if (ports.start === undefined)
    throw new Error(`promotion ${promotion.id} cannot be started: no start port`);
  const { executionArn } = await ports.start(request);
  await applyPromotionEvent(
    ports,
    promotion.id,
    { type: "started", executionArn, at: ports.clock().toISOString() },
    context,
  );
}

async function createDeployments(
  ports: PromotionPorts,
  promotion: Promotion,
  environment: PromotionEnvironment | undefined,
  name: string,
): Promise<void> {
  if (environment?.name !== name) {
    throw new Error(`creating the deployments of ${name} needs its environment from the pipeline's input`);
  }
  await createWaveDeployments(ports.deployments, {
    service: promotion.service,
    environment: environment.name,
    artifact: promotion.artifact,
    waves: environment.waves,
    promotionId: promotion.id,
    owner: `promotion ${promotion.id}`,
  });
}

/**
 * Aborts the deployment of a running promotion that is live now: the first unfinished wave of the environment
 * it is in. Between two environments there is none; the promotion then stops at the next one it would enter.
 */
async function abortLiveDeployment(
  ports: PromotionPorts,
  promotion: Promotion,
  reason: string,
): Promise<void> {
  if (ports.abort === undefined) return;
  const environment = promotion.environments.find((candidate) => candidate.name === promotion.current);
  for (const wave of environment?.waves ?? []) {
    const deployment = await ports.deployments.get(wave.deploymentId);
    if (deployment === undefined || isTerminal(deployment.status)) continue;
    await ports.abort(deployment.id, { actor: SupersedeActor, reason });
    return;
  }
  logger.info("superseded promotion has no live deployment to abort; it enters no further environment", {
    promotionId: promotion.id,
    reason,
  });
}

/** Tells humans; a notifier that fails (Slack down) is logged, and the promotion's state is not held up by it. */
async function tell(
  ports: PromotionPorts,
  promotion: Promotion,
  command: Extract<PromotionCommand, { type: "notify" }>,
): Promise<void> {
  if (ports.notifier === undefined) return;
  const arn = promotion.executionArn ?? "";
  try {
    const exposure = await exposureOfWaves(ports, promotion);
    await ports.notifier.promotionEnded({
      promotionId: promotion.id,
      service: promotion.service,
      version: promotion.artifact.version,
      outcome: command.outcome,
      environment: command.environment,
      reason: command.reason,
      executionUrl: ports.executionUrl === undefined ? arn : ports.executionUrl(arn),
      // Nothing recorded is no number: the message says nothing rather than 0.
      ...(exposure.recorded === 0 ? {} : { exposure }),
    });
  } catch (error) {
    logger.error("promotion notice not sent", { promotionId: promotion.id, outcome: command.outcome, error });
  }
}

/** What the new version served over the promotion's waves that started (their deployments' exposure entries). */
async function exposureOfWaves(ports: PromotionPorts, promotion: Promotion): Promise<ExposureTotal> {
  const waves = promotion.environments.flatMap((environment) => environment.waves);
  const started = (
    await Promise.all(
      waves.map(async (wave) =>
        (await ports.deployments.get(wave.deploymentId))?.executionArn ? wave : undefined,
      ),
    )
  ).filter((wave) => wave !== undefined);
  return exposureTotal(await Promise.all(started.map((wave) => ports.decisions.list(wave.deploymentId))));
}

/** The events a command leads to share its trace, not its environment. */
function nested(context: RunContext): RunContext {
  return context.trace === undefined ? {} : { trace: context.trace };
}

export function concurrencyOf(config: GlidepathConfig | undefined, service: string): "queue" | "supersede" {
  return config?.services.find((candidate) => candidate.name === service)?.concurrency ?? "queue";
}
