import type { ColourWeights } from "./ports/traffic-router.ts";

/**
 * Error names are the contract with Step Functions: `Catch` and `Retry` match on `Error`, which Lambda sets
 * to the thrown error's `name`. State machines import `ErrorNames` instead of repeating strings.
 */
export const ErrorNames = {
  ConfigInvalid: "ConfigInvalidError",
  PlanInvalid: "PlanInvalidError",
  DeploymentRequestInvalid: "DeploymentRequestInvalidError",
  PromotionRequestInvalid: "PromotionRequestInvalidError",
  DeploymentNotFound: "DeploymentNotFoundError",
  IllegalTransition: "IllegalTransitionError",
  LockNotHeld: "LockNotHeldError",
  DeployFailed: "DeployFailedError",
  ShiftFailed: "ShiftFailedError",
  AlarmFired: "AlarmFiredError",
  AnalysisFailed: "AnalysisFailedError",
  PauseTimedOut: "PauseTimedOutError",
  ExperimentNotWon: "ExperimentNotWonError",
  GateRejected: "GateRejectedError",
  SmokeTestFailed: "SmokeTestFailedError",
  GateExpired: "GateExpiredError",
  GateNotOpen: "GateNotOpenError",
  StepInputInvalid: "StepInputInvalidError",
  InvalidCursor: "InvalidCursorError",
  TriggerEventInvalid: "TriggerEventInvalidError",
  FreezeWindow: "FreezeWindowError",
  HookFailed: "HookFailedError",
  PromotionBlocked: "PromotionBlockedError",
  PromotionEventRefused: "PromotionEventRefusedError",
  PromotionNotFound: "PromotionNotFoundError",
  TargetAccessDenied: "TargetAccessDeniedError",
  ReleaseInvalid: "ReleaseInvalidError",
  ReleaseEventRefused: "ReleaseEventRefusedError",
  ReleaseServiceFailed: "ReleaseServiceFailedError",
  LockWaitTimedOut: "LockWaitTimedOutError",
  TargetBusy: "TargetBusyError",
} as const;

export type ErrorName = (typeof ErrorNames)[keyof typeof ErrorNames];

export abstract class GlidepathError extends Error {
  abstract override readonly name: ErrorName;
}

export class DeploymentNotFoundError extends GlidepathError {
  override readonly name = ErrorNames.DeploymentNotFound;
  readonly deploymentId: string;
  constructor(deploymentId: string) {
    super(`Deployment ${deploymentId} does not exist. Check the id with \`glidepath history\`.`);
    this.deploymentId = deploymentId;
  }
}

export class IllegalTransitionError extends GlidepathError {
  override readonly name = ErrorNames.IllegalTransition;
  readonly deploymentId: string;
  readonly from: string;
  readonly to: string;
  constructor(deploymentId: string, from: string, to: string, allowedFromCurrent: readonly string[]) {
    const allowed =
      allowedFromCurrent.length === 0
        ? `${from} is terminal: nothing is allowed from it`
        : `allowed from ${from}: ${allowedFromCurrent.join(", ")}`;
    super(`Deployment ${deploymentId} cannot move from ${from} to ${to} (${allowed}).`);
    this.deploymentId = deploymentId;
    this.from = from;
    this.to = to;
  }
}

export class LockNotHeldError extends GlidepathError {
  override readonly name = ErrorNames.LockNotHeld;
  readonly service: string;
  readonly promotionId: string;
  readonly holder: string | undefined;
  constructor(service: string, promotionId: string, holder: string | undefined) {
    const current = holder === undefined ? "nobody holds it" : `it is held by ${holder}`;
    // The holder is a promotion (p-) or a release (r-).
    const kind = promotionId.startsWith("r-") ? "Release" : "Promotion";
    super(`${kind} ${promotionId} cannot release the lock of ${service}: ${current}.`);
    this.service = service;
    this.promotionId = promotionId;
    this.holder = holder;
  }
}

export class InvalidCursorError extends GlidepathError {
  override readonly name = ErrorNames.InvalidCursor;
  readonly cursor: string;
  constructor(cursor: string, problem: string) {
    super(
      `Invalid history cursor ${JSON.stringify(cursor)}: ${problem}. Pass back the nextCursor of the previous page unchanged.`,
    );
    this.cursor = cursor;
  }
}

/**
 * The router did not report the requested weights after a shift. Traffic may be split in a way nobody asked
 * for, so the state machine treats it as a failed step rather than retrying blindly.
 */
export class ShiftFailedError extends GlidepathError {
  override readonly name = ErrorNames.ShiftFailed;
  readonly router: string;
  readonly requested: ColourWeights;
  readonly observed: ColourWeights;
  /** `why` replaces the listener's explanation, for routers that are not one (a flag). */
  constructor(router: string, requested: ColourWeights, observed: ColourWeights, why?: string) {
    super(
      `Shifting ${router} to blue ${requested.blue}% / green ${requested.green}% did not take: it reports ` +
        `blue ${observed.blue}% / green ${observed.green}%. ${
          why ??
          "Something else may be changing the same listener or rule (another deployment, a stack update, a console edit); find it, then retry or roll back."
        }`,
    );
    this.router = router;
    this.requested = requested;
    this.observed = observed;
  }
}

/**
 * A colour cannot run its version: its service is missing or inactive, the base revision cannot be copied, or
 * the rollout failed or never became stable. Retrying does not help; the deployment fails (and rolls back) with
 * this message for the operator. `location` names the service when the problem is tied to one.
 */
export class DeployFailedError extends GlidepathError {
  override readonly name = ErrorNames.DeployFailed;
  readonly cluster: string | undefined;
  readonly service: string | undefined;
  constructor(problem: string, location?: { readonly cluster: string; readonly service: string }) {
    const where =
      location === undefined ? "" : ` on ECS service ${location.service} in cluster ${location.cluster}`;
    super(`Deploy failed${where}: ${problem}`);
    this.cluster = location?.cluster;
    this.service = location?.service;
  }
}

/**
 * The target is changing under someone else's hands (a Lambda function's code update in progress that this
 * step did not see start): the deploy step retries it, with backoff, and fails the deployment only after.
 */
export class TargetBusyError extends GlidepathError {
  override readonly name = ErrorNames.TargetBusy;
}

/** A guard rail tripped: a CloudWatch alarm is in ALARM (or is missing). The message names it and why. */
export class AlarmFiredError extends GlidepathError {
  override readonly name = ErrorNames.AlarmFired;
}

/** The new version's metrics failed the analysis (error rate, error ratio, latency, or no data to judge). */
export class AnalysisFailedError extends GlidepathError {
  override readonly name = ErrorNames.AnalysisFailed;
}

/** A check paused the deployment and nobody decided before the pause's timeout, whose action is rollback. */
export class PauseTimedOutError extends GlidepathError {
  override readonly name = ErrorNames.PauseTimedOut;
}

/**
 * An experiment ended without a winning treatment (the control won, or no difference showed): the flag goes
 * back as a rollback leaves it, and the promotion stops. The message is the verdict.
 */
export class ExperimentNotWonError extends GlidepathError {
  override readonly name = ErrorNames.ExperimentNotWon;
}

/** A step received an input it cannot use: a bug in the state machine or a hand-edited execution input. */
export class StepInputInvalidError extends GlidepathError {
  override readonly name = ErrorNames.StepInputInvalid;
}

/** The gate's task no longer waits (it timed out, or its execution ended): a decision comes too late. */
export class GateExpiredError extends GlidepathError {
  override readonly name = ErrorNames.GateExpired;
}

/** The timer rang before open-gate stored its gate; the state machine retries the ring. */
export class GateNotOpenError extends GlidepathError {
  override readonly name = ErrorNames.GateNotOpen;
}

/**
 * An event that Glidepath's rules routed to the trigger (an ECR push, ArtifactPublished, ReleasePublished,
 * DeployRequested, RollbackRequested) but that it cannot take. Thrown rather than ignored so that the rule
 * target's dead-letter queue keeps the event with this message, which names the event and its bad fields.
 */
export class TriggerEventInvalidError extends GlidepathError {
  override readonly name = ErrorNames.TriggerEventInvalid;
  readonly reason: string;
  constructor(reason: string) {
    super(`The trigger cannot take this event: ${reason}`);
    this.reason = reason;
  }
}

/** An environment is in a freeze window and its `onFreeze` is "fail". */
export class FreezeWindowError extends GlidepathError {
  override readonly name = ErrorNames.FreezeWindow;
}

/** A pre- or post-deploy hook answered anything but `{ "status": "passed" }`. */
export class HookFailedError extends GlidepathError {
  override readonly name = ErrorNames.HookFailed;
}

/** An environment was to be entered although an earlier one did not succeed: promotion never skips a failure. */
export class PromotionBlockedError extends GlidepathError {
  override readonly name = ErrorNames.PromotionBlocked;
}

/** An event a promotion cannot take where it is (see the promotion controller): nothing was changed. */
export class PromotionEventRefusedError extends GlidepathError {
  override readonly name = ErrorNames.PromotionEventRefused;
}

/** An event a release cannot take where it is (see functions/domain/release/progress.ts): nothing was changed. */
export class ReleaseEventRefusedError extends GlidepathError {
  override readonly name = ErrorNames.ReleaseEventRefused;
}

/** A service of a release did not succeed in an environment: the release rolls that environment back and stops. */
export class ReleaseServiceFailedError extends GlidepathError {
  override readonly name = ErrorNames.ReleaseServiceFailed;
}

/** A release waited longer than it may for a lock another promotion or release holds: it stops and gives back the locks it took. */
export class LockWaitTimedOutError extends GlidepathError {
  override readonly name = ErrorNames.LockWaitTimedOut;
}

export class PromotionNotFoundError extends GlidepathError {
  override readonly name = ErrorNames.PromotionNotFound;
  readonly promotionId: string;
  constructor(promotionId: string) {
    super(`Promotion ${promotionId} does not exist. Check the id with \`glidepath history --promotions\`.`);
    this.promotionId = promotionId;
  }
}

/**
 * The control plane could not assume a wave's deploy role: the target stack is missing in that account and
 * region, or its trust does not admit this control plane. Nothing was done in the target account.
 */
export class TargetAccessDeniedError extends GlidepathError {
  override readonly name = ErrorNames.TargetAccessDenied;
}
