import { ReleaseEventRefusedError } from "../errors.ts";
import type { PromotionEvent } from "../promotion/events.ts";
import { EnvironmentStatus, PromotionStatus } from "../promotion/record.ts";
import { rollbackOrder } from "./order.ts";
import { lockOrder, locksToTake, type Release } from "./record.ts";

type ReleaseEnvironment = Release["environments"][number];

/**
 * What the release pipeline's steps tell the release record. Every event is safe to deliver again (Step
 * Functions retries a step that timed out after it wrote): a repeat finds the record where the first
 * delivery left it and changes nothing.
 */
export type ReleaseEvent =
  | { readonly type: "started"; readonly executionArn: string; readonly at: string }
  | { readonly type: "environment-entered"; readonly environment: string; readonly at: string }
  | {
      readonly type: "service-ended";
      readonly environment: string;
      readonly service: string;
      readonly status: typeof EnvironmentStatus.Succeeded | typeof EnvironmentStatus.Failed;
      readonly at: string;
    }
  | { readonly type: "environment-succeeded"; readonly environment: string; readonly at: string }
  | {
      readonly type: "environment-failed";
      readonly environment: string;
      readonly reason: string;
      readonly at: string;
    }
  | {
      readonly type: "service-rolled-back";
      readonly environment: string;
      readonly service: string;
      readonly at: string;
    }
  /** As a promotion finishes. */
  | Extract<PromotionEvent, { readonly type: "finished" }>;

export interface ReleaseTransition {
  /** The same object when nothing changed; otherwise the next revision. */
  readonly release: Release;
  /**
   * After `environment-failed`: the services of the release that SUCCEEDED in the environment, in the order
   * they roll back (the reverse of their deployment order), for the pipeline to roll back one at a time.
   */
  readonly rollback?: readonly string[];
  /** After `finished`: give the locks back (the release's versions live when it was promoted). */
  readonly returnLocks?: { readonly succeeded: boolean };
}

/** Decides what an event of the release pipeline does to the release record. Pure. */
export function progressRelease(release: Release, event: ReleaseEvent): ReleaseTransition {
  switch (event.type) {
    case "started":
      if (release.status === PromotionStatus.Running && release.executionArn === event.executionArn) {
        return { release };
      }
      if (release.status !== PromotionStatus.Queued) return refuse(release, event, "it is not waiting");
      if (locksToTake(release).length > 0) {
        return refuse(
          release,
          event,
          `it holds ${release.locks.length} of its ${lockOrder(release).length} locks`,
        );
      }
      return {
        release: next(
          release,
          { status: PromotionStatus.Running, executionArn: event.executionArn },
          event.at,
        ),
      };
    case "environment-entered": {
      const environment = running(release, event);
      if (environment.status === EnvironmentStatus.InProgress) return { release };
      if (environment.status !== EnvironmentStatus.Pending)
        return refuse(release, event, `it is ${environment.status}`);
      const before = release.environments[release.environments.indexOf(environment) - 1];
      if (before !== undefined && before.status !== EnvironmentStatus.Succeeded) {
        return refuse(release, event, `${before.name}, before it, is ${before.status}`);
      }
      return {
        release: withEnvironment(
          release,
          environment,
          { status: EnvironmentStatus.InProgress, enteredAt: event.at },
          event.at,
        ),
      };
    }
    case "service-ended": {
      const environment = inProgress(release, event);
      const status = serviceStatus(release, environment, event.service, event);
      if (status === event.status) return { release };
      if (status !== EnvironmentStatus.Pending)
        return refuse(release, event, `${event.service} is ${status} there`);
      return {
        release: withEnvironment(
          release,
          environment,
          { services: { ...environment.services, [event.service]: event.status } },
          event.at,
        ),
      };
    }
    case "environment-succeeded": {
      const environment = running(release, event);
      if (environment.status === EnvironmentStatus.Succeeded) return { release };
      const unfinished = Object.entries(environment.services).filter(
        ([, status]) => status !== EnvironmentStatus.Succeeded,
      );
      if (environment.status !== EnvironmentStatus.InProgress || unfinished.length > 0) {
        return refuse(
          release,
          event,
          unfinished.length > 0
            ? `${unfinished.map(([service, status]) => `${service} is ${status}`).join(", ")}`
            : `it is ${environment.status}`,
        );
      }
      return {
        release: withEnvironment(
          release,
          environment,
          { status: EnvironmentStatus.Succeeded, endedAt: event.at },
          event.at,
        ),
      };
    }
    case "environment-failed": {
      const environment = running(release, event);
      const rollback = rollbackOrder(
        release.groups,
        new Set(
          Object.keys(environment.services).filter(
            (service) => environment.services[service] === EnvironmentStatus.Succeeded,
          ),
        ),
      );
      if (environment.status === EnvironmentStatus.Failed) return { release, rollback };
      if (environment.status !== EnvironmentStatus.InProgress)
        return refuse(release, event, `it is ${environment.status}`);
      const services = Object.fromEntries(
        Object.entries(environment.services).map(([service, status]) => [
          service,
          status === EnvironmentStatus.Pending ? EnvironmentStatus.NotDeployed : status,
        ]),
      );
      return {
        release: withEnvironment(
          release,
          environment,
          { status: EnvironmentStatus.Failed, services, endedAt: event.at, reason: event.reason },
          event.at,
        ),
        rollback,
      };
    }
    case "service-rolled-back": {
      const environment = running(release, event);
      const status = serviceStatus(release, environment, event.service, event);
      if (status === EnvironmentStatus.RolledBack) return { release };
      if (environment.status !== EnvironmentStatus.Failed || status !== EnvironmentStatus.Succeeded) {
        return refuse(release, event, "only a service that succeeded in a failed environment rolls back");
      }
      return {
        release: withEnvironment(
          release,
          environment,
          { services: { ...environment.services, [event.service]: EnvironmentStatus.RolledBack } },
          event.at,
        ),
      };
    }
    case "finished":
      return finished(release, event);
  }
}

function finished(release: Release, event: Extract<ReleaseEvent, { type: "finished" }>): ReleaseTransition {
  const status = event.outcome === "promoted" ? PromotionStatus.Promoted : PromotionStatus.Stopped;
  const returnLocks = { succeeded: status === PromotionStatus.Promoted };
  if (release.status === status) return { release, returnLocks };
  if (release.status !== PromotionStatus.Running && release.status !== PromotionStatus.Queued) {
    return refuse(release, event, `it is ${release.status}`);
  }
  const open = release.environments.filter(
    (environment) => environment.status !== EnvironmentStatus.Succeeded,
  );
  if (status === PromotionStatus.Promoted && open.length > 0) {
    return refuse(
      release,
      event,
      `${open.map((environment) => `${environment.name} is ${environment.status}`).join(", ")}`,
    );
  }
  const environments = release.environments.map((environment) =>
    environment.status === EnvironmentStatus.Pending
      ? {
          ...environment,
          status: EnvironmentStatus.NotDeployed,
          services: Object.fromEntries(
            Object.keys(environment.services).map((service) => [service, EnvironmentStatus.NotDeployed]),
          ),
        }
      : environment,
  );
  return {
    release: next(
      release,
      { status, environments, ...(event.reason === undefined ? {} : { reason: event.reason }) },
      event.at,
    ),
    returnLocks,
  };
}

function running(
  release: Release,
  event: Extract<ReleaseEvent, { environment: string }>,
): ReleaseEnvironment {
  if (release.status !== PromotionStatus.Running) return refuse(release, event, `it is ${release.status}`);
  const environment = release.environments.find((candidate) => candidate.name === event.environment);
  if (environment === undefined) {
    return refuse(
      release,
      event,
      `it has no environment ${event.environment} (has: ${release.environments.map((candidate) => candidate.name).join(", ")})`,
    );
  }
  return environment;
}

function inProgress(
  release: Release,
  event: Extract<ReleaseEvent, { environment: string }>,
): ReleaseEnvironment {
  const environment = running(release, event);
  if (environment.status !== EnvironmentStatus.InProgress) {
    return refuse(release, event, `${environment.name} is ${environment.status}`);
  }
  return environment;
}

function serviceStatus(
  release: Release,
  environment: ReleaseEnvironment,
  service: string,
  event: ReleaseEvent,
): string {
  const status = environment.services[service];
  if (status === undefined) return refuse(release, event, `${service} is not one of its services`);
  return status;
}

function withEnvironment(
  release: Release,
  environment: ReleaseEnvironment,
  changes: Partial<ReleaseEnvironment>,
  at: string,
): Release {
  return next(
    release,
    {
      environments: release.environments.map((candidate) =>
        candidate === environment ? { ...candidate, ...changes } : candidate,
      ),
    },
    at,
  );
}

function next(release: Release, changes: Partial<Omit<Release, "id" | "revision">>, at: string): Release {
  return { ...release, ...changes, updatedAt: at, revision: release.revision + 1 };
}

function refuse(release: Release, event: ReleaseEvent, why: string): never {
  const where = "environment" in event ? ` in ${event.environment}` : "";
  throw new ReleaseEventRefusedError(
    `release ${release.id} (${release.status}) refuses ${event.type}${where}: ${why}`,
  );
}
