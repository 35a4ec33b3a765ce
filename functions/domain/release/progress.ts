import { HookFailedError, ReleaseEventRefusedError } from "../errors.ts";
import type { HookStage } from "../hooks.ts";
import type { PromotionEvent } from "../promotion/events.ts";
import { EnvironmentStatus, endStatus, PromotionStatus } from "../promotion/record.ts";
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
  /** A service's hook answered; a pre- or post-deploy hook that did not pass fails the service. */
  | {
      readonly type: "hook-answered";
      readonly environment: string;
      readonly service: string;
      readonly stage: HookStage;
      readonly hook: string;
      /** The hook's function, for the log. */
      readonly actor: string;
      readonly irreversibleByConfig: boolean;
      readonly answer: { readonly passed: boolean; readonly reason: string; readonly irreversible: boolean };
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
  /**
   * After `environment-failed`: the reversible pre-deploy hooks that passed there, newest first, to undo
   * after the rollback; none when the environment froze.
   */
  readonly undo?: readonly { readonly service: string; readonly hook: string }[];
  /**
   * After `environment-failed`: an irreversible hook ran there, so the environment is FROZEN: nothing is
   * rolled back or undone (the old versions may not run on what it changed) and the release stops.
   */
  readonly frozen?: boolean;
  /** After `hook-answered`: the hook did not pass, which fails its service. */
  readonly failure?: HookFailedError;
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
    case "environment-failed":
      return environmentFailed(release, event);
    case "hook-answered":
      return hookAnswered(release, event);
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

/**
 * An environment failed: the services that SUCCEEDED there roll back in reverse deployment order and the
 * reversible pre-deploy hooks that passed there are undone, newest first; or, when an irreversible hook ran
 * there, the environment is FROZEN and nothing is rolled back or undone.
 */
function environmentFailed(
  release: Release,
  event: Extract<ReleaseEvent, { type: "environment-failed" }>,
): ReleaseTransition {
  const environment = running(release, event);
  // The Map's next iteration after a failure, refused at its entry (see environment-entered): nothing to
  // put back, nothing to record (as for a promotion).
  if (environment.status === EnvironmentStatus.Pending)
    return { release, rollback: [], undo: [], frozen: false };
  const passed = release.hooks.filter(
    (run) => run.environment === environment.name && run.stage === "preDeploy" && run.passed,
  );
  const frozen = passed.some((run) => run.irreversible);
  const rollback = frozen
    ? []
    : rollbackOrder(
        release.groups,
        new Set(
          Object.keys(environment.services).filter(
            (service) => environment.services[service] === EnvironmentStatus.Succeeded,
          ),
        ),
      );
  const undo = frozen
    ? []
    : // The record keeps answers in the order they came: newest last.
      passed.toReversed().map(({ service, hook }) => ({ service, hook }));
  const answer = { rollback, undo, frozen };
  if (environment.status === EnvironmentStatus.Failed || environment.status === EnvironmentStatus.Frozen)
    return { release, ...answer };
  if (environment.status !== EnvironmentStatus.InProgress)
    return refuse(release, event, `it is ${environment.status}`);
  const services = Object.fromEntries(
    Object.entries(environment.services).map(([service, status]) => [
      service,
      status === EnvironmentStatus.Pending ? EnvironmentStatus.NotDeployed : status,
    ]),
  );
  const irreversible = passed.filter((run) => run.irreversible).map((run) => `${run.service} ${run.hook}`);
  return {
    release: withEnvironment(
      release,
      environment,
      {
        status: frozen ? EnvironmentStatus.Frozen : EnvironmentStatus.Failed,
        services,
        endedAt: event.at,
        reason: frozen
          ? `frozen: irreversible hook ${irreversible.join(", ")} ran before ${event.reason}; nothing is rolled back or undone`
          : event.reason,
      },
      event.at,
    ),
    ...answer,
  };
}

/** Keeps a service's hook answer (the last per environment, stage and hook); one that did not pass fails it. */
function hookAnswered(
  release: Release,
  event: Extract<ReleaseEvent, { type: "hook-answered" }>,
): ReleaseTransition {
  const environment = running(release, event);
  const undoing = event.stage === "undo";
  const status = serviceStatus(release, environment, event.service, event);
  if (
    undoing
      ? environment.status !== EnvironmentStatus.Failed
      : environment.status !== EnvironmentStatus.InProgress
  )
    return refuse(
      release,
      event,
      `a ${event.stage} hook does not run while ${environment.name} is ${environment.status}`,
    );
  if (!undoing && status !== EnvironmentStatus.Pending)
    return refuse(release, event, `${event.service} is ${status} there`);
  const run = {
    environment: environment.name,
    service: event.service,
    stage: event.stage,
    hook: event.hook,
    passed: event.answer.passed,
    reason: event.answer.reason,
    irreversible: event.irreversibleByConfig || event.answer.irreversible,
    at: event.at,
  };
  const same = (other: Release["hooks"][number]) =>
    other.environment === run.environment &&
    other.service === run.service &&
    other.stage === run.stage &&
    other.hook === run.hook;
  const previous = release.hooks.find(same);
  const failure =
    undoing || run.passed
      ? undefined
      : new HookFailedError(
          `${event.service}'s ${event.stage} hook ${event.hook} (${event.actor}) failed in ${environment.name}: ${run.reason}`,
        );
  const unchanged =
    previous !== undefined &&
    previous.passed === run.passed &&
    previous.reason === run.reason &&
    previous.irreversible === run.irreversible;
  return {
    release: unchanged
      ? release
      : next(release, { hooks: [...release.hooks.filter((other) => !same(other)), run] }, event.at),
    ...(failure === undefined ? {} : { failure }),
  };
}

function finished(release: Release, event: Extract<ReleaseEvent, { type: "finished" }>): ReleaseTransition {
  const status = endStatus(event.outcome, release.environments);
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
