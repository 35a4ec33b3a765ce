import type { z } from "zod";
import type { WaveTargetSchema } from "../config/target-schema.ts";
import type { DeployTarget } from "./deploy-target.ts";
import type { TaskCallbacks } from "./gates.ts";
import type { HealthSignals } from "./health-signals.ts";
import type { Notifier } from "./notifier.ts";
import type { Stores } from "./stores.ts";
import type { TrafficRouter } from "./traffic-router.ts";

/** A wave's target as its steps receive it (the request's `target`). */
export type TargetConfig = z.output<typeof WaveTargetSchema>;

/**
 * Where a step acts: the wave's account and region, and the deployment it acts for. On AWS the adapters
 * assume the account's deploy role with the deployment id as the session name (unless the wave is in the
 * control plane's own account and region) and use clients of the region; locally it picks the local cloud.
 */
export interface WaveAccess {
  readonly account: string;
  readonly region: string;
  readonly deploymentId: string;
}

/**
 * Everything a step handler reaches outside itself. On AWS the adapters call ELBv2, CloudWatch, ECS and
 * DynamoDB; locally the same handlers get the weighted router, the local processes and dynalite.
 */
export interface Ports extends Stores {
  trafficRouter(target: TargetConfig, access: WaveAccess): TrafficRouter;
  deployTarget(target: TargetConfig, access: WaveAccess): DeployTarget;
  healthSignals(target: TargetConfig, access: WaveAccess): HealthSignals;
  /** Ends the tasks that wait at gates. */
  readonly callbacks: TaskCallbacks;
  /** Tells humans about gates. */
  readonly notifier: Notifier;
  /** The account whose events resolve-gate accepts; events from any other are rejected. */
  readonly account: string;
  /** A link to an execution for humans: the Step Functions console, or the local equivalent. */
  executionUrl(executionArn: string): string;
  readonly clock: () => Date;
}
