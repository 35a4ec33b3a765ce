import { z } from "zod";
import { DeploymentIdSchema, DeploymentStatus } from "../domain/deployment.ts";
import {
  acceptsAction,
  type Gate,
  gateActions,
  gateIdOf,
  gateLabel,
  heldDecisionSeconds,
} from "../domain/gates.ts";
import type { Ports } from "../domain/ports/index.ts";
import { SupersedeActor } from "../domain/promotion/arrival.ts";
import { logger } from "../shared/logger.ts";
import { decideGate } from "./resolve-gate.ts";
import { parseInput } from "./schemas.ts";

const OpenGateInput = z.object({
  taskToken: z.string().min(1),
  deploymentId: DeploymentIdSchema,
  executionArn: z.string().min(1),
  gate: z.object({
    kind: z.enum(["bake", "approval", "pause"]),
    phaseIndex: z.number().int().min(0),
    resumes: z.number().int().min(0),
    elapsedSeconds: z.number().int().min(0),
    weight: z.number().int().min(0).max(100),
    /** The bake's first wait ends at `waitSeconds`: that gate is the one humans hear about. */
    waitSeconds: z.number().int().min(0).optional(),
  }),
  approvers: z.array(z.string()),
  service: z.string().min(1),
  environment: z.string().min(1),
  version: z.string().min(1),
  /** How humans read the gate when its position says too little (the pipeline's promotion gate). */
  label: z.string().min(1).optional(),
});

/** Gates stop accepting decisions with their execution, which Step Functions ends after 14 days. */
const maxGateSeconds = 14 * 86_400;

/**
 * Runs as a waitForTaskToken task: keeps the gate and its token in the state store, marks a pause PAUSED,
 * applies a human's decision held since the previous gate, and tells humans (every approval, the first gate
 * of each pause, and the first wait of each bake). Its return value is ignored: the task ends when
 * resolve-gate decides. The token is never logged, returned or sent anywhere.
 */
export function createOpenGateHandler(ports: Ports) {
  return async (event: unknown): Promise<{ readonly gateId: string }> => {
    const input = parseInput(OpenGateInput, event, "open-gate");
    const now = ports.clock();
    const gateId = gateIdOf(input.gate);
    const label = input.label ?? gateLabel(input.gate, input.gate.weight);
    const gate: Gate = {
      deploymentId: input.deploymentId,
      gateId,
      kind: input.gate.kind,
      approvers: input.approvers,
      openedAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + maxGateSeconds * 1000).toISOString(),
      status: "open",
      label,
    };
    await ports.gates.open(gate, input.taskToken);
    // A pause is a gate per evaluation interval: the first marks the deployment PAUSED and tells humans.
    const deployment = await ports.deployments.get(input.deploymentId);
    const newPause = gate.kind === "pause" && deployment?.status !== DeploymentStatus.Paused;
    if (newPause) {
      await ports.deployments.transition(input.deploymentId, DeploymentStatus.Paused, {
        currentStep: `Paused at ${input.gate.weight}%`,
      });
    }
    // A newer artifact asked this deployment's promotion to stop while no gate was open to hear it.
    const abort = await pendingAbort(ports, deployment?.promotionId);
    if (abort !== undefined) {
      await decideGate(ports, {
        deploymentId: input.deploymentId,
        gate,
        action: "abort",
        actor: SupersedeActor,
        at: now.toISOString(),
        reason: abort,
        human: false,
      });
      return { gateId };
    }
    // A human decided in the instant between the previous gate and this one.
    const held = await ports.gates.takeHeld(input.deploymentId);
    if (held !== undefined) {
      const fresh = now.getTime() - Date.parse(held.at) <= heldDecisionSeconds * 1000;
      if (fresh && acceptsAction(gate, held.action)) {
        await decideGate(ports, { deploymentId: input.deploymentId, gate, ...held, human: true });
        return { gateId };
      }
      logger.warn("held decision dropped", {
        deploymentId: input.deploymentId,
        gateId,
        action: held.action,
        actor: held.actor,
        why: fresh ? `a ${gate.kind} gate does not accept it` : `older than ${heldDecisionSeconds}s`,
      });
    }
    const first = input.gate.resumes === 0 && input.gate.elapsedSeconds === input.gate.waitSeconds;
    if (gate.kind === "approval" || newPause || (gate.kind === "bake" && first)) {
      const decisions = await ports.decisions.list(input.deploymentId);
      await ports.notifier.gateOpened({
        deploymentId: input.deploymentId,
        gateId,
        kind: gate.kind,
        label,
        service: input.service,
        environment: input.environment,
        version: input.version,
        weights: { old: 100 - input.gate.weight, new: input.gate.weight },
        health: decisions.at(-1)?.reason ?? "no evaluation yet",
        actions: gateActions(gate),
        executionUrl: ports.executionUrl(input.executionArn),
        expiresAt: gate.expiresAt,
      });
    }
    return { gateId };
  };
}

/** The reason of the abort requested of the deployment's promotion, if one was. */
async function pendingAbort(ports: Ports, promotionId: string | undefined): Promise<string | undefined> {
  if (promotionId === undefined) return undefined;
  return (await ports.promotions.get(promotionId))?.abortRequested?.reason;
}
