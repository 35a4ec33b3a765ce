import { LocalHealthSignals } from "../functions/adapters/local/local-health-signals.ts";
import { LocalMetricStore } from "../functions/adapters/local/local-metric-store.ts";
import { LocalTrafficRouter } from "../functions/adapters/local/local-traffic-router.ts";
import { ProcessDeployTarget } from "../functions/adapters/local/process-deploy-target.ts";
import type { AlarmStateChange } from "../functions/domain/alarm-state-change.ts";
import type { EnvironmentConfig, ServiceConfig } from "../functions/domain/config/index.ts";
import type { WavePlace } from "../functions/domain/config/waves.ts";
import type { Ports, TargetConfig } from "../functions/domain/ports/index.ts";
import type { Colour } from "../functions/domain/ports/traffic-router.ts";
import { WeightedRouter } from "./router.ts";
import { behaviourOf, liveVersion, type ScenarioName } from "./scenarios.ts";
import { startTraffic } from "./traffic.ts";

/** One wave's own fleet: a router, the sample-service processes behind it, traffic and alarms. */
export interface Fleet {
  readonly name: string;
  /** The wave deployed into it. */
  readonly deploymentId: string;
  readonly ports: Pick<Ports, "trafficRouter" | "deployTarget" | "healthSignals">;
  readonly router: WeightedRouter;
  newColour?: Colour;
  readonly weightHistory: { at: number; new: number }[];
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
    return await start(props, stops, stop);
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
  const target = new ProcessDeployTarget({
    entry: props.target.type === "local" ? props.target.entry : "examples/sample-service/server.ts",
    router,
    behaviourOf: behaviourOf(props.scenario),
    onRecord: (record) => metricStore.put(record),
  });
  stops.push(() => target.stopAll());
  const notePids = () => {
    for (const pid of target.pids()) props.onProcess(pid);
  };
  const label = `${environment.name} ${props.place.region} (account ${props.place.account})`;
  phase(
    `${label}: starting ${service.name} ${liveVersion} on blue behind the router on http://127.0.0.1:${port}`,
  );
  await target.startLive("blue", liveVersion);
  notePids();
  router.setWeights({ blue: 100, green: 0 });
  const localRouter = new LocalTrafficRouter(router);
  let newColour: Colour | undefined;
  const signals = new LocalHealthSignals({
    router,
    metricStore,
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
    router,
    weightHistory: [],
    stop,
    notePids,
    get newColour() {
      return newColour;
    },
    set newColour(colour) {
      newColour = colour;
    },
    ports: {
      trafficRouter: () => localRouter,
      deployTarget: () => target,
      healthSignals: () => signals,
    },
  };
}
