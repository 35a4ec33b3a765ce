import type { ServiceConfig } from "../config/index.ts";
import type { DeployTarget } from "./deploy-target.ts";
import type { HealthSignals } from "./health-signals.ts";
import type { StateStore } from "./state-store.ts";
import type { TrafficRouter } from "./traffic-router.ts";

export type TargetConfig = ServiceConfig["target"];

/**
 * Everything a step handler reaches outside itself. On AWS the adapters call ELBv2, CloudWatch, ECS and
 * DynamoDB; locally the same handlers get the weighted router, the local processes and dynalite.
 */
export interface Ports {
  readonly store: StateStore;
  trafficRouter(target: TargetConfig): TrafficRouter;
  deployTarget(target: TargetConfig): DeployTarget;
  healthSignals(target: TargetConfig): HealthSignals;
  readonly clock: () => Date;
}
