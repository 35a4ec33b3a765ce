import type { DeploymentRequest } from "../functions/domain/deployment-request.ts";
import type { PromotionRequest } from "../functions/domain/promotion/request.ts";

const scaled = (seconds: number, speed: number) =>
  seconds === 0 ? 0 : Math.max(1, Math.round(seconds / speed));

/**
 * The same deployment, `speed` times faster: every bake, analysis interval, `forSeconds`, pause timeout and
 * retirement delay divided by `speed` (at least a second where it was not zero). Rollouts of local processes are checked every second.
 */
export function scaleRequest(request: DeploymentRequest, speed: number): DeploymentRequest {
  if (!(speed > 0)) throw new RangeError(`speed must be a positive number, got ${speed}`);
  const phases = request.plan.phases.map((phase) => ({
    ...phase,
    bakeSeconds: scaled(phase.bakeSeconds, speed),
  }));
  return {
    ...request,
    plan: {
      ...request.plan,
      phases,
      totalSeconds: phases.reduce((sum, phase) => sum + phase.bakeSeconds, 0),
      retireAfterSeconds: scaled(request.plan.retireAfterSeconds, speed),
    },
    analysis: {
      ...request.analysis,
      intervalSeconds: scaled(request.analysis.intervalSeconds, speed),
      latency: {
        ...request.analysis.latency,
        forSeconds: scaled(request.analysis.latency.forSeconds, speed),
      },
    },
    targetHealth:
      request.targetHealth === null
        ? null
        : { ...request.targetHealth, forSeconds: scaled(request.targetHealth.forSeconds, speed) },
    pause: { ...request.pause, timeoutSeconds: scaled(request.pause.timeoutSeconds, speed) },
    timing: { deployCheckSeconds: 1, deployMaxChecks: 10, shiftCheckSeconds: 1 },
  };
}

/** A promotion `speed` times faster: each wave's strategy (see `scaleRequest`) and each bake between waves. */
export function scalePromotion(request: PromotionRequest, speed: number): PromotionRequest {
  return {
    ...request,
    environments: request.environments.map((environment) => ({
      ...environment,
      waveBakeSeconds: Math.max(1, Math.round(environment.waveBakeSeconds / speed)),
      waves: environment.waves.map((wave) => ({ ...wave, request: scaleRequest(wave.request, speed) })),
    })),
  };
}
