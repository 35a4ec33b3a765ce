import { z } from "zod";
import { activeFreeze } from "../domain/freeze.ts";
import { gateIdOf } from "../domain/gates.ts";
import { HookStages, hookAnswer } from "../domain/hooks.ts";
import type { Ports } from "../domain/ports/index.ts";
import type { PromotionEvent } from "../domain/promotion/events.ts";
import {
  PromotionApprovalPosition,
  type PromotionEnvironment,
  PromotionRequestSchema,
  parsePromotionRequest,
} from "../domain/promotion/request.ts";
import { logger } from "../shared/logger.ts";
import { applyPromotionEvent, type PromotionPorts, type RunContext } from "./promotion-runner.ts";
import { CaughtError, describeError, parseInput } from "./schemas.ts";

const Environment = PromotionRequestSchema.shape.environments.element;
const Promotion = PromotionRequestSchema.omit({ environments: true });
const Hook = Environment.shape.preDeploy.element;

const PromoteInput = z.discriminatedUnion("action", [
  z.object({ action: z.literal("start"), request: z.unknown(), executionArn: z.string().min(1) }),
  /** Creates the environment's deployment records (one per wave), before its gate and freeze check. */
  z.object({ action: z.literal("enter"), promotion: Promotion, environment: Environment }),
  z.object({ action: z.literal("approved"), promotion: Promotion, environment: Environment }),
  z.object({ action: z.literal("check-freeze"), promotion: Promotion, environment: Environment }),
  z.object({
    action: z.literal("hook-ran"),
    promotion: Promotion,
    environment: Environment,
    stage: z.enum(HookStages),
    hook: Hook,
    output: z.unknown(),
  }),
  z.object({
    action: z.literal("wave-ended"),
    promotion: Promotion,
    environment: Environment,
    deploymentId: z.string().min(1),
  }),
  z.object({ action: z.literal("environment-promoted"), promotion: Promotion, environment: Environment }),
  z.object({
    action: z.literal("environment-failed"),
    promotion: Promotion,
    environment: Environment,
    error: CaughtError,
  }),
  z.object({
    action: z.literal("finish"),
    promotion: Promotion,
    outcome: z.enum(["promoted", "stopped"]),
    error: CaughtError.optional(),
  }),
]);

type PromoteInput = z.output<typeof PromoteInput>;

/**
 * What the promote step needs besides the ports: the config a waiting promotion is resolved from and how to
 * start it (on AWS, StartExecution of the pipeline). Without it a finished promotion starts no waiting one.
 */
export type PromotionLifecycle = Required<Pick<PromotionPorts, "config" | "start">>;

/**
 * The pipeline's own step: it moves a promotion through its environments around the nested strategy
 * executions. Each action is an event for the promotion controller; this step only reads what the event needs,
 * applies it (see `applyPromotionEvent`) and answers the state machine. Every action is safe to repeat.
 */
export function createPromoteHandler(ports: Ports, lifecycle?: PromotionLifecycle) {
  const promotionPorts: PromotionPorts = { ...ports, ...lifecycle };
  return async (event: unknown): Promise<unknown> => {
    const input = parseInput(PromoteInput, event, "promote");
    if (input.action === "start") {
      const request = parsePromotionRequest(input.request);
      logger.info("promotion started", {
        promotionId: request.promotionId,
        environments: request.environments.map((environment) => environment.name),
      });
      await applyPromotionEvent(promotionPorts, request.promotionId, {
        type: "started",
        executionArn: input.executionArn,
        at: ports.clock().toISOString(),
      });
      return { environments: request.environments.length };
    }
    const context: RunContext = "environment" in input ? { environment: input.environment } : {};
    const transition = await applyPromotionEvent(
      promotionPorts,
      input.promotion.promotionId,
      await eventOf(ports, input),
      context,
    );
    if (transition.failure !== undefined) throw transition.failure;
    return outputOf(input, transition.output ?? {});
  };
}

async function eventOf(
  ports: Ports,
  input: Exclude<PromoteInput, { action: "start" }>,
): Promise<PromotionEvent> {
  const at = ports.clock().toISOString();
  switch (input.action) {
    case "enter":
      return { type: "entered", environment: input.environment.name, at };
    case "approved": {
      const firstWave = input.environment.waves[0]?.deploymentId ?? "";
      const gate = await ports.gates.get(firstWave, gateIdOf(PromotionApprovalPosition));
      return {
        type: "approved",
        environment: input.environment.name,
        by: gate?.decision?.actor ?? "unknown",
        at: gate?.decision?.at ?? at,
      };
    }
    case "check-freeze": {
      const freeze = activeFreeze(input.environment.freezeWindows, ports.clock());
      if (freeze !== undefined) {
        logger.info("promotion meets a freeze window", { environment: input.environment.name, ...freeze });
      }
      return {
        type: "freeze-checked",
        environment: input.environment.name,
        ...(freeze === undefined ? {} : { freeze }),
        onFreeze: input.environment.onFreeze,
        at,
      };
    }
    case "hook-ran":
      return {
        type: "hook-answered",
        environment: input.environment.name,
        stage: input.stage,
        ...hookAnswer(input.hook, input.output),
        at,
      };
    case "wave-ended":
      return {
        type: "wave-ended",
        environment: input.environment.name,
        deploymentId: input.deploymentId,
        at,
      };
    case "environment-promoted":
      return { type: "environment-succeeded", environment: input.environment.name, at };
    case "environment-failed": {
      const waves = [];
      for (const wave of input.environment.waves) {
        const deployment = await ports.deployments.get(wave.deploymentId);
        waves.push({
          deploymentId: wave.deploymentId,
          ...(deployment === undefined ? {} : { status: deployment.status }),
        });
      }
      return {
        type: "environment-failed",
        environment: input.environment.name,
        error: input.error.Error,
        reason: describeError(input.error),
        waves,
        at,
      };
    }
    case "finish":
      return {
        type: "finished",
        outcome: input.outcome,
        ...(input.error === undefined ? {} : { reason: describeError(input.error) }),
        at,
      };
  }
}

/** The state machine's view: an environment's failure answers with the hook configs to undo, newest first. */
function outputOf(
  input: Exclude<PromoteInput, { action: "start" }>,
  output: Readonly<Record<string, unknown>>,
) {
  if (input.action !== "environment-failed") return output;
  const names = Array.isArray(output.undo) ? output.undo.map(String) : [];
  return { frozen: output.frozen === true, undo: undoHooks(input.environment, names) };
}

function undoHooks(environment: PromotionEnvironment, names: readonly string[]) {
  return names.flatMap((name) => environment.preDeploy.filter((hook) => hook.name === name));
}
