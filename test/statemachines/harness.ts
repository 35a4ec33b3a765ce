import type { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { afterAll, afterEach, beforeAll } from "vitest";
import { awsPorts } from "../../functions/adapters/aws/ports.ts";
import { LocalBus } from "../../functions/adapters/local/local-bus.ts";
import { LocalTaskCallbacks } from "../../functions/adapters/local/local-task-callbacks.ts";
import { LineNotifier } from "../../functions/adapters/log-notifier.ts";
import type {
  GlidepathConfig,
  GlidepathConfigInput,
  StrategyType,
} from "../../functions/domain/config/index.ts";
import { Presets, parseConfig, type StrategyInput } from "../../functions/domain/config/index.ts";
import { resolveWaves } from "../../functions/domain/config/waves.ts";
import type { Deployment } from "../../functions/domain/deployment.ts";
import { type DeploymentRequest, deploymentRequest } from "../../functions/domain/deployment-request.ts";
import { ErrorNames } from "../../functions/domain/errors.ts";
import type { Gate } from "../../functions/domain/gates.ts";
import type { Ports } from "../../functions/domain/ports/index.ts";
import type { Stores } from "../../functions/domain/ports/stores.ts";
import { createResolveGateHandler } from "../../functions/handlers/resolve-gate.ts";
import { ControlPlaneStack } from "../../infra/stacks/control-plane-stack.ts";
import { type MachineKind, type RenderedStateMachine, renderStateMachines } from "../../local/render-asl.ts";
import { type ExecutionResult, type NestedHandler, runExecution } from "../../local/run-execution.ts";
import { stepHandlers } from "../../local/step-handlers.ts";
import { strategyTypes } from "../../statemachines/index.ts";
import { type LocalTable, startDynalite } from "../helpers/dynalite.ts";
import { account, ecsServices, listenerArn, targetGroups } from "../helpers/fake-aws.ts";
import { useTestApps } from "../helpers/synth.ts";

/** An environment's analysis settings, as a config gives them. */
type AnalysisInput = GlidepathConfigInput["services"][number]["environments"][number]["analysis"];

export const hookArn = `arn:aws:lambda:eu-west-1:${account}:function:checkout-smoke`;

/** The checkout service of the fake AWS account, deployed with `strategy` to production. */
export function configWith(
  strategy: StrategyInput,
  analysis: AnalysisInput = { intervalSeconds: 10, minRequests: 50 },
  target: GlidepathConfigInput["services"][number]["target"] = {
    type: "ecs",
    cluster: "shop",
    services: ecsServices,
    listenerArn,
    targetGroups,
  },
  /** More of the environment: its business metrics, say. */
  environment: Record<string, unknown> = {},
) {
  return parseConfig({
    services: [
      {
        name: "checkout",
        artifact: { type: "ecr", repository: "shop/checkout" },
        target,
        environments: [
          {
            name: "production",
            account,
            region: "eu-west-1",
            strategy,
            alarms: [{ name: "checkout-5xx" }],
            analysis,
            hooks: { smokeTest: [{ name: "smoke", function: hookArn, timeoutSeconds: 60 }] },
            ...environment,
          },
        ],
      },
    ],
  });
}

/** The strategy state machines, read out of the synthesized template as `cdk deploy` would send them. */
export function synthesizeMachines(app: App): Map<StrategyType, RenderedStateMachine> {
  const all = synthesizeAll(app, configWith(Presets.ECSAllAtOnce));
  return new Map(
    [...all].filter((entry): entry is [StrategyType, RenderedStateMachine] =>
      (strategyTypes as string[]).includes(entry[0]),
    ),
  );
}

/** Every state machine of the stack of `config`: the strategies and the two pipelines. */
export function synthesizeAll(app: App, config: GlidepathConfig): Map<MachineKind, RenderedStateMachine> {
  const stack = new ControlPlaneStack(app, "Glidepath", { config });
  return renderStateMachines(Template.fromStack(stack).toJSON() as never);
}

/**
 * The strategy state machines, synthesized once for the test file, and a dynalite table for its tests: read
 * `machines` and `table` inside tests (they exist once the file's `beforeAll` ran).
 */
export function useStrategyMachines(): {
  readonly machines: Map<StrategyType, RenderedStateMachine>;
  readonly table: LocalTable;
} {
  const apps = useTestApps();
  let machines: Map<StrategyType, RenderedStateMachine> | undefined;
  let table: LocalTable | undefined;
  beforeAll(async () => {
    machines = synthesizeMachines(apps());
    table = await startDynalite();
  });
  afterAll(async () => {
    await table?.close();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("the machines are synthesized before the file's tests");
    return value;
  };
  return {
    get machines() {
      return started(machines);
    },
    get table() {
      return started(table);
    },
  };
}

/** Fakes of AWS services that one test installs (anything with `restore`): restored after each test. */
export function useFakes(): <T extends { restore(): void }>(fake: T) => T {
  const installed: { restore(): void }[] = [];
  afterEach(() => {
    for (const fake of installed.splice(0)) fake.restore();
  });
  return (fake) => {
    installed.push(fake);
    return fake;
  };
}

/** What a test can touch while an execution runs: the bus humans and alarms use, and the state. */
export interface World {
  readonly bus: LocalBus;
  readonly resolveGate: (event: unknown) => Promise<unknown>;
  readonly stores: Stores;
  readonly deploymentId: string;
  /** Every line the notifier wrote. */
  readonly notices: string[];
}

/** Waits until the deployment's open gate is of `kind` (and, optionally, satisfies `where`), polling the store. */
export async function openGate(
  world: Pick<World, "stores" | "deploymentId">,
  kind: string,
  timeoutMs = 5000,
): Promise<Gate> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const gate = await world.stores.gates.getOpen(world.deploymentId);
    if (gate?.kind === kind) return gate;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no ${kind} gate opened within ${timeoutMs} ms`);
}

export interface Run {
  readonly result: ExecutionResult;
  readonly request: DeploymentRequest;
  readonly deployment: Deployment;
  readonly record: Deployment | undefined;
  /** States entered, in order. */
  readonly states: readonly string[];
  readonly notices: readonly string[];
}

let digestCounter = 0;

/** Creates the deployment record, then runs the strategy's state machine with the real step handlers. */
export async function deploy(props: {
  readonly machines: Map<StrategyType, RenderedStateMachine>;
  readonly table: LocalTable;
  readonly strategy: StrategyInput;
  readonly smokeTest?: (payload: unknown) => Promise<unknown>;
  readonly request?: (request: DeploymentRequest) => unknown;
  readonly analysis?: AnalysisInput;
  /** The service's target. @default the fake account's ECS service behind its ALB */
  readonly target?: Parameters<typeof configWith>[2];
  readonly environment?: Parameters<typeof configWith>[3];
  readonly approvers?: readonly string[];
  /** Wait overrides; by default every Wait state passes at once. */
  readonly waitMs?: number | Readonly<Record<string, number>>;
  /** Called once the execution runs, with the local bus and callbacks, to play humans and alarms. */
  readonly during?: (world: World) => Promise<void>;
}): Promise<Run> {
  const config = configWith(props.strategy, props.analysis, props.target, props.environment);
  const service = config.services[0];
  const environment = service?.environments[0];
  if (service === undefined || environment === undefined) throw new Error("bad test config");
  const machine = props.machines.get(environment.strategy.type);
  if (machine === undefined) throw new Error(`no ${environment.strategy.type} state machine`);
  const callbacks = new LocalTaskCallbacks();
  const notices: string[] = [];
  const ports: Ports = {
    ...awsPorts({
      tableName: props.table.tableName,
      documentClient: props.table.client,
      account,
      region: "eu-west-1",
    }),
    callbacks,
    notifier: new LineNotifier((line) => notices.push(line)),
  };
  const resolveGate = createResolveGateHandler(ports);
  const bus = new LocalBus({ account, region: "eu-west-1", deliver: resolveGate });
  digestCounter += 1;
  const digest = `sha256:${digestCounter.toString(16).padStart(64, "b")}`;
  const { deployment } = await ports.deployments.create({
    service: service.name,
    environment: environment.name,
    artifact: {
      uri: `${account}.dkr.ecr.eu-west-1.amazonaws.com/shop/checkout@${digest}`,
      digest,
      version: `1.${digestCounter}.0`,
    },
    strategy: environment.strategy.type,
  });
  const request = deploymentRequest({
    service,
    environment:
      props.approvers === undefined
        ? environment
        : { ...environment, approval: { ...environment.approval, approvers: [...props.approvers] } },
    wave: firstWave(service, environment),
    deployment,
    timing: { deployCheckSeconds: 5, deployMaxChecks: 3, shiftCheckSeconds: 5 },
  });
  const running = runExecution({
    machine,
    input: props.request === undefined ? request : props.request(request),
    executionName: `checkout-production-${deployment.id.slice(2, 10)}`,
    steps: { ...stepHandlers(ports), "resolve-gate": resolveGate },
    callbacks,
    ...(props.smokeTest === undefined
      ? {}
      : { invoke: async (_name: string, payload: unknown) => props.smokeTest?.(payload) }),
    waitMs: props.waitMs ?? 0,
    retryMs: 0,
  });
  const world: World = { bus, resolveGate, stores: ports, deploymentId: deployment.id, notices };
  const [result] = await Promise.all([running, props.during?.(world)]);
  return {
    result,
    request,
    deployment,
    record: await ports.deployments.get(deployment.id),
    states: result.events.filter((event) => event.type === "StateEntered").map((event) => event.state ?? ""),
    notices,
  };
}

/** The first region wave of an environment, as the config resolves it. */
export function firstWave(...args: Parameters<typeof resolveWaves>) {
  const wave = resolveWaves(...args)[0];
  if (wave === undefined) throw new Error("the environment has no wave");
  return wave;
}

/**
 * A nested strategy execution as a pipeline test's stand-in (the strategies have their own tests): it moves
 * the wave's deployment record as the strategy's record step would and ends as `outcome` says, a failure as
 * an alarm's rollback. `during` runs while the record is IN_PROGRESS.
 */
export async function standInStrategy(
  stores: Pick<Stores, "deployments">,
  start: Parameters<NestedHandler>[0],
  outcome: "SUCCEEDED" | "ROLLED_BACK",
  during: () => Promise<unknown> = async () => undefined,
): Promise<ExecutionResult> {
  const child = start.Input as DeploymentRequest;
  const arn = `arn:aws:states:local-1:000000000000:execution:${start.StateMachineArn.split(":").at(-1)}:${start.Name}`;
  await stores.deployments.transition(child.deploymentId, "IN_PROGRESS", { executionArn: arn });
  await during();
  if (outcome === "SUCCEEDED") {
    await stores.deployments.transition(child.deploymentId, "SUCCEEDED", {
      statusReason: "every phase passed",
    });
    return { status: "SUCCEEDED", output: {}, events: [], executionArn: arn };
  }
  await stores.deployments.transition(child.deploymentId, "ROLLING_BACK");
  await stores.deployments.transition(child.deploymentId, "ROLLED_BACK", {
    statusReason: `${ErrorNames.AlarmFired}: 5xx`,
  });
  return { status: "FAILED", error: ErrorNames.AlarmFired, cause: "5xx", events: [], executionArn: arn };
}

/** A "Glidepath Gate Decision" on the bus, as the CLI or the Slack endpoint puts it, from the fake account. */
export function decisionEvent(deploymentId: string, gateId: string, action: string, actor: string) {
  return {
    version: "0",
    id: "4a8f5e02-1c6b-4d5e-9f3a-0b2c7d8e9f10",
    "detail-type": "Glidepath Gate Decision",
    source: "glidepath.gates",
    account,
    time: new Date().toISOString(),
    region: "eu-west-1",
    resources: [],
    detail: { deploymentId, gateId, action, actor },
  };
}
