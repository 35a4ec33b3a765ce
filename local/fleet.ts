import { FlagDeployTarget } from "../functions/adapters/flag-deploy-target.ts";
import { LocalFlagRouter } from "../functions/adapters/local/local-flag-router.ts";
import {
  LocalHealthSignals,
  variantMetricsSource,
} from "../functions/adapters/local/local-health-signals.ts";
import { LocalMetricStore } from "../functions/adapters/local/local-metric-store.ts";
import { LocalTrafficRouter } from "../functions/adapters/local/local-traffic-router.ts";
import { ProcessDeployTarget } from "../functions/adapters/local/process-deploy-target.ts";
import type { AlarmStateChange } from "../functions/domain/alarm-state-change.ts";
import type { EnvironmentConfig, ServiceConfig } from "../functions/domain/config/index.ts";
import type { WavePlace } from "../functions/domain/config/waves.ts";
import { variantOfColour } from "../functions/domain/flags.ts";
import type { Ports, TargetConfig } from "../functions/domain/ports/index.ts";
import type { Colour } from "../functions/domain/ports/traffic-router.ts";
import { startFlagStore } from "./flag-store.ts";
import { startFunctionFleet } from "./lambda-fleet.ts";
import { WeightedRouter } from "./router.ts";
import { behaviourOf, liveVersion, newVersion, type ScenarioName } from "./scenarios.ts";
import { startTraffic } from "./traffic.ts";

/**
 * One wave's own fleet: a router, the sample-service processes behind it, traffic and alarms; for a function,
 * the local Lambda service with its versions' processes (lambda-fleet.ts).
 */
export interface Fleet {
  readonly name: string;
  /** The wave deployed into it. */
  readonly deploymentId: string;
  readonly ports: Pick<Ports, "trafficRouter" | "deployTarget" | "healthSignals">;
  newColour?: Colour;
  readonly weightHistory: { at: number; new: number }[];
  /** Requests and 5xx each arm served so far: per colour behind the router, or per flag variant. */
  totals(): Record<Colour, { requests: number; errors: number }>;
  /** Reports the sample-service processes started since the last call. */
  notePids(): void;
  /** Stops everything it started; stopping twice is a no-op. */
  stop(): Promise<void>;
}

export interface FleetProps {
  readonly environment: EnvironmentConfig;
  readonly deploymentId: string;
  readonly service: ServiceConfig;
  /** The wave's own target, as the config resolves it. */
  readonly target: TargetConfig;
  /** The account and region this fleet's local cloud stands for. */
  readonly place: WavePlace;
  readonly scenario: ScenarioName;
  /** The version the fleet starts with on blue. @default liveVersion */
  readonly liveVersion?: string;
  /** Alarm periods run this many times faster. */
  readonly speed: number;
  /** Requests per second sent through the router. */
  readonly rps: number;
  readonly phase: (text: string) => void;
  /** Every alarm state change, as CloudWatch would put it on the default bus. */
  readonly onAlarmChange: (change: AlarmStateChange) => void;
  /** Each sample-service process id, as it is seen. */
  readonly onProcess: (pid: number) => void;
}

/**
 * Starts a wave's fleet: the live version on blue behind a weighted router, real HTTP traffic through it, and
 * the environment's alarm definitions evaluated with CloudWatch's semantics over the router's records.
 */
export async function startFleet(props: FleetProps): Promise<Fleet> {
  const stops: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const each of stops.reverse()) await each().catch(() => undefined);
    stops.length = 0;
  };
  try {
    return props.target.type === "local-lambda"
      ? await startFunctionFleet(props, props.target, stops, stop)
      : await start(props, stops, stop);
  } catch (error) {
    // Nothing it started outlives a fleet that could not start.
    await stop();
    throw error;
  }
}

async function start(
  props: FleetProps,
  stops: (() => Promise<unknown>)[],
  stop: () => Promise<void>,
): Promise<Fleet> {
  const { environment, service, phase } = props;
  const router = new WeightedRouter();
  const port = await router.start();
  stops.push(() => router.stop());
  const metricStore = new LocalMetricStore();
  const flag = props.target.type === "flag" ? props.target : undefined;
  // A feature-flag wave's cloud has its flag store: the rollout changes it, the processes ask it.
  const flagged = flag === undefined ? undefined : { rollout: flag, store: await startFlagStore() };
  if (flagged !== undefined) stops.push(() => flagged.store.stop());
  const local = flag === undefined ? props.target : flag.store;
  const target = new ProcessDeployTarget({
    entry: local.type === "local" ? local.entry : "examples/sample-service/server.ts",
    router,
    behaviourOf: behaviourOf(props.scenario),
    onRecord: (record) => metricStore.put(record),
    // Behind a flag, the new code path runs in the live processes and behaves as the scenario's new version.
    ...(flagged === undefined
      ? {}
      : {
          flag: {
            url: flagged.store.url,
            name: flagged.rollout.flag,
            treatment: behaviourOf(props.scenario)(newVersion),
          },
        }),
  });
  stops.push(() => target.stopAll());
  const notePids = () => {
    for (const pid of target.pids()) props.onProcess(pid);
  };
  const label = `${environment.name} ${props.place.region} (account ${props.place.account})`;
  phase(
    `${label}: starting ${service.name} ${props.liveVersion ?? liveVersion} on blue behind the router on http://127.0.0.1:${port}`,
  );
  await target.startLive("blue", props.liveVersion ?? liveVersion);
  notePids();
  router.setWeights({ blue: 100, green: 0 });
  const trafficRouter =
    flagged === undefined
      ? new LocalTrafficRouter(router)
      : new LocalFlagRouter({
          url: flagged.store.url,
          rollout: flagged.rollout,
          deploymentId: props.deploymentId,
        });
  if (flagged !== undefined)
    phase(`${label}: flag ${flagged.rollout.flag} in the local flag store on ${flagged.store.url}`);
  // A flag rollout runs nothing new: the live processes serve both variants.
  const deployTarget = flagged === undefined ? target : new FlagDeployTarget(flagged.rollout.flag);
  const variantOf = (colour: Colour) => variantOfColour[colour];
  const arms = flag === undefined ? router : variantMetricsSource(metricStore, flag.metrics, variantOf);
  const signals = new LocalHealthSignals({
    router: arms,
    metricStore,
    ...(flag === undefined ? {} : { variantOf }),
    timeScale: props.speed,
    onStateChange: props.onAlarmChange,
  });
  const alarmClock = setInterval(() => signals.tick(), 500);
  stops.push(async () => clearInterval(alarmClock));
  phase(`${label}: sending ${props.rps} requests/s through the router`);
  const traffic = startTraffic({ url: `http://127.0.0.1:${port}/`, rps: props.rps, maxSeconds: 3600 });
  stops.push(() => traffic.stop());
  return {
    name: environment.name,
    deploymentId: props.deploymentId,
    weightHistory: [],
    stop,
    notePids,
    totals: () => {
      if (flag === undefined) return router.totals();
      const all = { start: 0, end: Number.MAX_SAFE_INTEGER };
      const of = (colour: Colour) => {
        const metrics = arms.metrics(colour, all);
        return { requests: metrics.requests, errors: metrics.errors };
      };
      return { blue: of("blue"), green: of("green") };
    },
    ports: {
      trafficRouter: () => trafficRouter,
      deployTarget: () => deployTarget,
      healthSignals: () => signals,
    },
  };
}
