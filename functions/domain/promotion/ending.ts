import { DecisionAction, DeploymentStatus } from "../deployment.ts";
import { environmentNamed, log, withEnvironment } from "./environment.ts";
import type { PromotionCommand, PromotionEvent, Transition } from "./events.ts";
import {
  EnvironmentStatus,
  endStatus,
  isPromotionOver,
  LockPlace,
  type Promotion,
  PromotionStatus,
} from "./record.ts";
import { refuse, unchanged, updated } from "./transition.ts";

/**
 * An environment failed. Its waves that never started are failed "not deployed"; the pre-deploy hooks that
 * passed in it are undone, newest first, unless one of them is irreversible: then the environment is FROZEN,
 * nothing is undone, traffic stays where the strategy's rollback put it (the old version) and humans are told.
 */
export function environmentFailed(
  promotion: Promotion,
  event: Extract<PromotionEvent, { type: "environment-failed" }>,
): Transition {
  const environment = environmentNamed(promotion, event, event.environment);
  // The Map's next iteration after a failure, refused at its entry (see `entered`): nothing to record.
  if (environment.status === EnvironmentStatus.Pending)
    return unchanged(promotion, [], { output: { frozen: false, undo: [] } });
  const passed = promotion.hooks.filter(
    (run) => run.environment === environment.name && run.stage === "preDeploy" && run.passed,
  );
  const irreversible = passed.filter((run) => run.irreversible).map((run) => run.hook);
  const frozen = irreversible.length > 0;
  const output = { frozen, undo: frozen ? [] : passed.map((run) => run.hook).reverse() };
  if (environment.status !== EnvironmentStatus.InProgress) return unchanged(promotion, [], { output });

  const statuses = event.waves.map((wave) => wave.status);
  const deployedStatus = statuses.includes(DeploymentStatus.RolledBack)
    ? EnvironmentStatus.RolledBack
    : statuses.some((status) => status === DeploymentStatus.Failed || status === DeploymentStatus.Succeeded)
      ? EnvironmentStatus.Failed
      : EnvironmentStatus.NotDeployed;
  const notDeployed = event.waves
    .filter((wave) => wave.status === DeploymentStatus.Queued)
    .map((wave) => wave.deploymentId);
  const commands: PromotionCommand[] = [
    ...(notDeployed.length === 0
      ? []
      : [
          {
            type: "fail-not-deployed" as const,
            deployments: notDeployed,
            reason: `not deployed: ${event.reason}`,
          },
        ]),
  ];
  if (frozen) {
    const hooks = irreversible.join(", ");
    commands.push(
      log(
        promotion,
        `frozen-${environment.name}`,
        event.at,
        `frozen: irreversible hook ${hooks} ran before ${event.reason}; nothing is undone, traffic stays on the old version`,
        { environment: environment.name, hooks: irreversible, error: event.error },
        DecisionAction.Freeze,
      ),
      {
        type: "notify",
        outcome: "frozen",
        environment: environment.name,
        reason: `irreversible ${hooks} ran, then ${event.reason}. Fix forward with a new artifact.`,
      },
    );
  }
  const outcomes = new Map(event.waves.map((wave) => [wave.deploymentId, wave.status]));
  return withEnvironment(
    promotion,
    {
      ...environment,
      status: frozen ? EnvironmentStatus.Frozen : deployedStatus,
      endedAt: event.at,
      reason: event.reason,
      waves: environment.waves.map((wave) => {
        const status = outcomes.get(wave.deploymentId);
        return status === undefined || status === DeploymentStatus.Queued
          ? wave
          : { ...wave, outcome: status };
      }),
    },
    event.at,
    commands,
    { output },
  );
}

export function finished(
  promotion: Promotion,
  event: Extract<PromotionEvent, { type: "finished" }>,
): Transition {
  // A redelivered finish: the lock's release and hand-over are safe to repeat; the message was sent.
  if (isPromotionOver(promotion.status) && promotion.status !== PromotionStatus.Superseded) {
    return unchanged(promotion, [{ type: "release-lock" }, { type: "take-queue" }], {
      output: { outcome: event.outcome },
    });
  }
  if (promotion.status !== PromotionStatus.Running) return refuse(promotion, event, "it never started");
  const unfinished = promotion.environments.find(
    (environment) => environment.status !== EnvironmentStatus.Succeeded,
  );
  if (event.outcome === "promoted" && unfinished !== undefined) {
    return refuse(promotion, event, `${unfinished.name} is ${unfinished.status}`);
  }
  const last = promotion.current ?? promotion.environments[0]?.name ?? "";
  const reason =
    event.outcome === "promoted" ? `every environment succeeded, up to ${last}` : (event.reason ?? "stopped");
  const status = endStatus(event.outcome, promotion.environments);
  return updated(
    promotion,
    { status, lock: LockPlace.None, reason, updatedAt: event.at },
    [
      log(promotion, `promotion-${event.outcome}`, event.at, `${event.outcome}: ${reason}`, {
        outcome: event.outcome,
        environment: last,
      }),
      // The lock first: a message that cannot be sent must not keep the next promotion waiting.
      {
        type: "release-lock",
        ...(event.outcome === "promoted" ? { liveVersion: promotion.artifact.version } : {}),
      },
      { type: "take-queue" },
      { type: "notify", outcome: event.outcome, environment: last, reason },
    ],
    { output: { outcome: event.outcome } },
  );
}
