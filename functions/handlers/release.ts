import { z } from "zod";
import type { GlidepathConfig } from "../domain/config/index.ts";
import { type Artifact, DeploymentStatus } from "../domain/deployment.ts";
import { FreezeWindowError, LockWaitTimedOutError, ReleaseServiceFailedError } from "../domain/errors.ts";
import { activeFreeze } from "../domain/freeze.ts";
import { HookStages, hookAnswer } from "../domain/hooks.ts";
import { EnvironmentStatus } from "../domain/promotion/record.ts";
import type { AdjustRequest, Wave } from "../domain/promotion/request.ts";
import { progressRelease, type ReleaseEvent } from "../domain/release/progress.ts";
import { ReleaseRequestSchema } from "../domain/release/request.ts";
import { restoreWave } from "../domain/release/restore.ts";
import { logger } from "../shared/logger.ts";
import {
  loadRelease,
  maxSaveAttempts,
  type ReleaseLockPorts,
  returnReleaseLocks,
  takeReleaseLocks,
} from "./release-locks.ts";
import { findPreviousArtifact } from "./release-rollback.ts";
import { CaughtError, describeError, parseInput } from "./schemas.ts";
import { createWaveDeployments } from "./wave-deployments.ts";

const Environment = ReleaseRequestSchema.shape.environments.element;
const Service = Environment.shape.groups.element.element;
const ReleaseId = ReleaseRequestSchema.shape.releaseId;
const Hook = Service.shape.preDeploy.element;

/**
 * How long a release waits for its services' locks before it stops: a day, inside the execution's
 * 25,000-event history (the pipeline asks once a minute).
 */
export const maxLockWaitSeconds = 86_400;

const ReleaseInput = z.discriminatedUnion("action", [
  /** Takes the locks it can, in lock order; the pipeline waits and asks again until every one is held. */
  z.object({ action: z.literal("take-locks"), releaseId: ReleaseId }),
  z.object({ action: z.literal("start"), releaseId: ReleaseId, executionArn: z.string().min(1) }),
  /**
   * Enters the environment and creates every service's wave deployments there, before its gate. Answers what
   * the approval gate shows: it is kept on the first service's first wave.
   */
  z.object({ action: z.literal("enter"), releaseId: ReleaseId, environment: Environment }),
  /** Answers `{ frozen, until }`, or fails the environment when a window is in force and onFreeze is "fail". */
  z.object({ action: z.literal("check-freeze"), releaseId: ReleaseId, environment: Environment }),
  /**
   * A service's hooks and waves are over: it SUCCEEDED there when every wave did, unless `failed` (a hook
   * did not pass, or a wave failed) says otherwise.
   */
  z.object({
    action: z.literal("service-ended"),
    releaseId: ReleaseId,
    environment: z.string().min(1),
    service: Service,
    failed: z.boolean().default(false),
  }),
  /** A dependency group's services are over: fails the environment when any of them did not succeed. */
  z.object({
    action: z.literal("group-ended"),
    releaseId: ReleaseId,
    environment: z.string().min(1),
    group: z.array(Service).min(1),
  }),
  z.object({
    action: z.literal("environment-succeeded"),
    releaseId: ReleaseId,
    environment: z.string().min(1),
  }),
  /**
   * Answers what to put back: each service that SUCCEEDED there, newest group first, with its previous
   * artifact, then the reversible pre-deploy hooks to undo, newest first; or nothing, `frozen`, when an
   * irreversible hook ran there.
   */
  z.object({
    action: z.literal("environment-failed"),
    releaseId: ReleaseId,
    environment: Environment,
    error: CaughtError,
  }),
  /** A service's hook answered (the invoke's payload as `output`): one that did not pass fails the service. */
  z.object({
    action: z.literal("hook-ran"),
    releaseId: ReleaseId,
    environment: z.string().min(1),
    service: z.string().min(1),
    stage: z.enum(HookStages),
    hook: Hook,
    output: z.unknown(),
  }),
  z.object({
    action: z.literal("service-rolled-back"),
    releaseId: ReleaseId,
    environment: z.string().min(1),
    service: z.string().min(1),
  }),
  z.object({
    action: z.literal("finish"),
    releaseId: ReleaseId,
    outcome: z.enum(["promoted", "stopped"]),
    error: CaughtError.optional(),
  }),
]);

/** One service to roll back in a failed environment: each wave goes back to its previous artifact, if any. */
export interface RollbackItem {
  readonly service: string;
  readonly waves: readonly {
    /** The release's deployment of the service there. */
    readonly deploymentId: string;
    readonly region?: string;
    /** Absent when the release brought the service to this place first: it stays as deployed. */
    readonly previous?: Artifact;
    /** The redeployment of `previous` (see restoreWave), its record created; absent with nothing to restore. */
    readonly restore?: Wave;
  }[];
}

/**
 * What the release step needs besides the stores: the config a restore and a waiting promotion are resolved
 * from, how to start a waiting promotion, and how the local runtime adjusts a restore's strategy request.
 */
export interface ReleasePorts extends ReleaseLockPorts {
  readonly config: GlidepathConfig;
  /** @default unchanged */
  readonly adjust?: AdjustRequest;
}

/**
 * The release pipeline's own step: it moves a release through its environments around the nested strategy
 * executions of its services. Each action is an event of the release record (see progressRelease); this step
 * reads what the event needs, applies it and answers the state machine. Every action is safe to repeat.
 */
export function createReleaseHandler(ports: ReleasePorts) {
  return async (event: unknown): Promise<unknown> => {
    const input = parseInput(ReleaseInput, event, "release");
    const at = ports.clock().toISOString();
    switch (input.action) {
      case "take-locks": {
        const outcome = await takeReleaseLocks(ports, input.releaseId);
        if (outcome.held) return outcome;
        const release = await loadRelease(ports, input.releaseId);
        const waited = (ports.clock().getTime() - Date.parse(release.createdAt)) / 1000;
        if (waited > maxLockWaitSeconds) {
          throw new LockWaitTimedOutError(
            `release ${input.releaseId} waited ${Math.round(waited / 3600)} h for the lock of ${outcome.service}${outcome.holder === undefined ? "" : `, held by ${outcome.holder}`}: it gives up and gives back the locks it holds`,
          );
        }
        return outcome;
      }
      case "start":
        await applyReleaseEvent(ports, input.releaseId, {
          type: "started",
          executionArn: input.executionArn,
          at,
        });
        logger.info("release started", { releaseId: input.releaseId });
        return {};
      case "enter": {
        const { release } = await applyReleaseEvent(ports, input.releaseId, {
          type: "environment-entered",
          environment: input.environment.name,
          at,
        });
        for (const service of input.environment.groups.flat()) {
          await createWaveDeployments(ports.deployments, {
            service: service.service,
            environment: input.environment.name,
            artifact: service.artifact,
            waves: service.waves,
            releaseId: input.releaseId,
            owner: `release ${input.releaseId}`,
          });
        }
        const first = input.environment.groups[0]?.[0];
        return {
          deploymentId: first?.waves[0]?.deploymentId,
          service: release.name ?? `release ${input.releaseId}`,
          version: input.releaseId,
        };
      }
      case "check-freeze": {
        const freeze = activeFreeze(input.environment.freezeWindows, ports.clock());
        if (freeze === undefined) return { frozen: false };
        const reason = `${input.environment.name} is frozen by '${freeze.window}' until ${freeze.until}`;
        logger.info("release meets a freeze window", {
          releaseId: input.releaseId,
          environment: input.environment.name,
          onFreeze: input.environment.onFreeze,
          ...freeze,
        });
        if (input.environment.onFreeze === "fail") {
          throw new FreezeWindowError(`${reason}: onFreeze is "fail"`);
        }
        return { frozen: true, ...freeze };
      }
      case "service-ended": {
        const statuses = await Promise.all(
          input.service.waves.map(async (wave) => (await ports.deployments.get(wave.deploymentId))?.status),
        );
        const succeeded = !input.failed && statuses.every((status) => status === DeploymentStatus.Succeeded);
        await applyReleaseEvent(ports, input.releaseId, {
          type: "service-ended",
          environment: input.environment,
          service: input.service.service,
          status: succeeded ? "SUCCEEDED" : "FAILED",
          at,
        });
        return { succeeded };
      }
      case "group-ended": {
        const release = await loadRelease(ports, input.releaseId);
        const environment = release.environments.find((candidate) => candidate.name === input.environment);
        const failed: string[] = [];
        for (const service of input.group) {
          const status = environment?.services[service.service];
          if (status === EnvironmentStatus.Succeeded) continue;
          const reasons: string[] = [];
          for (const wave of service.waves) {
            const deployment = await ports.deployments.get(wave.deploymentId);
            if (deployment?.status === DeploymentStatus.Succeeded) continue;
            const where = wave.region === undefined ? "" : ` in ${wave.region}`;
            const why = deployment?.statusReason === undefined ? "" : ` (${deployment.statusReason})`;
            reasons.push(`${service.service}${where} is ${deployment?.status ?? "not deployed"}${why}`);
          }
          for (const run of release.hooks) {
            if (run.environment !== input.environment || run.service !== service.service) continue;
            if (run.passed || run.stage === "undo") continue;
            reasons.push(`${service.service}'s ${run.stage} hook ${run.hook} failed (${run.reason})`);
          }
          failed.push(...(reasons.length === 0 ? [`${service.service} is ${status ?? "unknown"}`] : reasons));
        }
        if (failed.length > 0) {
          throw new ReleaseServiceFailedError(
            `release ${input.releaseId} stops in ${input.environment}: ${failed.join("; ")}`,
          );
        }
        return {};
      }
      case "environment-succeeded":
        await applyReleaseEvent(ports, input.releaseId, {
          type: "environment-succeeded",
          environment: input.environment,
          at,
        });
        return {};
      case "environment-failed": {
        const reason = describeError(input.error);
        const {
          rollback = [],
          undo = [],
          frozen = false,
        } = await applyReleaseEvent(ports, input.releaseId, {
          type: "environment-failed",
          environment: input.environment.name,
          reason,
          at,
        });
        const services = input.environment.groups.flat();
        const serviceNamed = (name: string) => {
          const service = services.find((candidate) => candidate.service === name);
          if (service === undefined)
            throw new Error(
              `release ${input.releaseId} answers ${name}, which ${input.environment.name} does not deploy`,
            );
          return service;
        };
        const items: RollbackItem[] = [];
        for (const name of rollback) {
          const waves = await previousOf(ports, input.releaseId, input.environment.name, serviceNamed(name));
          if (waves.some((wave) => wave.restore !== undefined)) items.push({ service: name, waves });
        }
        const undoHooks = undo.flatMap(({ service, hook }) => {
          const { preDeploy, waves, artifact } = serviceNamed(service);
          return preDeploy
            .filter((candidate) => candidate.name === hook)
            .map((config) => ({ service, hook: config, deploymentId: waves[0]?.deploymentId, artifact }));
        });
        logger.info("release environment failed", {
          releaseId: input.releaseId,
          environment: input.environment.name,
          reason,
          frozen,
          rollback: items.map((item) => item.service),
          // Brought there first by the release (or a feature flag, which its own rollback put back).
          staying: rollback.filter((name) => !items.some((item) => item.service === name)),
          undo,
        });
        return { rollback: items, undo: undoHooks, frozen };
      }
      case "hook-ran": {
        const answered = hookAnswer(input.hook, input.output);
        const { failure } = await applyReleaseEvent(ports, input.releaseId, {
          type: "hook-answered",
          environment: input.environment,
          service: input.service,
          stage: input.stage,
          ...answered,
          at,
        });
        logger.info("release hook answered", {
          releaseId: input.releaseId,
          environment: input.environment,
          service: input.service,
          stage: input.stage,
          hook: input.hook.name,
          passed: answered.answer.passed,
        });
        if (failure !== undefined) throw failure;
        return { passed: true };
      }
      case "service-rolled-back":
        await applyReleaseEvent(ports, input.releaseId, {
          type: "service-rolled-back",
          environment: input.environment,
          service: input.service,
          at,
        });
        return {};
      case "finish": {
        const { returnLocks } = await applyReleaseEvent(ports, input.releaseId, {
          type: "finished",
          outcome: input.outcome,
          ...(input.error === undefined ? {} : { reason: describeError(input.error) }),
          at,
        });
        if (returnLocks !== undefined) await returnReleaseLocks(ports, input.releaseId, returnLocks);
        logger.info("release finished", { releaseId: input.releaseId, outcome: input.outcome });
        return {};
      }
    }
  };
}

/** Loads the release, lets progressRelease decide, and saves at the revision it read (again when another write won). */
async function applyReleaseEvent(ports: ReleaseLockPorts, releaseId: string, event: ReleaseEvent) {
  for (let attempt = 1; attempt <= maxSaveAttempts; attempt++) {
    const release = await loadRelease(ports, releaseId);
    const transition = progressRelease(release, event);
    if (transition.release !== release && !(await ports.releases.save(transition.release))) continue;
    return transition;
  }
  throw new Error(
    `release ${releaseId} kept changing while it took ${event.type}: ${maxSaveAttempts} other writes won first`,
  );
}

/** Each wave of the service with its previous artifact and, to put it back, a restore whose record exists. */
async function previousOf(
  ports: ReleasePorts,
  releaseId: string,
  environment: string,
  service: z.output<typeof Service>,
): Promise<RollbackItem["waves"]> {
  const config = ports.config.services.find((candidate) => candidate.name === service.service);
  if (config === undefined) throw new Error(`release ${releaseId}: ${service.service} is not in the config`);
  return Promise.all(
    service.waves.map(async (wave, index) => {
      const place = {
        deploymentId: wave.deploymentId,
        ...(wave.region === undefined ? {} : { region: wave.region }),
      };
      const previous = await findPreviousArtifact(ports.deployments, {
        service: service.service,
        environment,
        releaseId,
        ...(wave.region === undefined ? {} : { region: wave.region }),
      });
      if (previous === undefined) return place;
      const restore = restoreWave({
        service: config,
        environment,
        wave: index,
        previous,
        owner: { releaseId },
      });
      if (restore === undefined) return { ...place, previous };
      const adjusted =
        ports.adjust === undefined ? restore : { ...restore, request: ports.adjust(restore.request) };
      await createWaveDeployments(ports.deployments, {
        service: service.service,
        environment,
        artifact: previous,
        waves: [adjusted],
        releaseId,
        owner: `release ${releaseId}`,
      });
      return { ...place, previous, restore: adjusted };
    }),
  );
}
