import type { Decision, DeploymentStatus } from "../deployment.ts";
import type { GlidepathError } from "../errors.ts";
import type { HookStage } from "../hooks.ts";
import type { LockState, NewestArtifact } from "../ports/promotion-store.ts";
import type { Promotion } from "./record.ts";

/** What the service's `concurrency` says a new artifact does to the promotion that holds the lock. */
export type Concurrency = "queue" | "supersede";

/** A hook's answer as the promote step read it (see `readHookOutput`). */
export interface HookAnswer {
  readonly passed: boolean;
  readonly reason: string;
  readonly irreversible: boolean;
}

/**
 * Everything that can happen to a promotion. The trigger's events come from the artifact event and from the
 * lock's own conditional writes (their results are events too, so the controller decides what each means);
 * the pipeline's from its promote steps. `at` is when it happened, ISO-8601.
 */
export type PromotionEvent =
  /** Its artifact event arrived (again, when redelivered); `lock` is the lock as read just before. */
  | { readonly type: "arrived"; readonly lock: LockState; readonly concurrency: Concurrency }
  | { readonly type: "lock-acquired" }
  | { readonly type: "lock-busy" }
  /** The lock refused it: a newer artifact of the service took the lock before it arrived. */
  | { readonly type: "outdated"; readonly newer: NewestArtifact }
  /** The result of joining the queue: whom it replaced there, and who held the lock then. */
  | {
      readonly type: "enqueued";
      readonly superseded?: string;
      readonly holder?: string;
      /** The queue refused it: a newer artifact took the lock before it arrived. */
      readonly outdatedBy?: NewestArtifact;
      readonly concurrency: Concurrency;
    }
  /** A release handed it the lock it waited for. */
  | { readonly type: "lock-handed" }
  | { readonly type: "started"; readonly executionArn: string; readonly at: string }
  /** It can never start (its service or first environment left the config). */
  | { readonly type: "unstartable"; readonly reason: string; readonly at: string }
  /** A newer artifact replaced it in the queue. */
  | {
      readonly type: "superseded";
      readonly by: string;
      readonly version: string;
      readonly digest: string;
      readonly at: string;
    }
  /** A newer artifact asked the running promotion to stop (`concurrency: "supersede"`). */
  | { readonly type: "abort-requested"; readonly by: string; readonly version: string; readonly at: string }
  | { readonly type: "entered"; readonly environment: string; readonly at: string }
  | { readonly type: "approved"; readonly environment: string; readonly by: string; readonly at: string }
  | {
      readonly type: "freeze-checked";
      readonly environment: string;
      readonly freeze?: { readonly window: string; readonly until: string };
      readonly onFreeze: "wait" | "fail";
      readonly at: string;
    }
  | {
      readonly type: "hook-answered";
      readonly environment: string;
      readonly stage: HookStage;
      readonly hook: string;
      /** Who ran it: the hook's function. */
      readonly actor: string;
      readonly irreversibleByConfig: boolean;
      readonly answer: HookAnswer;
      readonly at: string;
    }
  | {
      readonly type: "wave-ended";
      readonly environment: string;
      readonly deploymentId: string;
      readonly at: string;
    }
  | { readonly type: "environment-succeeded"; readonly environment: string; readonly at: string }
  | {
      readonly type: "environment-failed";
      readonly environment: string;
      readonly error: string;
      readonly reason: string;
      /** Each wave's deployment status as read now; undefined for a wave never created. */
      readonly waves: readonly { readonly deploymentId: string; readonly status?: DeploymentStatus }[];
      readonly at: string;
    }
  | {
      readonly type: "finished";
      readonly outcome: "promoted" | "stopped";
      readonly reason?: string;
      readonly at: string;
    };

/** What the handler does after persisting the promotion, in order. Every command is safe to repeat. */
export type PromotionCommand =
  /** `order`: the artifact's place in publication order, so an older one arriving late never takes the lock. */
  | { readonly type: "acquire-lock"; readonly order: string }
  | { readonly type: "enqueue"; readonly order: string }
  /** Hand a free lock to the promotion waiting for it, and start that one. */
  | { readonly type: "take-queue" }
  | { readonly type: "start-pipeline" }
  /** Tell the promotion it replaced in the queue that it is superseded. */
  | { readonly type: "supersede"; readonly promotionId: string }
  /** Ask the promotion holding the lock to stop (its `abort-requested` event). */
  | { readonly type: "request-abort"; readonly promotionId: string }
  /** Abort this promotion's live deployment, as a human's abort would. */
  | { readonly type: "abort"; readonly reason: string }
  | { readonly type: "create-deployments"; readonly environment: string }
  /** Its waves that never started are FAILED with this reason (traffic never moved). */
  | { readonly type: "fail-not-deployed"; readonly deployments: readonly string[]; readonly reason: string }
  | { readonly type: "log"; readonly decision: Decision }
  | { readonly type: "release-lock"; readonly liveVersion?: string }
  | {
      readonly type: "notify";
      readonly outcome: "promoted" | "stopped" | "frozen";
      readonly environment: string;
      readonly reason: string;
    };

/** A transition: the promotion after the event, what to do, and what the pipeline's step answers. */
export interface Transition {
  readonly promotion: Promotion;
  readonly commands: readonly PromotionCommand[];
  /** The promote step's answer to the state machine. */
  readonly output?: Readonly<Record<string, unknown>>;
  /** Thrown by the step after the promotion is persisted and the commands ran: the state machine catches it. */
  readonly failure?: GlidepathError;
}
