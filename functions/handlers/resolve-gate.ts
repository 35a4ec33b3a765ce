import { EventBridgeSchema } from "@aws-lambda-powertools/parser/schemas/eventbridge";
import { z } from "zod";
import {
  type AlarmStateChange,
  AlarmStateChangeDetailType,
  AlarmStateChangeSchema,
  AlarmStateChangeSource,
} from "../domain/alarm-state-change.ts";
import { DecisionAction, DeploymentIdSchema, DeploymentStatus, isTerminal } from "../domain/deployment.ts";
import { GateExpiredError, GateNotOpenError } from "../domain/errors.ts";
import {
  acceptsAction,
  type Gate,
  type GateAction,
  type GateDecision,
  GateDecisionDetailType,
  GateDecisionEventSchema,
  GateDecisionSource,
  gateActions,
  gateIdOf,
  type HumanAction,
  isHumanAction,
  mayDecide,
  resolutionOf,
} from "../domain/gates.ts";
import type { Ports } from "../domain/ports/index.ts";
import { logger } from "../shared/logger.ts";
import { parseInput } from "./schemas.ts";

const RingInput = z.object({
  action: z.literal("ring"),
  deploymentId: DeploymentIdSchema,
  gate: z.object({
    kind: z.enum(["bake", "approval", "pause"]),
    phaseIndex: z.number().int().min(0),
    resumes: z.number().int().min(0),
    elapsedSeconds: z.number().int().min(0),
  }),
});

export type ResolveOutcome =
  | {
      readonly outcome: "resolved";
      readonly deploymentId: string;
      readonly gateId: string;
      readonly action: GateAction;
    }
  | { readonly outcome: "held"; readonly deploymentId: string; readonly reason: string }
  | { readonly outcome: "rejected"; readonly reason: string }
  | { readonly outcome: "ignored"; readonly reason: string };

/**
 * Resolves gates. From the bus: a human's decision (Slack, CLI) or a CloudWatch alarm going into ALARM, which
 * fails the open gate of every deployment watching it at once. From the state machine: a gate's timer. The
 * first decision wins; every other input ends in a clear rejection and changes nothing.
 */
export function createResolveGateHandler(ports: Ports) {
  return async (event: unknown): Promise<ResolveOutcome | readonly ResolveOutcome[]> => {
    if (typeof event === "object" && event !== null && (event as { action?: unknown }).action === "ring") {
      return ring(ports, parseInput(RingInput, event, "resolve-gate"));
    }
    // Powertools' EventBridge envelope would hand back only the detail; the account and time matter here too.
    const envelope = EventBridgeSchema.safeParse(event);
    if (!envelope.success) return reject("not an EventBridge event nor a gate timer");
    const { account, region, source } = envelope.data;
    const detailType = envelope.data["detail-type"];
    if (source === GateDecisionSource && detailType === GateDecisionDetailType) {
      // Humans decide through the control plane's own account (Slack, the CLI); an alarm may come from any
      // target account, and reaches only the deployments that watch it there.
      if (account !== ports.account)
        return reject(`gate decision from account ${account}, not ${ports.account}: ignored`);
      const detail = GateDecisionEventSchema.safeParse(envelope.data.detail);
      if (!detail.success)
        return reject(
          `malformed gate decision: ${detail.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ")}`,
        );
      const { deploymentId, gateId, action, actor, reason, responseUrl } = detail.data;
      return decideGate(ports, {
        deploymentId,
        gateId,
        action,
        actor,
        at: envelope.data.time,
        reason,
        responseUrl,
        human: true,
      });
    }
    if (source === AlarmStateChangeSource && detailType === AlarmStateChangeDetailType) {
      const detail = AlarmStateChangeSchema.safeParse(envelope.data.detail);
      if (!detail.success) return reject("malformed CloudWatch Alarm State Change event");
      return alarm(ports, detail.data, { account, region }, envelope.data.time);
    }
    return reject(`unexpected event ${source} / ${detailType}`);
  };
}

async function ring(ports: Ports, input: z.output<typeof RingInput>): Promise<ResolveOutcome> {
  const gateId = gateIdOf(input.gate);
  const gate = await ports.gates.get(input.deploymentId, gateId);
  if (gate === undefined)
    throw new GateNotOpenError(`gate ${gateId} of ${input.deploymentId} is not open yet`);
  if (gate.status !== "open")
    return { outcome: "ignored", reason: `gate ${gateId} was decided before its timer rang` };
  return decideGate(ports, {
    deploymentId: input.deploymentId,
    gateId,
    gate,
    action: "timer",
    actor: "timer",
    at: ports.clock().toISOString(),
    human: false,
  });
}

async function alarm(
  ports: Ports,
  detail: AlarmStateChange,
  origin: { readonly account: string; readonly region: string },
  at: string,
): Promise<ResolveOutcome | readonly ResolveOutcome[]> {
  if (detail.state.value !== "ALARM")
    return { outcome: "ignored", reason: `${detail.alarmName} went to ${detail.state.value}, not ALARM` };
  const watching = await ports.alarmWatches.watching({ ...origin, name: detail.alarmName });
  if (watching.length === 0)
    return reject(
      `no deployment in progress watches alarm ${detail.alarmName} in account ${origin.account}, region ${origin.region}`,
    );
  return Promise.all(
    watching.map((deploymentId) =>
      decideGate(ports, {
        deploymentId,
        action: "alarm",
        actor: `alarm:${detail.alarmName}`,
        at,
        reason: detail.state.reason,
        human: false,
      }),
    ),
  );
}

export interface DecideInput {
  readonly deploymentId: string;
  readonly gateId?: string;
  /** The gate, when the caller has just read it. */
  readonly gate?: Gate;
  readonly action: GateAction;
  readonly actor: string;
  readonly at: string;
  readonly reason?: string;
  readonly responseUrl?: string;
  readonly human: boolean;
}

/**
 * Decides a gate: the first decision wins; the task is resolved, the decision logged and humans told. Also
 * used by open-gate for an abort that was asked for before the gate opened.
 */
export async function decideGate(ports: Ports, input: DecideInput): Promise<ResolveOutcome> {
  const gate: Gate | undefined =
    input.gate ??
    (input.gateId === undefined
      ? await ports.gates.getOpen(input.deploymentId)
      : await ports.gates.get(input.deploymentId, input.gateId));
  if (gate === undefined && input.human && input.gateId === undefined && isHumanAction(input.action)) {
    return hold(ports, input, input.action);
  }
  if (gate === undefined) {
    return input.gateId === undefined
      ? reject(
          `deployment ${input.deploymentId} has no open gate${input.action === "alarm" ? "; its next evaluation sees the alarm" : ""}`,
        )
      : reject(`unknown gate ${input.gateId} of deployment ${input.deploymentId}`);
  }
  if (gate.status !== "open") return reject(alreadyDecided(gate));
  if (!acceptsAction(gate, input.action)) {
    return reject(
      `a ${gate.kind} gate cannot be told to ${input.action}; it accepts ${gateActions(gate).join(", ")}`,
    );
  }
  if (input.human && !mayDecide(gate, input.actor)) {
    return reject(
      `${input.actor} is not an approver of this deployment (approvers: ${gate.approvers.join(", ")})`,
    );
  }
  const decision: GateDecision = {
    action: input.action,
    actor: input.actor,
    at: input.at,
    ...(input.reason === undefined ? {} : { reason: input.reason }),
  };
  const result = await ports.gates.decide(gate.deploymentId, gate.gateId, decision);
  if (!result.decided) {
    // The gate's timer won by an instant: the human meant the deployment's open gate, which is the next one.
    if (
      input.human &&
      input.gateId === undefined &&
      result.gate?.decision?.action === "timer" &&
      isHumanAction(input.action)
    )
      return hold(ports, input, input.action);
    return reject(result.gate === undefined ? `unknown gate ${gate.gateId}` : alreadyDecided(result.gate));
  }
  const resolution = resolutionOf(gate.kind, input.action, decision, gate.label);
  try {
    if (resolution.type === "success")
      await ports.callbacks.succeed(result.taskToken, { outcome: resolution.outcome });
    else await ports.callbacks.fail(result.taskToken, resolution.error, resolution.cause);
  } catch (error) {
    if (error instanceof GateExpiredError)
      return reject(`gate ${gate.gateId} expired before the decision: ${error.message}`);
    throw error;
  }
  if (input.action === "resume" || (gate.kind === "pause" && input.action === "promote")) {
    await ports.deployments.transition(gate.deploymentId, DeploymentStatus.InProgress, {
      currentStep: `${input.action === "resume" ? "Resumed" : "Promoted"} by ${input.actor}`,
    });
  }
  if (input.action !== "timer") {
    await ports.decisions.append({
      deploymentId: gate.deploymentId,
      id: `${gate.gateId}:${input.action}`,
      at: input.at,
      action: input.action === "alarm" ? DecisionAction.Rollback : input.action,
      actor: input.actor,
      reason:
        resolution.type === "failure"
          ? resolution.cause
          : `${input.actor} chose ${input.action} at the ${gate.label}`,
      values: {
        gate: gate.gateId,
        kind: gate.kind,
        action: input.action,
        ...(input.reason === undefined ? {} : { reason: input.reason }),
      },
    });
    logger.info("gate decided", {
      deploymentId: gate.deploymentId,
      gateId: gate.gateId,
      action: input.action,
      actor: input.actor,
    });
    const deployment = await ports.deployments.get(gate.deploymentId);
    if (deployment !== undefined) {
      const notice = {
        deploymentId: gate.deploymentId,
        gateId: gate.gateId,
        kind: gate.kind,
        label: gate.label,
        service: deployment.service,
        environment: deployment.environment,
        version: deployment.artifact.version,
        weights: deployment.weights,
        health: deployment.statusReason ?? deployment.currentStep ?? "",
        actions: [],
        executionUrl:
          deployment.executionArn === undefined ? "" : ports.executionUrl(deployment.executionArn),
        expiresAt: gate.expiresAt,
      };
      // The decision stands whatever happens to the message that reports it.
      await ports.notifier.gateDecided(notice, decision, input.responseUrl).catch((error: unknown) => {
        logger.warn("could not report the decision", {
          deploymentId: gate.deploymentId,
          gateId: gate.gateId,
          error,
        });
      });
    }
  }
  return { outcome: "resolved", deploymentId: gate.deploymentId, gateId: gate.gateId, action: input.action };
}

/**
 * A human decided while no gate was open: between two evaluations of a bake or a pause, or before the first
 * gate. The decision waits for the deployment's next gate, which applies it if it accepts it.
 */
async function hold(ports: Ports, input: DecideInput, action: HumanAction): Promise<ResolveOutcome> {
  const deployment = await ports.deployments.get(input.deploymentId);
  if (deployment === undefined || isTerminal(deployment.status)) {
    return reject(
      deployment === undefined
        ? `unknown deployment ${input.deploymentId}`
        : `deployment ${input.deploymentId} is ${deployment.status}: there is no gate to decide`,
    );
  }
  const held = await ports.gates.hold(input.deploymentId, {
    action,
    actor: input.actor,
    at: input.at,
    ...(input.reason === undefined ? {} : { reason: input.reason }),
    ...(input.responseUrl === undefined ? {} : { responseUrl: input.responseUrl }),
  });
  if (!held) return reject(`deployment ${input.deploymentId} already holds a decision for its next gate`);
  logger.info("decision held for the next gate", {
    deploymentId: input.deploymentId,
    action,
    actor: input.actor,
  });
  return {
    outcome: "held",
    deploymentId: input.deploymentId,
    reason: `no gate of ${input.deploymentId} is open this instant (between two evaluations): ${action} applies to its next gate`,
  };
}

function alreadyDecided(gate: Gate): string {
  return gate.decision === undefined
    ? `gate ${gate.gateId} is no longer open`
    : `gate ${gate.gateId} was already decided by ${gate.decision.actor} at ${gate.decision.at} (${gate.decision.action})`;
}

function reject(reason: string): ResolveOutcome {
  logger.warn("gate input rejected", { reason });
  return { outcome: "rejected", reason };
}
