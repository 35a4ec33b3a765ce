import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { VariantEnvironmentVariable } from "../../domain/config/check-schema.ts";
import type {
  DeployTarget,
  PrepareInput,
  PrepareResult,
  TargetStatus,
} from "../../domain/ports/deploy-target.ts";
import type { Colour } from "../../domain/ports/traffic-router.ts";
import { stopProcess } from "./stop-process.ts";

/** How a version of the sample service behaves: the scenario decides it per version. */
export interface VersionBehaviour {
  readonly errorRate: number;
  readonly latencyMs: number;
  /** The version never passes its health check. */
  readonly unhealthy: boolean;
  /** Share of the requests it serves that convert (its business metric). */
  readonly conversionRate: number;
}

/** What the target needs of the local router: where each colour's process listens. */
export interface UpstreamSwitch {
  setUpstream(colour: Colour, url: string | undefined): void;
}

export interface ProcessDeployTargetProps {
  /** The sample service module, started with the project's Node as one process per colour. */
  readonly entry: string;
  readonly router: UpstreamSwitch;
  readonly behaviourOf: (version: string) => VersionBehaviour;
  /** Tasks the live colour runs at the start. @default 2 */
  readonly fleetSize?: number;
  /** Milliseconds a process may take to start listening. @default 10000 */
  readonly startTimeoutMs?: number;
  /** Every other JSON line a process writes (its EMF metric records), as a log agent would ship it. */
  readonly onRecord?: (record: unknown) => void;
  /**
   * The flag every process asks per request (the local cloud's flag store), and how the code path behind its
   * treatment behaves. @default no flag
   */
  readonly flag?: {
    readonly url: string;
    readonly name: string;
    readonly treatment: Pick<VersionBehaviour, "errorRate" | "latencyMs" | "conversionRate">;
  };
}

interface ColourState {
  version?: string;
  desiredCount: number;
  process?: ChildProcess;
  url?: string;
}

/**
 * DeployTarget on this machine: each colour is a real process of the sample service behind the weighted
 * router. One process stands for the colour's tasks; `desiredCount` is kept as ECS would report it, and a
 * colour scaled to 0 has no process at all.
 */
export class ProcessDeployTarget implements DeployTarget {
  readonly #props: ProcessDeployTargetProps;
  readonly #colours: Record<Colour, ColourState> = { blue: { desiredCount: 0 }, green: { desiredCount: 0 } };

  constructor(props: ProcessDeployTargetProps) {
    this.#props = props;
  }

  /** Starts the live version on a colour, as it would be running before Glidepath's first deployment. */
  async startLive(colour: Colour, version: string): Promise<void> {
    this.#colours[colour] = { version, desiredCount: this.#props.fleetSize ?? 2 };
    await this.#ensureRunning(colour);
  }

  /** The process ids of every colour's process, for the no-leftovers check. */
  pids(): number[] {
    return Object.values(this.#colours).flatMap((state) =>
      state.process?.pid === undefined ? [] : [state.process.pid],
    );
  }

  async prepare(input: PrepareInput): Promise<PrepareResult> {
    const state = this.#colours[input.colour];
    if (state.version !== input.version) {
      await this.#stop(input.colour);
      state.version = input.version;
    }
    state.desiredCount = input.desiredCount;
    await this.#ensureRunning(input.colour);
    return { revision: revision(input.version), desiredCount: input.desiredCount };
  }

  async scale(colour: Colour, desiredCount: number): Promise<void> {
    this.#colours[colour].desiredCount = desiredCount;
    await this.#ensureRunning(colour);
  }

  async status(colour: Colour): Promise<TargetStatus> {
    const state = this.#colours[colour];
    const healthy = state.url !== undefined && (await isHealthy(state.url));
    const running = state.process !== undefined && state.process.exitCode === null;
    const desiredCount = state.desiredCount;
    return {
      colour,
      ...(state.version === undefined ? {} : { revision: revision(state.version) }),
      desiredCount,
      runningCount: running ? desiredCount : 0,
      healthyTargets: healthy ? desiredCount : 0,
      unhealthyTargets: running && !healthy ? desiredCount : 0,
      stable: desiredCount === 0 || (running && healthy),
      failed: false,
      ...(desiredCount > 0 && !healthy
        ? { reason: `${colour} (${state.version ?? "nothing"}) does not pass its health check` }
        : {}),
    };
  }

  /** Stops every process; safe to call twice. */
  async stopAll(): Promise<void> {
    await Promise.all((["blue", "green"] as const).map((colour) => this.#stop(colour)));
  }

  async #ensureRunning(colour: Colour): Promise<void> {
    const state = this.#colours[colour];
    if (state.desiredCount === 0 || state.version === undefined) {
      await this.#stop(colour);
      return;
    }
    if (state.process !== undefined && state.process.exitCode === null) return;
    const behaviour = this.#props.behaviourOf(state.version);
    const args = [
      this.#props.entry,
      "--version",
      state.version,
      "--error-rate",
      String(behaviour.errorRate),
      "--latency-ms",
      String(behaviour.latencyMs),
      "--conversion-rate",
      String(behaviour.conversionRate),
      ...(behaviour.unhealthy ? ["--unhealthy"] : []),
      ...flagArgs(this.#props.flag),
    ];
    // As the ECS target sets it in the task definition: the arm the process tags its metrics with.
    const child = spawn(process.execPath, args, {
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, [VariantEnvironmentVariable]: colour },
    });
    state.process = child;
    const port = await listeningPort(child, this.#props.startTimeoutMs ?? 10_000, this.#props.onRecord);
    state.url = `http://127.0.0.1:${port}`;
    this.#props.router.setUpstream(colour, state.url);
  }

  async #stop(colour: Colour): Promise<void> {
    const state = this.#colours[colour];
    this.#props.router.setUpstream(colour, undefined);
    const child = state.process;
    state.process = undefined;
    state.url = undefined;
    if (child !== undefined) await stopProcess(child);
  }
}

const revision = (version: string) => `local:sample-service:${version}`;

async function isHealthy(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

function listeningPort(
  child: ChildProcess,
  timeoutMs: number,
  onRecord: (record: unknown) => void = () => undefined,
): Promise<number> {
  return new Promise((resolve, reject) => {
    if (child.stdout === null) {
      reject(new Error("the sample service has no stdout"));
      return;
    }
    const lines = createInterface({ input: child.stdout });
    const timer = setTimeout(() => {
      lines.close();
      reject(new Error(`the sample service did not start listening within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the sample service exited with code ${code} before listening`));
    });
    lines.on("line", (line) => {
      let event: { event?: string; port?: number };
      try {
        event = JSON.parse(line) as { event?: string; port?: number };
      } catch {
        return; // Not one of its JSON lines.
      }
      if (event.event === "listening" && typeof event.port === "number") {
        clearTimeout(timer);
        resolve(event.port);
      } else {
        onRecord(event);
      }
    });
  });
}

function flagArgs(flag: ProcessDeployTargetProps["flag"]): string[] {
  if (flag === undefined) return [];
  return [
    "--flag-url",
    flag.url,
    "--flag",
    flag.name,
    "--treatment-error-rate",
    String(flag.treatment.errorRate),
    "--treatment-latency-ms",
    String(flag.treatment.latencyMs),
    "--treatment-conversion-rate",
    String(flag.treatment.conversionRate),
  ];
}
