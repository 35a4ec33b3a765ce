import { createHash } from "node:crypto";
import { DynamoDbStateStore } from "../functions/adapters/aws/dynamodb-state-store.ts";
import { LocalBus } from "../functions/adapters/local/local-bus.ts";
import {
  type AlarmStateChange,
  LocalHealthSignals,
} from "../functions/adapters/local/local-health-signals.ts";
import { LocalTaskCallbacks } from "../functions/adapters/local/local-task-callbacks.ts";
import { LocalTrafficRouter } from "../functions/adapters/local/local-traffic-router.ts";
import { ProcessDeployTarget } from "../functions/adapters/local/process-deploy-target.ts";
import type { AlarmDefinition } from "../functions/domain/alarm-evaluation.ts";
import type { EnvironmentConfig, GlidepathConfig, ServiceConfig } from "../functions/domain/config/index.ts";
import type { Decision, Deployment } from "../functions/domain/deployment.ts";
import { type DeploymentRequest, deploymentRequest } from "../functions/domain/deployment-request.ts";
import { executionName } from "../functions/domain/execution-name.ts";
import type { Ports } from "../functions/domain/ports/index.ts";
import type { Colour } from "../functions/domain/ports/traffic-router.ts";
import type { PrepareOutput } from "../functions/handlers/deploy.ts";
import type { StepName } from "../statemachines/step-functions.ts";
import { startCallbackServer } from "./callback-server.ts";
import { startDynalite } from "./dynalite.ts";
import { renderStateMachines } from "./render-asl.ts";
import { WeightedRouter } from "./router.ts";
import {
  type ExecutionEvent,
  type ExecutionResult,
  runExecution,
  type StepHandler,
} from "./run-execution.ts";
import { scaleRequest } from "./scale-request.ts";
import { behaviourOf, liveVersion, newVersion, type ScenarioName } from "./scenarios.ts";
import { stepHandlers } from "./step-handlers.ts";
import { synthesizeTemplate } from "./synthesize.ts";
import { tableFromTemplate } from "./table-from-template.ts";
import { startTraffic } from "./traffic.ts";

/** The account the local bus stamps on events, and the only one resolve-gate accepts locally. */
const localAccount = "000000000000";

/** Everything the local run reports while it runs, for the progress printer. */
export type RuntimeEvent =
  | { readonly kind: "phase"; readonly at: number; readonly text: string }
  | { readonly kind: "state"; readonly at: number; readonly state: string; readonly type: string }
  | { readonly kind: "weights"; readonly at: number; readonly weights: { old: number; new: number } }
  | { readonly kind: "decision"; readonly at: number; readonly decision: Decision }
  | { readonly kind: "alarm"; readonly at: number; readonly change: AlarmStateChange }
  | { readonly kind: "status"; readonly at: number; readonly status: string; readonly reason?: string };

export interface LocalRunOptions {
  readonly config: GlidepathConfig;
  readonly service: ServiceConfig;
  readonly environment: EnvironmentConfig;
  readonly scenario: ScenarioName;
  /** Time runs this many times faster than configured. */
  readonly speed: number;
  /** Requests per second the traffic generator sends through the router. */
  readonly rps: number;
  readonly onEvent?: (event: RuntimeEvent) => void;
  readonly signal?: AbortSignal;
  /** Approve every approval gate as the local operator, for unattended runs. @default false */
  readonly autoApprove?: boolean;
}

export interface LocalRunResult {
  readonly scenario: ScenarioName;
  /** Epoch ms at which the run began; every `at` is relative to it. */
  readonly startedAt: number;
  readonly status: string;
  readonly statusReason?: string;
  readonly execution: ExecutionResult;
  readonly deployment: Deployment;
  readonly request: DeploymentRequest;
  /** Every weight the router was set to, in order, as the new version's share. */
  readonly weightHistory: readonly { readonly at: number; readonly new: number }[];
  readonly maxWeight: number;
  readonly requests: { readonly old: number; readonly new: number };
  readonly errorsServedByNew: number;
  readonly durationSeconds: number;
  readonly decisions: readonly Decision[];
  /** Process ids of the sample service processes that ran, to check none is left behind. */
  readonly pids: readonly number[];
}

/**
 * Deploys the new version of the sample service on this machine with the real state machine: the strategy's
 * ASL read out of the synthesized stack and run on aws-local-stepfunctions, the real step handlers with local
 * ports (weighted router, sample-service processes, alarms over the router's metrics), state in dynalite,
 * and real HTTP traffic throughout. Everything it starts is stopped before it returns or throws.
 */
export async function runLocalDeployment(options: LocalRunOptions): Promise<LocalRunResult> {
  const started = Date.now();
  const emit = (event: RuntimeEvent) => options.onEvent?.(event);
  const phase = (text: string) => emit({ kind: "phase", at: Date.now() - started, text });
  const cleanup: (() => Promise<unknown>)[] = [];
  try {
    phase("synthesizing the stack");
    const template = synthesizeTemplate(options.config);
    const machine = renderStateMachines(template as never).get(options.environment.strategy.type);
    if (machine === undefined)
      throw new Error(`the stack has no ${options.environment.strategy.type} state machine`);

    phase("starting dynalite with the table of the template");
    const table = await startDynalite(tableFromTemplate(template as never, "glidepath-local"));
    cleanup.push(() => table.close());
    const store = new DynamoDbStateStore({ client: table.client, tableName: table.tableName });

    const router = new WeightedRouter();
    const port = await router.start();
    cleanup.push(() => router.stop());
    const target = new ProcessDeployTarget({
      entry:
        options.service.target.type === "local"
          ? options.service.target.entry
          : "examples/sample-service/server.ts",
      router,
      behaviourOf: behaviourOf(options.scenario),
    });
    const pids = new Set<number>();
    cleanup.push(() => target.stopAll());
    phase(
      `starting ${options.service.name} ${liveVersion} on blue behind the router on http://127.0.0.1:${port}`,
    );
    await target.startLive("blue", liveVersion);
    const notePids = () => {
      for (const pid of target.pids()) {
        if (pids.has(pid)) continue;
        pids.add(pid);
        phase(`sample-service process ${pid} started`);
      }
    };
    notePids();
    router.setWeights({ blue: 100, green: 0 });

    let newColour: Colour | undefined;
    const callbacks = new LocalTaskCallbacks();
    cleanup.push(async () => callbacks.clear());
    let resolveGate: (event: unknown) => Promise<unknown> = async () => undefined;
    const bus = new LocalBus({
      account: localAccount,
      region: "local-1",
      deliver: (event) => resolveGate(event),
    });
    const callbackServer = await startCallbackServer({ store, bus });
    cleanup.push(() => callbackServer.stop());
    phase(
      `decisions: ${callbackServer.url} (or \`npx glidepath pause|resume|promote|abort|approve|reject <deployment-id>\` from another terminal)`,
    );
    const signals = new LocalHealthSignals({
      router,
      alarms: options.environment.alarms.filter(
        (alarm): alarm is AlarmDefinition => alarm.kind === "definition",
      ),
      newColour: () => newColour,
      timeScale: options.speed,
      onStateChange: (change) => {
        emit({ kind: "alarm", at: Date.now() - started, change });
        // As CloudWatch puts the change on the default bus: an alarm into ALARM fails the open gate at once.
        bus
          .putAlarmChange(change)
          .catch((error: unknown) => phase(`alarm event not delivered: ${(error as Error).message}`));
      },
    });
    const alarmClock = setInterval(() => signals.tick(), 500);
    cleanup.push(async () => clearInterval(alarmClock));

    phase(`sending ${options.rps} requests/s through the router`);
    const traffic = startTraffic({ url: `http://127.0.0.1:${port}/`, rps: options.rps, maxSeconds: 3600 });
    cleanup.push(() => traffic.stop());

    const localRouter = new LocalTrafficRouter(router);
    const ports: Ports = {
      store,
      callbacks,
      notifier: {
        gateOpened: async (notice) => {
          const links = notice.actions.map(
            (action) =>
              `${action} ${callbackServer.decideUrl(notice.deploymentId, notice.kind === "bake" ? undefined : notice.gateId, action)}`,
          );
          phase(
            `gate open: ${notice.label} of ${notice.service} ${notice.version} (${notice.deploymentId}): ${links.join(" · ")}`,
          );
          if (options.autoApprove && notice.kind === "approval") {
            phase(`auto-approving the ${notice.label}`);
            await callbackServer.decide(notice.deploymentId, notice.gateId, "approve");
          }
        },
        gateDecided: async (notice, decision) =>
          phase(`gate decided: ${notice.label}: ${decision.action} by ${decision.actor}`),
      },
      account: localAccount,
      executionUrl: (arn) => `local execution ${arn}`,
      clock: () => new Date(),
      trafficRouter: () => localRouter,
      deployTarget: () => target,
      healthSignals: () => signals,
    };
    const digest = `sha256:${createHash("sha256").update(`${options.service.name}:${newVersion}`).digest("hex")}`;
    const { deployment } = await store.createDeployment({
      service: options.service.name,
      environment: options.environment.name,
      artifact: { uri: `local://${options.service.name}@${digest}`, digest, version: newVersion },
      strategy: options.environment.strategy.type,
    });
    const request = scaleRequest(
      deploymentRequest({ service: options.service, environment: options.environment, deployment }),
      options.speed,
    );

    const weightHistory: { at: number; new: number }[] = [];
    const observe =
      (step: StepName, handler: StepHandler): StepHandler =>
      async (event) => {
        const output = await handler(event);
        if (step === "deploy" && (event as { action?: string }).action === "prepare") {
          newColour = (output as PrepareOutput).newColour;
        }
        if (step === "deploy") notePids();
        if (step === "shift-traffic") {
          const weight = (output as { weight: number }).weight;
          weightHistory.push({ at: Date.now() - started, new: weight });
          emit({ kind: "weights", at: Date.now() - started, weights: { old: 100 - weight, new: weight } });
        }
        if (step === "evaluate" || step === "record" || step === "resolve-gate" || step === "open-gate")
          await reportNews();
        return output;
      };
    let decisionsSeen = 0;
    let lastStatus = deployment.status as string;
    const reportNews = async () => {
      const decisions = await store.listDecisions(deployment.id);
      for (const decision of decisions.slice(decisionsSeen))
        emit({ kind: "decision", at: Date.now() - started, decision });
      decisionsSeen = decisions.length;
      const record = await store.getDeployment(deployment.id);
      if (record !== undefined && record.status !== lastStatus) {
        lastStatus = record.status;
        emit({
          kind: "status",
          at: Date.now() - started,
          status: record.status,
          ...(record.statusReason === undefined ? {} : { reason: record.statusReason }),
        });
      }
    };
    const steps = Object.fromEntries(
      Object.entries(stepHandlers(ports)).map(([step, handler]) => [
        step,
        observe(step as StepName, handler),
      ]),
    ) as Record<StepName, StepHandler>;
    resolveGate = steps["resolve-gate"];

    phase(
      `deploying ${newVersion} to ${options.environment.name} with ${machine.name} (scenario ${options.scenario}, ${options.speed}x speed)`,
    );
    const execution = await runExecution({
      machine,
      input: request,
      executionName: executionName({
        service: options.service.name,
        environment: options.environment.name,
        version: newVersion,
        deploymentId: deployment.id,
      }),
      steps,
      callbacks,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      onEvent: (event: ExecutionEvent) => {
        if (event.type === "StateEntered" && event.state !== undefined) {
          emit({
            kind: "state",
            at: Date.now() - started,
            state: event.state,
            type: machine.states[event.state] ?? "",
          });
        }
      },
    });
    await reportNews();

    const totals = router.totals();
    const served = (colour: Colour | undefined) =>
      colour === undefined ? { requests: 0, errors: 0 } : totals[colour];
    const oldColour: Colour = newColour === "blue" ? "green" : "blue";
    const final = (await store.getDeployment(deployment.id)) ?? deployment;
    return {
      scenario: options.scenario,
      startedAt: started,
      status: execution.status === "ABORTED" ? "ABORTED" : final.status,
      ...(final.statusReason === undefined ? {} : { statusReason: final.statusReason }),
      execution,
      deployment: final,
      request,
      weightHistory,
      maxWeight: Math.max(0, ...weightHistory.map((entry) => entry.new)),
      requests: { old: served(oldColour).requests, new: served(newColour).requests },
      errorsServedByNew: served(newColour).errors,
      durationSeconds: Math.round((Date.now() - started) / 100) / 10,
      decisions: await store.listDecisions(deployment.id),
      pids: [...pids],
    };
  } finally {
    for (const stop of cleanup.reverse()) await stop().catch(() => undefined);
  }
}
