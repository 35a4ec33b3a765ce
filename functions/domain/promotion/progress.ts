import { DeploymentStatus } from "../deployment.ts";
import { PromotionBlockedError } from "../errors.ts";
import { freezeChecked, hookAnswered } from "./checks.ts";
import { environmentFailed, finished } from "./ending.ts";
import { environmentNamed, inProgress, log, replaceEnvironment, withEnvironment } from "./environment.ts";
import type { PromotionCommand, PromotionEvent, Transition } from "./events.ts";
import { EnvironmentStatus, type Promotion, PromotionStatus } from "./record.ts";
import { refuse, unchanged, updated } from "./transition.ts";

type ProgressEvent = Extract<
  PromotionEvent,
  {
    readonly type:
      | "entered"
      | "approved"
      | "freeze-checked"
      | "hook-answered"
      | "wave-ended"
      | "environment-succeeded"
      | "environment-failed"
      | "finished";
  }
>;

/** The pipeline's side of a promotion: its environments one by one, in order, and its end. */
export function progress(promotion: Promotion, event: ProgressEvent): Transition {
  switch (event.type) {
    case "entered":
      return entered(promotion, event);
    case "approved": {
      const environment = inProgress(promotion, event, event.environment);
      if (environment.approval !== undefined) return unchanged(promotion);
      return withEnvironment(
        promotion,
        { ...environment, approval: { by: event.by, at: event.at } },
        event.at,
      );
    }
    case "freeze-checked":
      return freezeChecked(promotion, event);
    case "hook-answered":
      return hookAnswered(promotion, event);
    case "wave-ended": {
      const environment = inProgress(promotion, event, event.environment);
      const ended = environment.waves.find((wave) => wave.deploymentId === event.deploymentId);
      if (ended === undefined) {
        return refuse(promotion, event, `${event.deploymentId} is no wave of ${environment.name}`);
      }
      if (ended.outcome === DeploymentStatus.Succeeded) return unchanged(promotion);
      const waves = environment.waves.map((wave) =>
        wave.deploymentId === event.deploymentId ? { ...wave, outcome: DeploymentStatus.Succeeded } : wave,
      );
      return withEnvironment(promotion, { ...environment, waves }, event.at);
    }
    case "environment-succeeded": {
      const environment = environmentNamed(promotion, event, event.environment);
      if (environment.status === EnvironmentStatus.Succeeded) return unchanged(promotion);
      if (environment.status !== EnvironmentStatus.InProgress) {
        return refuse(promotion, event, `${environment.name} is ${environment.status}`);
      }
      const running = environment.waves.find((wave) => wave.outcome !== DeploymentStatus.Succeeded);
      if (running !== undefined) {
        return refuse(
          promotion,
          event,
          `wave ${running.deploymentId} of ${environment.name} has not succeeded`,
        );
      }
      return withEnvironment(
        promotion,
        { ...environment, status: EnvironmentStatus.Succeeded, endedAt: event.at },
        event.at,
        [
          log(
            promotion,
            `promoted-${environment.name}`,
            event.at,
            `${environment.name} promoted: every wave succeeded`,
            { environment: environment.name },
          ),
        ],
      );
    }
    case "environment-failed":
      return environmentFailed(promotion, event);
    case "finished":
      return finished(promotion, event);
  }
}

function entered(promotion: Promotion, event: Extract<ProgressEvent, { type: "entered" }>): Transition {
  const index = promotion.environments.findIndex((environment) => environment.name === event.environment);
  const environment = promotion.environments[index];
  if (environment === undefined)
    return refuse(promotion, event, `it has no environment ${event.environment}`);
  const deployments = environment.waves.map((wave) => wave.deploymentId);
  const commands = (enteredAt: string): PromotionCommand[] => [
    { type: "create-deployments", environment: environment.name },
    log(
      promotion,
      `enter-${environment.name}`,
      enteredAt,
      `entered ${environment.name} (${deployments.length} wave${deployments.length === 1 ? "" : "s"})`,
      { environment: environment.name, deployments },
    ),
  ];
  // A redelivered step: the deployments it creates and the entry it logs are the first delivery's.
  if (environment.status === EnvironmentStatus.InProgress && environment.enteredAt !== undefined) {
    return unchanged(promotion, commands(environment.enteredAt), { output: { deployments } });
  }
  if (promotion.status !== PromotionStatus.Running) {
    throw new PromotionBlockedError(
      `${environment.name} is not entered: the promotion is ${promotion.status}`,
    );
  }
  if (promotion.abortRequested !== undefined) {
    throw new PromotionBlockedError(`${environment.name} is not entered: ${promotion.abortRequested.reason}`);
  }
  if (environment.status !== EnvironmentStatus.Pending) {
    return refuse(promotion, event, `${environment.name} is ${environment.status} already`);
  }
  // Step Functions starts no iteration after a failed one; this holds even where a Map runs on regardless.
  const previous = promotion.environments[index - 1];
  if (previous !== undefined && previous.status !== EnvironmentStatus.Succeeded) {
    throw new PromotionBlockedError(
      `${environment.name} is not entered: ${previous.name} is ${previous.status}, not ${EnvironmentStatus.Succeeded}`,
    );
  }
  return updated(
    replaceEnvironment(promotion, {
      ...environment,
      status: EnvironmentStatus.InProgress,
      enteredAt: event.at,
    }),
    { current: environment.name, updatedAt: event.at },
    commands(event.at),
    { output: { deployments } },
  );
}
