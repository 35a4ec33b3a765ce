import { dynamoDbStores } from "../functions/adapters/aws/dynamodb-stores.ts";
import { LocalBus } from "../functions/adapters/local/local-bus.ts";
import { LocalTaskCallbacks } from "../functions/adapters/local/local-task-callbacks.ts";
import { experimentLine } from "../functions/adapters/log-notifier.ts";
import type { AlarmStateChange } from "../functions/domain/alarm-state-change.ts";
import type { EnvironmentConfig, GlidepathConfig, ServiceConfig } from "../functions/domain/config/index.ts";
import type { Decision, Deployment } from "../functions/domain/deployment.ts";
import type { DeploymentRequest } from "../functions/domain/deployment-request.ts";
import { describeExposure } from "../functions/domain/exposure.ts";
import type { Ports } from "../functions/domain/ports/index.ts";
import type { Notifier } from "../functions/domain/ports/notifier.ts";
import type { Promotion } from "../functions/domain/promotion/record.ts";
import { type PromotionRequest, promotionExecutionName } from "../functions/domain/promotion/request.ts";
import { type ReleaseRequest, releaseExecutionName } from "../functions/domain/release/request.ts";
import { ArtifactPublishedDetailType, DeployRequestedDetailType } from "../functions/domain/triggers.ts";
import type { PrepareOutput } from "../functions/handlers/deploy.ts";
import type { PromotionLifecycle } from "../functions/handlers/promote.ts";
import { createReleaseTriggerHandler, isReleasePublished } from "../functions/handlers/release-trigger.ts";
import { createRollbackHandler, isRollbackRequested } from "../functions/handlers/rollback.ts";
import { createTriggerHandler, type TriggerOutcome } from "../functions/handlers/trigger.ts";
import { pipelineTag, releasePipelineTag, type StepName } from "../statemachines/step-functions.ts";
import { type PageSource, startCallbackServer } from "./callback-server.ts";
import { LocalClouds } from "./clouds.ts";
import { deployThrough, describeOutcome } from "./deploy-requests.ts";
import { type LocalTable, startDynalite } from "./dynalite.ts";
import { type EnvironmentResult, environmentResults, NotPromoted } from "./environment-results.ts";
import { type Fleet, startFleet } from "./fleet.ts";
import { recordLive } from "./live-records.ts";
import { type RenderedStateMachine, renderStateMachines } from "./render-asl.ts";
import {
  type ExecutionEvent,
  type ExecutionResult,
  localExecutionArn,
  type NestedHandler,
  runExecution,
  type StepHandler,
} from "./run-execution.ts";
import { artifactDetail, artifactSource } from "./sample-artifacts.ts";
import { saveTable } from "./saved-table.ts";
import { scalePromotion, scaleRequest } from "./scale-request.ts";
import { newVersion, type ScenarioName } from "./scenarios.ts";
import { type LocalLifecycle, stepHandlers } from "./step-handlers.ts";
import { synthesizeTemplate } from "./synthesize.ts";
import { tableFromTemplate } from "./table-from-template.ts";

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
  /** The environments to promote through, in order. @default every environment of the service */
  readonly environments?: readonly EnvironmentConfig[];
  readonly scenario: ScenarioName;
  /** Time runs this many times faster than configured. */
  readonly speed: number;
  /** Requests per second the traffic generator sends through each environment's router. */
  readonly rps: number;
  readonly onEvent?: (event: RuntimeEvent) => void;
  readonly signal?: AbortSignal;
  /** Approve every approval gate as the local operator, for unattended runs. @default false */
  readonly autoApprove?: boolean;
  /** Artifacts published a second apart: the first is the new version, each next one a patch release. @default 1 */
  readonly pushes?: number;
  /** Overrides the service's `concurrency` (what a newer artifact does to a running promotion). */
  readonly concurrency?: ServiceConfig["concurrency"];
  /** What the run's live page shows (cli/page/page-data.ts); without it the endpoint serves no page. */
  readonly page?: (stores: ReturnType<typeof dynamoDbStores>) => PageSource;
  /** Told everything the terminal is told, after it (a Slack notifier, say). @default nobody else */
  readonly alsoNotify?: Notifier;
}

export interface LocalRunResult {
  readonly scenario: ScenarioName;
  /** Epoch ms at which the run began; every `at` is relative to it. */
  readonly startedAt: number;
  /** SUCCEEDED when every environment succeeded; otherwise the status of the environment it stopped in. */
  readonly status: string;
  readonly statusReason?: string;
  /** The pipeline execution. */
  readonly execution: ExecutionResult;
  /** The pipeline input of the last promotion that ran, whose results the fields below are. */
  readonly promotion: PromotionRequest;
  /** Every promotion the pushes made, in push order, as its record ended. */
  readonly promotions: readonly Promotion[];
  /** Every environment in promotion order. */
  readonly environments: readonly EnvironmentResult[];
  /** The deployment of the last environment the promotion reached (its last wave). */
  readonly deployment: Deployment;
  /** Of the last environment reached, as are the fields below. */
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
 * Promotes the new version of the sample service through its environments on this machine with the real state
 * machines: the pipeline's and the strategies' ASL read out of the synthesized stack and run on
 * aws-local-stepfunctions (each strategy as the pipeline's nested execution), the real step handlers with local
 * ports, state in dynalite, and per environment its own fleet: a weighted router, sample-service processes,
 * alarms over the router's metrics and real HTTP traffic, or for a function (`local-lambda`) the local Lambda
 * service with a process per version and invocations through its alias. Everything it starts is stopped
 * before it returns or throws.
 */
export async function runLocalDeployment(options: LocalRunOptions): Promise<LocalRunResult> {
  const service: ServiceConfig = {
    ...options.service,
    environments: [...(options.environments ?? options.service.environments)],
    concurrency: options.concurrency ?? options.service.concurrency,
  };
  // The config the trigger and the promote step read: the service as this run promotes it.
  const config: GlidepathConfig = {
    ...options.config,
    services: options.config.services.map((candidate) =>
      candidate.name === service.name ? service : candidate,
    ),
  };
  return runLocal({ ...options, config, scenarioOf: () => options.scenario }, (stack) =>
    promoteLocally(stack, options, service),
  );
}

/** What the local stack needs: the options both runs share, the run's config and each service's scenario. */
export interface StackOptions
  extends Pick<
    LocalRunOptions,
    "speed" | "rps" | "onEvent" | "signal" | "autoApprove" | "page" | "alsoNotify"
  > {
  /** The config as the run deploys it: what the trigger and the pipelines' steps read. */
  readonly config: GlidepathConfig;
  /** What the new version of each service does. */
  readonly scenarioOf: (service: string) => ScenarioName;
  /**
   * The version a wave's fleet starts with, when it is not the sample's live version (a rollback starts where
   * the last run left each environment). @default liveVersion
   */
  readonly liveVersionOf?: (place: {
    service: string;
    environment: string;
    region: string;
  }) => string | undefined;
  /**
   * Keeps every fleet of an environment while the run is in it (a release's services, and the restore that
   * goes back to the fleet it left); by default a fleet stops when the next wave's starts.
   */
  readonly keepEnvironmentFleets?: boolean;
}

/** The running local control plane, for a run to drive. */
export interface LocalStack {
  readonly started: number;
  readonly phase: (text: string) => void;
  readonly stores: ReturnType<typeof dynamoDbStores>;
  readonly bus: LocalBus;
  /** Every fleet started, in order. */
  readonly fleets: readonly Fleet[];
  readonly pids: ReadonlySet<number>;
  /** The promotion pipeline executions started, by name. */
  readonly launched: ReadonlyMap<string, { request: PromotionRequest; run: Promise<ExecutionResult> }>;
  /** The release pipeline executions started, by name. */
  readonly releases: ReadonlyMap<string, { request: ReleaseRequest; run: Promise<ExecutionResult> }>;
  /** Strategy executions started on their own (a rollback's), by name. */
  readonly strategies: ReadonlyMap<string, Promise<ExecutionResult>>;
  /** The run's state table, as stored. */
  readonly table: LocalTable;
  /** Shows this promotion (or deployment) on the run's page from now on. */
  readonly show: (id: string) => void;
}

/**
 * Starts the local control plane (the synthesized machines, dynalite, the bus and its rules, the callback
 * endpoint, a fleet per wave), lets `drive` run on it, and stops everything it started, however it ends.
 */
export async function runLocal<T>(
  options: StackOptions,
  drive: (stack: LocalStack) => Promise<T>,
): Promise<T> {
  const started = Date.now();
  const emit = (event: RuntimeEvent) => options.onEvent?.(event);
  const phase = (text: string) => emit({ kind: "phase", at: Date.now() - started, text });
  const cleanup: (() => Promise<unknown>)[] = [];
  const { config } = options;
  const serviceOf = (name: string): ServiceConfig => {
    const found = config.services.find((candidate) => candidate.name === name);
    if (found === undefined) throw new Error(`no service ${name} in the config`);
    return found;
  };
  try {
    phase("synthesizing the stack");
    const template = synthesizeTemplate(options.config);
    const machines = renderStateMachines(template as never);
    const pipelineMachine = machines.get(pipelineTag);
    const releaseMachine = machines.get(releasePipelineTag);
    if (pipelineMachine === undefined || releaseMachine === undefined)
      throw new Error("the stack has no promotion or release pipeline state machine");

    phase("starting dynalite with the table of the template");
    const tableDefinition = tableFromTemplate(template as never, "glidepath-local");
    const table = await startDynalite(tableDefinition);
    cleanup.push(() => table.close());
    const stores = dynamoDbStores({ client: table.client, tableName: table.tableName });

    const callbacks = new LocalTaskCallbacks();
    cleanup.push(async () => callbacks.clear());
    let resolveGate: (event: unknown) => Promise<unknown> = async () => undefined;
    let trigger: (event: unknown) => Promise<unknown> = async () => undefined;
    let releaseTrigger: (event: unknown) => Promise<unknown> = async () => undefined;
    let rollback: (event: unknown) => Promise<unknown> = async () => undefined;
    // The rules of the Glidepath bus: artifact and release events to the trigger, decisions and alarms to
    // resolve-gate.
    const bus = new LocalBus({
      account: localAccount,
      region: "local-1",
      deliver: (event) => {
        if (isReleasePublished(event)) return releaseTrigger(event);
        if (isRollbackRequested(event)) return rollback(event);
        const detailType = (event as { "detail-type"?: string })["detail-type"];
        return detailType === ArtifactPublishedDetailType || detailType === DeployRequestedDetailType
          ? trigger(event)
          : resolveGate(event);
      },
    });
    let shown: string | undefined;
    const page = options.page?.(stores);
    const callbackServer = await startCallbackServer({
      stores,
      bus,
      table: { endpoint: table.endpoint, tableName: table.tableName },
      // `glidepath deploy` from another terminal: the same trigger, through the bus, as on AWS.
      deploy: deployThrough(bus),
      ...(page === undefined ? {} : { page: (id: string | undefined) => page(id ?? shown) }),
    });
    cleanup.push(() => callbackServer.stop());
    // Runs first: the records outlive the run, for `glidepath status` once it has ended.
    cleanup.push(() => saveTable(table, tableDefinition));
    phase(
      `${page === undefined ? `decisions: ${callbackServer.url}` : `live page: ${callbackServer.pageUrl}`} (or \`npx glidepath pause|resume|promote|abort|approve|reject <deployment-id>\` from another terminal)`,
    );

    const pids = new Set<number>();
    const noFleet = () => {
      throw new Error("a strategy step ran outside a nested strategy execution");
    };
    const basePorts: Ports = {
      ...stores,
      callbacks,
      notifier: alsoNotifying(options.alsoNotify, {
        gateOpened: async (notice) => {
          phase(
            `gate open: ${notice.label} of ${notice.service} ${notice.version} (${notice.deploymentId}): ${notice.actions.join(" · ")} on ${callbackServer.pageUrl} or \`npx glidepath ${notice.actions[0] ?? "<action>"} ${notice.deploymentId}\``,
          );
          if (options.autoApprove && notice.kind === "approval") {
            phase(`auto-approving the ${notice.label}`);
            await callbackServer.decide(notice.deploymentId, notice.gateId, "approve");
          }
        },
        gateDecided: async (notice, decision) =>
          phase(`gate decided: ${notice.label}: ${decision.action} by ${decision.actor}`),
        promotionEnded: async (notice) => {
          phase(
            `promotion ${notice.outcome}${notice.outcome === "promoted" ? "" : ` in ${notice.environment}`}: ${notice.reason}`,
          );
          if (notice.exposure !== undefined) phase(`  exposure: ${describeExposure(notice.exposure)}`);
          phase(`  full report: npx glidepath report ${notice.promotionId} --format html --out report.html`);
        },
        experimentJudged: async (notice) => phase(experimentLine(notice)),
      }),
      account: localAccount,
      executionUrl: (arn) => `local execution ${arn}`,
      clock: () => new Date(),
      trafficRouter: noFleet,
      deployTarget: noFleet,
      healthSignals: noFleet,
    };

    const liveOf = (request: DeploymentRequest) => {
      const version = options.liveVersionOf?.({
        service: request.service,
        environment: request.environment,
        region: request.region,
      });
      return version === undefined ? {} : { liveVersion: version };
    };
    const startWaveFleet = async (environment: EnvironmentConfig, request: DeploymentRequest) => {
      const place = { account: request.account, region: request.region };
      const fleet = await startFleet({
        environment,
        deploymentId: request.deploymentId,
        target: request.target,
        place,
        service: serviceOf(request.service),
        scenario: options.scenarioOf(request.service),
        ...liveOf(request),
        speed: options.speed,
        rps: options.rps,
        phase,
        onAlarmChange: (change) => {
          emit({ kind: "alarm", at: Date.now() - started, change });
          // As CloudWatch puts the change on the default bus: an alarm into ALARM fails the open gate at once.
          bus
            .putAlarmChange(change, place)
            .catch((error: unknown) => phase(`alarm event not delivered: ${(error as Error).message}`));
        },
        onProcess: (pid) => {
          if (pids.has(pid)) return;
          pids.add(pid);
          const kind =
            request.target.type === "local-lambda"
              ? `function ${request.target.functionName}`
              : "sample-service";
          phase(`${kind} process ${pid} started`);
        },
      });
      cleanup.push(() => fleet.stop());
      return fleet;
    };

    const decisionsSeen = new Map<string, number>();
    const lastStatus = new Map<string, string>();
    const reportDecisions = async (id: string | undefined) => {
      if (id === undefined) return;
      const decisions = await stores.decisions.list(id);
      for (const decision of decisions.slice(decisionsSeen.get(id) ?? 0))
        emit({ kind: "decision", at: Date.now() - started, decision });
      decisionsSeen.set(id, decisions.length);
    };
    const reportNews = async (deploymentId: string) => {
      await reportDecisions(deploymentId);
      const record = await stores.deployments.get(deploymentId);
      // A wave waiting for its turn is no news.
      if (
        record !== undefined &&
        record.status !== "QUEUED" &&
        record.status !== lastStatus.get(deploymentId)
      ) {
        lastStatus.set(deploymentId, record.status);
        emit({
          kind: "status",
          at: Date.now() - started,
          status: record.status,
          ...(record.statusReason === undefined ? {} : { reason: record.statusReason }),
        });
      }
    };
    const deploymentOf = (event: unknown) =>
      typeof event === "object" &&
      event !== null &&
      "deploymentId" in event &&
      typeof event.deploymentId === "string"
        ? event.deploymentId
        : undefined;
    const observe =
      (step: StepName, handler: StepHandler, fleet?: Fleet): StepHandler =>
      async (event) => {
        const output = await handler(event);
        if (fleet !== undefined && step === "deploy" && (event as { action?: string }).action === "prepare") {
          fleet.newColour = (output as PrepareOutput).newColour;
        }
        if (fleet !== undefined && step === "deploy") fleet.notePids();
        // A shift that is still on its way (a flag deployment) moves nothing yet: it is looked at again.
        // Only changes: the watch window's phase shifts to the 100% the phase before it reached.
        const weight = (output as { weight?: number }).weight;
        if (
          fleet !== undefined &&
          step === "shift-traffic" &&
          (output as { settled?: boolean }).settled !== false &&
          weight !== undefined &&
          fleet.weightHistory.at(-1)?.new !== weight
        ) {
          fleet.weightHistory.push({ at: Date.now() - started, new: weight });
          emit({ kind: "weights", at: Date.now() - started, weights: { old: 100 - weight, new: weight } });
        }
        const deploymentId = deploymentOf(event) ?? deploymentOf((event as { request?: unknown }).request);
        if (deploymentId !== undefined && step !== "deploy" && step !== "shift-traffic")
          await reportNews(deploymentId);
        if (step === "promote") await reportDecisions(promotionOf(event));
        return output;
      };
    const promotionOf = (event: unknown) => {
      const { promotion, request } = event as {
        promotion?: { promotionId?: unknown };
        request?: { promotionId?: unknown };
      };
      const id = promotion?.promotionId ?? request?.promotionId;
      return typeof id === "string" ? id : undefined;
    };
    // The step handlers are built before the pipeline they start exists.
    let startPipeline: PromotionLifecycle["start"] = async () => {
      throw new Error("the local pipeline is not ready yet");
    };
    // A restore the release step resolves runs as fast as the rest of the run.
    const adjust = (request: DeploymentRequest) => scaleRequest(request, options.speed);
    const lifecycle: LocalLifecycle = { config, start: (request) => startPipeline(request), adjust };
    const observed = (ports: Ports, fleet?: Fleet) =>
      Object.fromEntries(
        Object.entries(stepHandlers(ports, lifecycle)).map(([step, handler]) => [
          step,
          observe(step as StepName, handler, fleet),
        ]),
      ) as Record<StepName, StepHandler>;
    const pipelineSteps = observed(basePorts);
    resolveGate = pipelineSteps["resolve-gate"];

    /** Every fleet started, one per wave, in order; the last one runs (the environment's, when kept). */
    const fleets: Fleet[] = [];
    /** The fleets kept, by environment, service and region. */
    const kept = new Map<string, Fleet>();
    const clouds = new LocalClouds();
    const children = new AbortController();
    cleanup.push(async () => children.abort());
    options.signal?.addEventListener("abort", () => children.abort(), { once: true });
    const nested: NestedHandler = async (start) => {
      const machine = [...machines.values()].find((candidate) =>
        start.StateMachineArn.endsWith(`:stateMachine:${candidate.name}`),
      );
      if (machine === undefined) throw new Error(`no state machine ${start.StateMachineArn} in the stack`);
      const request = start.Input as DeploymentRequest;
      const environment = serviceOf(request.service).environments.find(
        (candidate) => candidate.name === request.environment,
      );
      if (environment === undefined) throw new Error(`no environment ${request.environment}`);
      const fleet = await fleetFor(environment, request);
      clouds.add(request, fleet);
      const fleetPorts: Ports = { ...basePorts, ...clouds.ports };
      // A run without promotions (a release's, a rollback's): the page follows the deployment that started last.
      if (launched.size === 0) shown = request.deploymentId;
      phase(
        `${environment.name} ${request.region} (account ${request.account}): deploying ${request.artifact.version} with ${machine.name} (${start.Name})`,
      );
      return runExecution({
        machine,
        input: start.Input,
        executionName: start.Name,
        steps: observed(fleetPorts, fleet),
        callbacks,
        // Stopped with the pipeline, as Step Functions stops the child of a .sync task that ends.
        signal: children.signal,
        onEvent: stateEvents(machine),
      });
    };
    /**
     * One fleet at a time (the previous wave's is stopped; stopping twice is a no-op), or with
     * keepEnvironmentFleets every fleet of the environment, a wave of the same service and region going
     * back to its fleet.
     */
    const fleetFor = async (environment: EnvironmentConfig, request: DeploymentRequest) => {
      if (!options.keepEnvironmentFleets) {
        await fleets.at(-1)?.stop();
        const fleet = await startWaveFleet(environment, request);
        fleets.push(fleet);
        return fleet;
      }
      for (const [key, fleet] of kept) {
        if (key.startsWith(`${environment.name}/`)) continue;
        await fleet.stop();
        kept.delete(key);
      }
      const key = `${environment.name}/${request.service}/${request.region}`;
      const reused = kept.get(key);
      if (reused !== undefined) return reused;
      const fleet = await startWaveFleet(environment, request);
      fleets.push(fleet);
      kept.set(key, fleet);
      return fleet;
    };
    const stateEvents = (machine: RenderedStateMachine) => (event: ExecutionEvent) => {
      if (event.type === "StateEntered" && event.state !== undefined) {
        emit({
          kind: "state",
          at: Date.now() - started,
          state: event.state,
          type: machine.states[event.state] ?? "",
        });
      }
    };

    /** A pipeline execution: awaited by the run once it is out; until then a failure must not count as unhandled. */
    const launch = (machine: RenderedStateMachine, name: string, input: unknown) => {
      const run = runExecution({
        machine,
        input,
        executionName: name,
        steps: pipelineSteps,
        nested,
        callbacks,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        onEvent: stateEvents(machine),
      });
      run.catch(() => undefined);
      return run;
    };
    // StartExecution, as the trigger and the promote step call it: one execution per name, started once.
    const launched = new Map<string, { request: PromotionRequest; run: Promise<ExecutionResult> }>();
    const start = async (request: PromotionRequest) => {
      const scaled = scalePromotion(request, options.speed);
      const name = promotionExecutionName(scaled);
      if (!launched.has(name)) {
        phase(`starting the pipeline of ${scaled.service} ${scaled.artifact.version} (${name})`);
        // The page follows the promotion that started last.
        shown = scaled.promotionId;
        launched.set(name, { request: scaled, run: launch(pipelineMachine, name, scaled) });
      }
      return { executionArn: localExecutionArn(pipelineMachine.name, name) };
    };
    startPipeline = start;
    trigger = createTriggerHandler({
      ...basePorts,
      config,
      start,
      // As on AWS: the abort is a gate decision on the bus, which resolve-gate applies or refuses on its own.
      abort: async (deploymentId, { actor, reason }) => {
        await bus
          .putDecision({ deploymentId, action: "abort", actor, reason })
          .catch((error: unknown) => phase(`supersede abort not applied: ${(error as Error).message}`));
      },
    });

    // StartExecution of the release pipeline, as the trigger calls it: one execution per name.
    const releases = new Map<string, { request: ReleaseRequest; run: Promise<ExecutionResult> }>();
    releaseTrigger = createReleaseTriggerHandler({
      releases: stores.releases,
      config,
      clock: () => new Date(),
      adjust,
      startRelease: async (request) => {
        const name = releaseExecutionName(request);
        if (!releases.has(name)) {
          phase(`starting the release pipeline of ${request.name ?? request.releaseId} (${name})`);
          releases.set(name, { request, run: launch(releaseMachine, name, request) });
        }
        return { executionArn: localExecutionArn(releaseMachine.name, name) };
      },
    });
    // StartExecution of a strategy machine on its own (a rollback's), by name: started once.
    const strategies = new Map<string, Promise<ExecutionResult>>();
    rollback = createRollbackHandler({
      ...stores,
      config,
      adjust,
      startStrategy: async (strategy, name, request) => {
        const machine = machines.get(strategy);
        if (machine === undefined) throw new Error(`the stack has no ${strategy} state machine`);
        if (!strategies.has(name)) {
          const run = nested({
            StateMachineArn: `arn:aws:states:local-1:${localAccount}:stateMachine:${machine.name}`,
            Name: name,
            Input: request,
          });
          run.catch(() => undefined);
          strategies.set(name, run);
        }
        return { executionArn: localExecutionArn(machine.name, name) };
      },
    });
    const show = (id: string) => {
      shown = id;
    };
    return await drive({
      started,
      phase,
      stores,
      table,
      bus,
      fleets,
      pids,
      launched,
      releases,
      strategies,
      show,
    });
  } finally {
    for (const stop of cleanup.reverse()) await stop().catch(() => undefined);
  }
}

/** Publishes the pushes of the service and waits for every promotion they make to end. */
async function promoteLocally(
  stack: LocalStack,
  options: LocalRunOptions,
  service: ServiceConfig,
): Promise<LocalRunResult> {
  const { bus, phase, launched, stores, fleets, pids, started } = stack;
  const pushes = options.pushes ?? 1;
  // What the fleets start with, as an earlier promotion left it: `glidepath rollback` after the run goes back to it.
  await recordLive(stack, service);
  phase(
    `promoting ${service.name} ${pushVersion(0)}${pushes > 1 ? ` and ${pushes - 1} newer version(s)` : ""} through ${service.environments.map((environment) => environment.name).join(" → ")} (scenario ${options.scenario}, ${options.speed}x speed)`,
  );
  const promotionIds: string[] = [];
  for (let push = 0; push < pushes; push++) {
    if (push > 0) await new Promise((resolve) => setTimeout(resolve, pushIntervalMs));
    const outcomes = (await bus.put(
      artifactSource(service),
      ArtifactPublishedDetailType,
      artifactDetail(service, pushVersion(push)),
    )) as readonly TriggerOutcome[];
    for (const outcome of outcomes) {
      if (outcome.outcome === "ignored")
        throw new Error(`the trigger ignored the local push: ${outcome.reason}`);
      if (!promotionIds.includes(outcome.promotionId)) promotionIds.push(outcome.promotionId);
      phase(`pushed ${outcome.version}: ${describeOutcome(outcome)}`);
      phase(`  follow it from another terminal: npx glidepath status ${outcome.promotionId} --watch`);
    }
  }
  // Promotions that waited start when the one before them ends: wait until no execution is left running.
  const results = new Map<string, ExecutionResult>();
  while (results.size < launched.size) {
    for (const [name, { run }] of launched) if (!results.has(name)) results.set(name, await run);
  }
  const last = [...launched.values()].at(-1);
  if (last === undefined) throw new Error("no promotion was started");
  const promotion = last.request;
  const execution = results.get(promotionExecutionName(promotion)) ?? (await last.run);
  const promotions = [];
  for (const id of promotionIds) {
    const record = await stores.promotions.get(id);
    if (record === undefined) throw new Error(`promotion ${id} left no record`);
    promotions.push(record);
  }

  const environments = await environmentResults(promotion, stores.deployments, stores.decisions, fleets);
  const reached =
    environments.filter((environment) => environment.status !== NotPromoted).at(-1) ?? environments[0];
  if (reached === undefined) throw new Error("the promotion has no environment");
  const final =
    reached.deployment ??
    (await stores.deployments.get(promotion.environments[0]?.waves[0]?.deploymentId ?? ""));
  if (final === undefined)
    throw new Error(`the promotion ${promotion.promotionId} left no deployment record`);
  const promoted = execution.status === "SUCCEEDED";
  const stoppedReason = promoted ? final.statusReason : (reached.statusReason ?? execution.cause);
  return {
    scenario: options.scenario,
    startedAt: started,
    status: execution.status === "ABORTED" ? "ABORTED" : promoted ? "SUCCEEDED" : reached.status,
    ...(stoppedReason === undefined ? {} : { statusReason: stoppedReason }),
    execution,
    promotion,
    promotions,
    environments,
    deployment: final,
    weightHistory: reached.weightHistory,
    maxWeight: Math.max(0, ...reached.weightHistory.map((entry) => entry.new)),
    requests: reached.requests,
    errorsServedByNew: reached.errorsServedByNew,
    durationSeconds: Math.round((Date.now() - started) / 100) / 10,
    decisions: await stores.decisions.list(final.id),
    pids: [...pids],
  };
}

/** Pushes a second apart, as `--pushes` promises. */
const pushIntervalMs = 1000;

/** The version of the n-th push: the sample service's new version, then patch releases after it. */
function pushVersion(push: number): string {
  const [major, minor, patch] = newVersion.split(".").map(Number);
  return `${major}.${minor}.${(patch ?? 0) + push}`;
}

/** `notifier`, then `also` with the same notice, when there is one. */
function alsoNotifying(also: Notifier | undefined, notifier: Notifier): Notifier {
  if (also === undefined) return notifier;
  return {
    gateOpened: async (notice) => {
      await notifier.gateOpened(notice);
      await also.gateOpened(notice);
    },
    gateDecided: async (notice, decision, responseUrl) => {
      await notifier.gateDecided(notice, decision, responseUrl);
      await also.gateDecided(notice, decision, responseUrl);
    },
    promotionEnded: async (notice) => {
      await notifier.promotionEnded(notice);
      await also.promotionEnded(notice);
    },
    experimentJudged: async (notice) => {
      await notifier.experimentJudged(notice);
      await also.experimentJudged(notice);
    },
  };
}
