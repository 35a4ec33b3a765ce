import type { Colour } from "./traffic-router.ts";

export interface PrepareInput {
  readonly colour: Colour;
  /** The artifact to run, e.g. an ECR image URI with digest. */
  readonly artifactUri: string;
  readonly version: string;
  /** What the live colour runs (e.g. its task definition ARN): the new revision copies it with the new artifact. */
  readonly baseRevision: string;
  /** Tasks to run on this colour. */
  readonly desiredCount: number;
}

export interface PrepareResult {
  /** What now runs on the colour, e.g. the new task definition ARN. */
  readonly revision: string;
  readonly desiredCount: number;
}

export interface TargetStatus {
  readonly colour: Colour;
  /**
   * What runs on the colour (e.g. its task definition ARN); undefined when nothing was ever deployed. Compare it
   * with what `prepare` returned: ECS's circuit breaker can roll a failed rollout back to the previous revision,
   * which then reports stable.
   */
  readonly revision?: string;
  readonly desiredCount: number;
  readonly runningCount: number;
  /** Targets the load balancer reports healthy for this colour. */
  readonly healthyTargets: number;
  readonly unhealthyTargets: number;
  /** The rollout reached its desired state and every target is healthy. */
  readonly stable: boolean;
  /** The rollout can no longer become stable (e.g. ECS circuit breaker, tasks failing to start). */
  readonly failed: boolean;
  /** Why it is not stable, in words an operator can act on. */
  readonly reason?: string;
}

/**
 * Runs versions on the two colours. No method waits: the state machine polls `status` with Wait states,
 * because a Lambda function stops at 15 minutes and Step Functions waits for free.
 */
export interface DeployTarget {
  /** Starts running the artifact on the colour; idempotent for the same colour and artifact. */
  prepare(input: PrepareInput): Promise<PrepareResult>;
  /** Changes how many tasks run on the colour (rolling batches, rollback, retirement). */
  scale(colour: Colour, desiredCount: number): Promise<void>;
  status(colour: Colour): Promise<TargetStatus>;
}

/** The status of a colour with no tasks of its own to count (a flag's variant, a Lambda version): stable. */
export function stableWithoutTasks(colour: Colour, revision?: string): TargetStatus {
  return {
    colour,
    ...(revision === undefined ? {} : { revision }),
    desiredCount: 0,
    runningCount: 0,
    healthyTargets: 0,
    unhealthyTargets: 0,
    stable: true,
    failed: false,
  };
}
