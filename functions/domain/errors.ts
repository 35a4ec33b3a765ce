/**
 * Error names are the contract with Step Functions: `Catch` and `Retry` match on `Error`, which Lambda sets
 * to the thrown error's `name`. State machines import `ErrorNames` instead of repeating strings.
 */
export const ErrorNames = {
  ConfigInvalid: "ConfigInvalidError",
  PlanInvalid: "PlanInvalidError",
  DeploymentNotFound: "DeploymentNotFoundError",
  IllegalTransition: "IllegalTransitionError",
  LockHeld: "LockHeldError",
  LockNotHeld: "LockNotHeldError",
  DeployFailed: "DeployFailedError",
  ShiftFailed: "ShiftFailedError",
  AlarmFired: "AlarmFiredError",
  AnalysisFailed: "AnalysisFailedError",
  GateRejected: "GateRejectedError",
  InvalidCursor: "InvalidCursorError",
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
  readonly environment: string;
  readonly deploymentId: string;
  readonly holder: string | undefined;
  constructor(service: string, environment: string, deploymentId: string, holder: string | undefined) {
    const current = holder === undefined ? "nobody holds it" : `it is held by ${holder}`;
    super(`Deployment ${deploymentId} cannot release the lock of ${service}/${environment}: ${current}.`);
    this.service = service;
    this.environment = environment;
    this.deploymentId = deploymentId;
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
