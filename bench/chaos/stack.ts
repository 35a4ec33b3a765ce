import { dynamoDbStores } from "../../functions/adapters/aws/dynamodb-stores.ts";
import { LocalBus } from "../../functions/adapters/local/local-bus.ts";
import { LocalTaskCallbacks } from "../../functions/adapters/local/local-task-callbacks.ts";
import type { GlidepathConfig } from "../../functions/domain/config/index.ts";
import type { DeploymentRequest } from "../../functions/domain/deployment-request.ts";
import type { Ports } from "../../functions/domain/ports/index.ts";
import type { Stores } from "../../functions/domain/ports/stores.ts";
import { type PromotionRequest, promotionExecutionName } from "../../functions/domain/promotion/request.ts";
import { ArtifactPublishedDetailType } from "../../functions/domain/triggers.ts";
import { createTriggerHandler } from "../../functions/handlers/trigger.ts";
import { type LocalTable, startDynalite } from "../../local/dynalite.ts";
import { renderStateMachines } from "../../local/render-asl.ts";
import {
  type ExecutionResult,
  localExecutionArn,
  type NestedHandler,
  runExecution,
  type StepHandler,
} from "../../local/run-execution.ts";
import { stepHandlers } from "../../local/step-handlers.ts";
import { synthesizeTemplate } from "../../local/synthesize.ts";
import { tableFromTemplate } from "../../local/table-from-template.ts";
import { pipelineTag, type StepName } from "../../statemachines/step-functions.ts";
import { type Faults, faulty, injectDynamoFaults, serviceError } from "./faults.ts";
import { MemoryFleet } from "./fleet.ts";

export const chaosAccount = "000000000000";
export const chaosRegion = "eu-west-1";
export const chaosOperator = "chaos-operator";

/** Waits that poll or pause between stages pass at once; bakes and their timers run as configured. */
const waitMs = {
  "Wait for rollout": 0,
  "Wait before retiring": 0,
  "Wait for traffic shift": 0,
  "Wait for traffic back": 0,
  "Wait for old version": 0,
} as const;

/** Milliseconds between a Task's retries (Step Functions' are seconds): the same retries, sooner. */
const retryMs = 20;

/** EventBridge retries a failed delivery (for up to a day); the benchmark gives each event this many tries. */
const deliveryAttempts = 8;

/**
 * The control plane of the chaos benchmark: the synthesized pipeline and strategy machines on the local engine,
 * the real step handlers and trigger, dynalite, a bus whose deliveries are retried as EventBridge retries them,
 * and a fleet in memory per deployment. Faults are injected where the control plane meets AWS.
 */
export interface ChaosStack {
  readonly stores: Stores;
  readonly fleets: ReadonlyMap<string, MemoryFleet>;
  /** Every pipeline execution started, by name. */
  readonly pipelines: ReadonlyMap<string, Promise<ExecutionResult>>;
  /** Delivers an artifact event (its envelope as EventBridge built it) to the trigger, as the rule does. */
  publish(envelope: unknown): Promise<void>;
  /** Events the bus could not deliver after every retry, with why. */
  readonly undelivered: string[];
  /**
   * Resolves once no event is in flight and every pipeline (and what its end started) has ended, or after
   * `deadlineMs`: what has not ended by then is stuck, and the end state reports it as lost.
   */
  settle(deadlineMs: number): Promise<void>;
  close(): Promise<void>;
}

export async function startChaosStack(config: GlidepathConfig, faults: Faults): Promise<ChaosStack> {
  const template = synthesizeTemplate(config);
  const machines = renderStateMachines(template as never);
  const pipelineMachine = machines.get(pipelineTag);
  if (pipelineMachine === undefined) throw new Error("the stack has no promotion pipeline");
  const table: LocalTable = await startDynalite(tableFromTemplate(template as never, "chaos"));
  injectDynamoFaults(table.client, faults);
  const stores = dynamoDbStores({ client: table.client, tableName: table.tableName });

  const inFlight = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>) => {
    inFlight.add(work);
    work.then(
      () => inFlight.delete(work),
      () => inFlight.delete(work),
    );
  };
  const undelivered: string[] = [];
  const fleets = new Map<string, MemoryFleet>();
  const fleetOf = (deploymentId: string) => {
    let fleet = fleets.get(deploymentId);
    if (fleet === undefined) {
      fleet = new MemoryFleet();
      fleets.set(deploymentId, fleet);
    }
    return fleet;
  };

  /** SendTaskSuccess and SendTaskFailure, failing as often as the `callback` fault says, before they act. */
  class ChaosCallbacks extends LocalTaskCallbacks {
    override async succeed(taskToken: string, output: Record<string, unknown>): Promise<void> {
      if (faults.strike("callback")) throw serviceError("SFN SendTaskSuccess", true);
      return super.succeed(taskToken, output);
    }

    override async fail(taskToken: string, error: string, cause: string): Promise<void> {
      if (faults.strike("callback")) throw serviceError("SFN SendTaskFailure", false);
      return super.fail(taskToken, error, cause);
    }
  }
  const callbacks = new ChaosCallbacks();

  let trigger: (event: unknown) => Promise<unknown> = async () => undefined;
  let resolveGate: (event: unknown) => Promise<unknown> = async () => undefined;
  /** One delivery as EventBridge makes it: retried with backoff until it succeeds or the tries run out. */
  const deliverOnce = async (event: unknown) => {
    const detailType = (event as { "detail-type"?: string })["detail-type"];
    const target = detailType === ArtifactPublishedDetailType ? trigger : resolveGate;
    for (let attempt = 1; ; attempt++) {
      try {
        await target(event);
        return;
      } catch (error) {
        if (attempt === deliveryAttempts) {
          undelivered.push(`${detailType}: ${(error as Error).name}: ${(error as Error).message}`);
          return;
        }
        await sleep(10 * 2 ** attempt);
      }
    }
  };
  // At least once: a delivery is sometimes made twice, the second a moment after the first.
  const deliver = async (event: unknown) => {
    const first = deliverOnce(event);
    if (faults.strike("duplicate-event")) track(sleep(5).then(() => deliverOnce(event)));
    await first;
  };
  const bus = new LocalBus({ account: chaosAccount, region: chaosRegion, deliver });

  const killedOnce = new Set<string>();
  const ports: Ports = {
    ...stores,
    callbacks,
    account: chaosAccount,
    executionUrl: (arn) => arn,
    clock: () => new Date(),
    trafficRouter: (_target, access) =>
      faulty(fleetOf(access.deploymentId).trafficRouter, "elbv2", faults, "ELBv2"),
    deployTarget: (_target, access) =>
      faulty(fleetOf(access.deploymentId).deployTarget, "ecs", faults, "ECS"),
    healthSignals: (_target, access) =>
      faulty(fleetOf(access.deploymentId).healthSignals, "cloudwatch", faults, "CloudWatch"),
    notifier: {
      // The first bake gate of a deployment at a canary weight is where its new version may die, or a human
      // may decide (twice).
      gateOpened: async (notice) => {
        if (notice.kind !== "bake" || notice.weights.new === 0 || notice.weights.new === 100) return;
        if (killedOnce.has(notice.deploymentId)) return;
        killedOnce.add(notice.deploymentId);
        const fleet = fleetOf(notice.deploymentId);
        if (faults.strike("kill")) {
          fleet.killNewVersion();
          const now = new Date().toISOString();
          track(
            sleep(5).then(() =>
              bus.putAlarmChange(
                {
                  alarmName: `${notice.service}-5xx`,
                  state: {
                    value: "ALARM",
                    reason: "Threshold Crossed: the new version's 5xx",
                    timestamp: now,
                  },
                  previousState: { value: "OK", reason: "Threshold not crossed", timestamp: now },
                },
                { account: chaosAccount, region: chaosRegion },
              ),
            ),
          );
        } else if (faults.strike("decision-twice")) {
          const decision = {
            deploymentId: notice.deploymentId,
            gateId: notice.gateId,
            action: "promote" as const,
            actor: chaosOperator,
            reason: "looks good (posted twice)",
          };
          track(sleep(5).then(() => Promise.all([bus.putDecision(decision), bus.putDecision(decision)])));
        }
      },
      gateDecided: async () => undefined,
      promotionEnded: async () => undefined,
      experimentJudged: async () => undefined,
    },
  };

  /** A step that has done its work crashes before answering as often as `step-crash` says. */
  const crashing = (handlers: Record<StepName, StepHandler>): Record<StepName, StepHandler> =>
    Object.fromEntries(
      Object.entries(handlers).map(([name, handler]) => [
        name,
        async (event: unknown) => {
          const output = await handler(event);
          if (faults.strike("step-crash")) {
            throw Object.assign(new Error(`${name} crashed after its work (injected)`), {
              name: "Lambda.ServiceException",
            });
          }
          return output;
        },
      ]),
    ) as Record<StepName, StepHandler>;

  const pipelines = new Map<string, Promise<ExecutionResult>>();
  // Stops what is still running when the stack closes (a stuck execution's gate would wait 14 days).
  const stopping = new AbortController();
  const start = async (request: PromotionRequest) => {
    const name = promotionExecutionName(request);
    if (!pipelines.has(name)) {
      const run = runExecution({
        machine: pipelineMachine,
        input: request,
        executionName: name,
        steps,
        nested,
        callbacks,
        waitMs,
        retryMs,
        signal: stopping.signal,
      });
      run.catch(() => undefined);
      pipelines.set(name, run);
    }
    return { executionArn: localExecutionArn(pipelineMachine.name, name) };
  };
  const steps = crashing(stepHandlers(ports, { config, start }));
  const nested: NestedHandler = async (child) => {
    const machine = [...machines.values()].find((candidate) =>
      child.StateMachineArn.endsWith(`:stateMachine:${candidate.name}`),
    );
    if (machine === undefined) throw new Error(`no state machine ${child.StateMachineArn} in the stack`);
    fleetOf((child.Input as DeploymentRequest).deploymentId);
    return runExecution({
      machine,
      input: child.Input,
      executionName: child.Name,
      steps,
      callbacks,
      waitMs,
      retryMs,
      signal: stopping.signal,
    });
  };
  resolveGate = stepHandlers(ports)["resolve-gate"];
  trigger = createTriggerHandler({
    ...ports,
    config,
    start,
    abort: async (deploymentId, { actor, reason }) => {
      await bus.putDecision({ deploymentId, action: "abort", actor, reason });
    },
  });

  return {
    stores,
    fleets,
    pipelines,
    undelivered,
    publish: (envelope) => {
      const delivery = deliver(envelope);
      track(delivery);
      return delivery;
    },
    settle: async (deadlineMs) => {
      const deadline = Date.now() + deadlineMs;
      for (;;) {
        if (Date.now() > deadline) return;
        const pending = [...inFlight, ...pipelines.values()];
        const before = pipelines.size;
        await Promise.race([Promise.allSettled(pending), sleep(Math.max(0, deadline - Date.now()))]);
        if (inFlight.size === 0 && pipelines.size === before) return;
      }
    },
    close: async () => {
      stopping.abort();
      await table.close();
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
