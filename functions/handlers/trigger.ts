import { DecisionAction, type Deployment, DeploymentStatus, isTerminal } from "../domain/deployment.ts";
import { TriggerEventInvalidError } from "../domain/errors.ts";
import type { Stores } from "../domain/ports/stores.ts";
import { lastEntered, waveDeploymentId, waveRegion } from "../domain/promotion.ts";
import { type DeployMatch, matchArtifact } from "../domain/triggers.ts";
import { logger } from "../shared/logger.ts";
import { drainQueue, type StarterPorts, startHolder } from "./deployment-ended.ts";

/** The actor of the decisions the supersede policy takes. */
export const SupersedeActor = "glidepath:supersede";

export interface TriggerPorts extends StarterPorts, Pick<Stores, "decisions"> {
  /**
   * Aborts a running deployment for the `supersede` policy: the gate decision "abort" with actor
   * `glidepath:supersede`. Required when a service's concurrency is `supersede`.
   */
  readonly abort?: (
    deploymentId: string,
    decision: { readonly actor: string; readonly reason: string },
  ) => Promise<void>;
  readonly clock: () => Date;
}

interface Placed {
  readonly deploymentId: string;
  readonly service: string;
  readonly environment: string;
  readonly version: string;
}

export type TriggerOutcome =
  | (Placed & { readonly outcome: "started"; readonly executionArn: string })
  /** Waiting for the lock; `superseded` is the older deployment it replaced in the queue. */
  | (Placed & { readonly outcome: "queued"; readonly behind?: string; readonly superseded?: string })
  /** A newer artifact already waits: this one is SUPERSEDED at once. */
  | (Placed & { readonly outcome: "superseded" })
  /** A redelivered event, or a digest deployed before: nothing new is created or started. */
  | (Placed & { readonly outcome: "duplicate"; readonly status: string })
  | { readonly outcome: "ignored"; readonly reason: string };

/**
 * Starts promotions from artifact events (ECR pushes, ArtifactPublished). Each artifact becomes one
 * deployment record per service in its first environment, idempotent by digest, which takes the
 * service's lock (on its first environment) for the whole promotion and starts the pipeline, or waits: with `queue`, behind the running deployment; with
 * `supersede`, after aborting it. Only the newest waiting artifact waits; the ones it replaces are SUPERSEDED.
 * Malformed events throw TriggerEventInvalidError so the rule's dead-letter queue keeps them.
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
  const environment = service?.environments.find((candidate) => candidate.name === match.environment);
  if (service === undefined || environment === undefined) {
    throw new Error(
      `matchArtifact returned ${match.service}/${match.environment}, which is not in the config`,
    );
  }
  // The first wave of the first environment: its deployment is the promotion's, and holds the service's lock.
  const region = waveRegion(environment.regions, 0);
  const promotionId = waveDeploymentId({
    service: service.name,
    environment: environment.name,
    digest: match.artifact.digest,
    ...(region === undefined ? {} : { region }),
  });
  const { deployment, created } = await ports.deployments.create({
    service: service.name,
    environment: environment.name,
    artifact: match.artifact,
    strategy: environment.strategy.type,
    promotionId,
    ...(region === undefined ? {} : { region }),
  });
  const placed: Placed = {
    deploymentId: deployment.id,
    service: service.name,
    environment: environment.name,
    version: deployment.artifact.version,
  };
  const supersede = service.concurrency === "supersede";
  if (!created) {
    const finished = await finishEarlierDelivery(ports, deployment, placed, supersede);
    if (finished !== undefined) return finished;
  }
  const lock = { service: service.name, environment: environment.name, deploymentId: deployment.id };
  const acquired = await ports.promotions.acquireLock(lock);
  if (acquired.acquired) return started(ports, placed);

  // Event time first: pushes a second apart keep their order however EventBridge delivers them.
  const order = `${match.publishedAt}#${deployment.createdAt}#${deployment.id}`;
  const queued = await ports.promotions.enqueue({ ...lock, order });
  if (queued.superseded !== undefined) await markSuperseded(ports, queued.superseded, match, placed);
  if (queued.holder === undefined) {
    // The lock was freed before this deployment joined the queue: nobody else will hand it over.
    const handed = await drainQueue(ports, lock);
    if (handed?.deploymentId === deployment.id && handed.result.status === "started") {
      logger.info("deployment started", { ...placed, executionArn: handed.result.executionArn });
      return { ...placed, outcome: "started", executionArn: handed.result.executionArn };
    }
  } else if (supersede && queued.superseded !== deployment.id) {
    await abortHolder(ports, queued.holder, placed);
  }
  if (queued.superseded === deployment.id) return { ...placed, outcome: "superseded" };
  logger.info("deployment queued", { ...placed, behind: queued.holder, superseded: queued.superseded });
  return {
    ...placed,
    outcome: "queued",
    ...(queued.holder === undefined ? {} : { behind: queued.holder }),
    ...(queued.superseded === undefined ? {} : { superseded: queued.superseded }),
  };
}

/**
 * A deployment that existed before this delivery. Returns the outcome when the earlier delivery finished its
 * work, or undefined when it stopped before taking the lock or joining the queue, so this one must.
 */
async function finishEarlierDelivery(
  ports: TriggerPorts,
  deployment: Deployment,
  placed: Placed,
  supersede: boolean,
): Promise<TriggerOutcome | undefined> {
  const duplicate = (status: string): TriggerOutcome => {
    logger.info("artifact event already handled", { ...placed, status });
    return { ...placed, outcome: "duplicate", status };
  };
  if (deployment.status !== DeploymentStatus.Queued || deployment.executionArn !== undefined) {
    return duplicate(deployment.status);
  }
  const lock = await ports.promotions.getLock(placed.service, placed.environment);
  if (lock.holder === deployment.id) {
    // It took the lock but the start was interrupted: start now (Step Functions refuses a second execution).
    const result = await startHolder(ports, deployment.id);
    return result.status === "started"
      ? { ...placed, outcome: "started", executionArn: result.executionArn }
      : duplicate(deployment.status);
  }
  if (lock.queued === deployment.id) {
    if (supersede && lock.holder !== undefined) await abortHolder(ports, lock.holder, placed);
    return duplicate(deployment.status);
  }
  return undefined;
}

async function started(ports: TriggerPorts, placed: Placed): Promise<TriggerOutcome> {
  const result = await startHolder(ports, placed.deploymentId);
  if (result.status !== "started") return { ...placed, outcome: "duplicate", status: result.status };
  logger.info("deployment started", { ...placed, executionArn: result.executionArn });
  return { ...placed, outcome: "started", executionArn: result.executionArn };
}

async function markSuperseded(
  ports: TriggerPorts,
  loser: string,
  match: DeployMatch,
  newcomer: Placed,
): Promise<void> {
  const by =
    loser === newcomer.deploymentId
      ? "a newer artifact already waits for the lock"
      : `superseded by ${newcomer.version} (${newcomer.deploymentId}) before it started`;
  await ports.deployments.transition(loser, DeploymentStatus.Superseded, { statusReason: by });
  await ports.decisions.append({
    deploymentId: loser,
    id: `superseded-by-${newcomer.deploymentId}`,
    // The event's time, so a redelivery records nothing new.
    at: match.publishedAt,
    action: DecisionAction.Supersede,
    actor: SupersedeActor,
    reason: by,
    values: { newcomer: newcomer.deploymentId, version: newcomer.version, digest: match.artifact.digest },
  });
  logger.info("deployment superseded", { deploymentId: loser, by: newcomer.deploymentId });
}

async function abortHolder(ports: TriggerPorts, holder: string, newcomer: Placed): Promise<void> {
  if (ports.abort === undefined) return;
  await ports.abort(await activeDeployment(ports, holder), {
    actor: SupersedeActor,
    reason: `superseded by ${newcomer.version} (${newcomer.deploymentId})`,
  });
}

/**
 * The deployment of a promotion that waits at a gate now: the first unfinished wave of the last environment
 * it entered (from its log, see `lastEntered`), or the promotion's first deployment.
 */
async function activeDeployment(ports: TriggerPorts, promotionId: string): Promise<string> {
  const waves = lastEntered(await ports.decisions.list(promotionId))?.deployments ?? [];
  for (const id of waves) {
    const deployment = await ports.deployments.get(id);
    if (deployment !== undefined && !isTerminal(deployment.status)) return deployment.id;
  }
  return promotionId;
}
