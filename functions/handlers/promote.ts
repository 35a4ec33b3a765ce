import { z } from "zod";
import { DecisionAction, DeploymentStatus, NotDeployedStep } from "../domain/deployment.ts";
import { FreezeWindowError, HookFailedError, PromotionBlockedError } from "../domain/errors.ts";
import { activeFreeze } from "../domain/freeze.ts";
import { HookStages, readHookOutput } from "../domain/hooks.ts";
import type { Ports } from "../domain/ports/index.ts";
import type { PromotionNotice } from "../domain/ports/notifier.ts";
import {
  enterDecisionId,
  lastEntered,
  type PromotionEnvironment,
  type PromotionRequest,
  PromotionRequestSchema,
  parsePromotionRequest,
} from "../domain/promotion.ts";
import { logger } from "../shared/logger.ts";
import { onDeploymentEnded, type StarterPorts } from "./deployment-ended.ts";
import { CaughtError, describeError, parseInput } from "./schemas.ts";

const Environment = PromotionRequestSchema.shape.environments.element;
const Promotion = PromotionRequestSchema.omit({ environments: true });
const Hook = Environment.shape.preDeploy.element;

const PromoteInput = z.discriminatedUnion("action", [
  z.object({ action: z.literal("start"), request: z.unknown(), executionArn: z.string().min(1) }),
  /** Creates the environment's deployment records (one per wave), before its gate and freeze check. */
  z.object({ action: z.literal("enter"), promotion: Promotion, environment: Environment }),
  z.object({ action: z.literal("check-freeze"), environment: Environment }),
  z.object({
    action: z.literal("hook-ran"),
    environment: Environment,
    stage: z.enum(HookStages),
    hook: Hook,
    output: z.unknown(),
  }),
  z.object({
    action: z.literal("environment-failed"),
    promotion: Promotion,
    environment: Environment,
    error: CaughtError,
    executionArn: z.string().min(1),
  }),
  z.object({
    action: z.literal("finish"),
    promotion: Promotion,
    outcome: z.enum(["promoted", "stopped"]),
    error: CaughtError.optional(),
    executionArn: z.string().min(1),
  }),
]);

export type FreezeCheck =
  | { readonly frozen: false }
  | { readonly frozen: true; readonly window: string; readonly until: string };

/** What an environment's failure leaves to do: the hooks to undo (newest first), unless it froze. */
export interface EnvironmentFailure {
  readonly frozen: boolean;
  readonly undo: readonly z.output<typeof Hook>[];
}

/**
 * What ending a promotion needs besides the store: the config the waiting promotion is resolved from and how to
 * start it (on AWS, StartExecution of the pipeline). Without it the promote step releases no lock.
 */
export type PromotionLifecycle = Omit<StarterPorts, "promotions" | "deployments">;

/** The environment's first wave: its decisions (gate, freeze, hooks) are logged on that deployment. */
const firstWave = (environment: PromotionEnvironment) => environment.waves[0]?.deploymentId ?? "";

/**
 * The pipeline's own step: it moves a promotion through its environments around the nested strategy
 * executions. It keeps no state of its own: the deployment records, their decision log and the service's
 * lock are the state, so every action is safe to repeat.
 */
export function createPromoteHandler(ports: Ports, lifecycle?: PromotionLifecycle) {
  return async (event: unknown): Promise<unknown> => {
    const input = parseInput(PromoteInput, event, "promote");
    switch (input.action) {
      case "start": {
        const request = parsePromotionRequest(input.request);
        logger.info("promotion started", {
          promotionId: request.promotionId,
          environments: request.environments.map((environment) => environment.name),
        });
        return { environments: request.environments.length };
      }
      case "enter":
        return enter(ports, input.promotion, input.environment);
      case "check-freeze":
        return checkFreeze(ports, input.environment);
      case "hook-ran":
        return hookRan(ports, input.environment, input.stage, input.hook, input.output);
      case "environment-failed":
        return environmentFailed(ports, input);
      case "finish":
        return finish(ports, lifecycle, input);
    }
  };
}

async function enter(
  ports: Ports,
  promotion: Omit<PromotionRequest, "environments">,
  environment: PromotionEnvironment,
): Promise<{ readonly deployments: readonly string[] }> {
  // Step Functions starts no iteration after a failed one; this holds even where a Map runs on regardless.
  for (const id of environment.requires) {
    const required = await ports.deployments.get(id);
    if (required?.status !== DeploymentStatus.Succeeded) {
      throw new PromotionBlockedError(
        `${environment.name} is not entered: ${required?.environment ?? "an earlier environment"} deployment ${id} is ${required?.status ?? "missing"}, not SUCCEEDED`,
      );
    }
  }
  const deployments: string[] = [];
  for (const wave of environment.waves) {
    const { deployment } = await ports.deployments.create({
      service: promotion.service,
      environment: environment.name,
      artifact: promotion.artifact,
      strategy: wave.request.strategy,
      promotionId: promotion.promotionId,
      ...(wave.region === undefined ? {} : { region: wave.region }),
    });
    if (deployment.id !== wave.deploymentId) {
      throw new Error(
        `the promotion expected deployment ${wave.deploymentId} for ${environment.name} but the store created ${deployment.id}`,
      );
    }
    deployments.push(deployment.id);
  }
  await ports.decisions.append({
    deploymentId: promotion.promotionId,
    id: enterDecisionId(environment.name),
    at: ports.clock().toISOString(),
    action: DecisionAction.Promotion,
    actor: "pipeline",
    reason: `entered ${environment.name} (${environment.waves.length} wave${environment.waves.length === 1 ? "" : "s"})`,
    values: { environment: environment.name, deployments },
  });
  return { deployments };
}

async function checkFreeze(ports: Ports, environment: PromotionEnvironment): Promise<FreezeCheck> {
  const now = ports.clock();
  const freeze = activeFreeze(environment.freezeWindows, now);
  if (freeze === undefined) return { frozen: false };
  const reason = `${environment.name} is frozen by '${freeze.window}' until ${freeze.until}`;
  await ports.decisions.append({
    deploymentId: firstWave(environment),
    id: `freeze-${freeze.window}`,
    at: now.toISOString(),
    action: DecisionAction.Freeze,
    actor: "pipeline",
    reason: environment.onFreeze === "wait" ? `${reason}: waiting` : `${reason}: onFreeze is "fail"`,
    values: { window: freeze.window, until: freeze.until, onFreeze: environment.onFreeze },
  });
  if (environment.onFreeze === "fail") throw new FreezeWindowError(reason);
  logger.info("promotion waits for a freeze window to end", { environment: environment.name, ...freeze });
  return { frozen: true, window: freeze.window, until: freeze.until };
}

async function hookRan(
  ports: Ports,
  environment: PromotionEnvironment,
  stage: (typeof HookStages)[number],
  hook: z.output<typeof Hook>,
  output: unknown,
): Promise<{ readonly passed: true }> {
  const answer = readHookOutput(output);
  const irreversible = hook.irreversible || answer.irreversible;
  await ports.decisions.append({
    deploymentId: firstWave(environment),
    id: `hook-${stage}-${hook.name}`,
    at: ports.clock().toISOString(),
    action: DecisionAction.Hook,
    actor: hook.function,
    reason: `${stage} hook ${hook.name} ${answer.passed ? "passed" : "failed"}: ${answer.message}`,
    values: { stage, hook: hook.name, passed: answer.passed, irreversible, message: answer.message },
  });
  if (stage !== "undo" && !answer.passed) {
    throw new HookFailedError(`${stage} hook ${hook.name} (${hook.function}) failed: ${answer.message}`);
  }
  return { passed: true };
}

/**
 * Records why an environment failed on its deployments that never started, and says what to do with the
 * pre-deploy hooks that passed: undo them, newest first, unless one of them is irreversible, in which case the
 * environment is frozen: nothing is undone, traffic stays where the strategy's rollback put it (the old
 * version), and humans are told.
 */
async function environmentFailed(
  ports: Ports,
  input: {
    readonly promotion: Omit<PromotionRequest, "environments">;
    readonly environment: PromotionEnvironment;
    readonly error: z.output<typeof CaughtError>;
    readonly executionArn: string;
  },
): Promise<EnvironmentFailure> {
  const { environment, promotion } = input;
  const reason = describeError(input.error);
  for (const wave of environment.waves) {
    const deployment = await ports.deployments.get(wave.deploymentId);
    if (deployment?.status !== DeploymentStatus.Queued) continue;
    await ports.deployments.transition(wave.deploymentId, DeploymentStatus.Failed, {
      currentStep: NotDeployedStep,
      statusReason: `not deployed: ${reason}`,
    });
  }
  const decisions = await ports.decisions.list(firstWave(environment));
  const passed = decisions.filter(
    (decision) =>
      decision.action === DecisionAction.Hook &&
      decision.values.stage === "preDeploy" &&
      decision.values.passed === true,
  );
  const irreversible = passed.filter((decision) => decision.values.irreversible === true);
  if (irreversible.length > 0) {
    const hooks = irreversible.map((decision) => String(decision.values.hook));
    await ports.decisions.append({
      deploymentId: firstWave(environment),
      id: "frozen",
      at: ports.clock().toISOString(),
      action: DecisionAction.Freeze,
      actor: "pipeline",
      reason: `frozen: irreversible hook ${hooks.join(", ")} ran before ${reason}; nothing is undone, traffic stays on the old version`,
      values: { hooks, error: input.error.Error },
    });
    await tell(ports, {
      promotionId: promotion.promotionId,
      service: promotion.service,
      version: promotion.artifact.version,
      outcome: "frozen",
      environment: environment.name,
      reason: `irreversible ${hooks.join(", ")} ran, then ${reason}. Fix forward with a new artifact.`,
      executionUrl: ports.executionUrl(input.executionArn),
    });
    return { frozen: true, undo: [] };
  }
  const names = new Set(passed.map((decision) => String(decision.values.hook)));
  const undo = environment.preDeploy.filter((hook) => names.has(hook.name)).reverse();
  return { frozen: false, undo };
}

async function finish(
  ports: Ports,
  lifecycle: PromotionLifecycle | undefined,
  input: {
    readonly promotion: Omit<PromotionRequest, "environments">;
    readonly outcome: "promoted" | "stopped";
    readonly error?: z.output<typeof CaughtError> | undefined;
    readonly executionArn: string;
  },
): Promise<{ readonly outcome: string; readonly started?: string }> {
  const { promotion } = input;
  // The last environment it entered, from its own log: the pipeline does not carry it out of the Map.
  const lastEnvironment =
    lastEntered(await ports.decisions.list(promotion.promotionId))?.environment ?? promotion.lockEnvironment;
  const reason =
    input.error === undefined
      ? `every environment succeeded, up to ${lastEnvironment}`
      : describeError(input.error);
  await ports.decisions.append({
    deploymentId: promotion.promotionId,
    id: `promotion-${input.outcome}`,
    at: ports.clock().toISOString(),
    action: DecisionAction.Promotion,
    actor: "pipeline",
    reason: `promotion ${input.outcome}: ${reason}`,
    values: { outcome: input.outcome, environment: lastEnvironment },
  });
  // The lock first: a message that cannot be sent must not keep the next promotion waiting.
  const ended =
    lifecycle === undefined
      ? {}
      : await onDeploymentEnded(
          { ...ports, config: lifecycle.config, start: lifecycle.start },
          {
            service: promotion.service,
            environment: promotion.lockEnvironment,
            deploymentId: promotion.promotionId,
            ...(input.outcome === "promoted" ? { liveVersion: promotion.artifact.version } : {}),
          },
        );
  await tell(ports, {
    promotionId: promotion.promotionId,
    service: promotion.service,
    version: promotion.artifact.version,
    outcome: input.outcome,
    environment: lastEnvironment,
    reason,
    executionUrl: ports.executionUrl(input.executionArn),
  });
  return { outcome: input.outcome, ...(ended.started === undefined ? {} : { started: ended.started }) };
}

/** Tells humans; a notifier that fails (Slack down) is logged, and the promotion's state is not held up by it. */
async function tell(ports: Ports, notice: PromotionNotice): Promise<void> {
  try {
    await ports.notifier.promotionEnded(notice);
  } catch (error) {
    logger.error("promotion notice not sent", {
      promotionId: notice.promotionId,
      outcome: notice.outcome,
      error,
    });
  }
}
