import type { ServiceConfig } from "../../functions/domain/config/index.ts";
import { isLocalTarget } from "../../functions/domain/config/target-schema.ts";
import { configWaves } from "../../functions/domain/config/waves.ts";
import { logger } from "../../functions/shared/logger.ts";
import { loadConfig } from "../../infra/load-config.ts";
import {
  type DemoStrategyType,
  demoStrategyTypes,
  isDemoStrategyType,
  withDemoStrategy,
} from "../../local/demo-strategies.ts";
import {
  jsonSummary,
  progressPrinter,
  releaseJsonSummary,
  releaseSummary,
  summary,
} from "../../local/progress.ts";
import { runLocalRelease } from "../../local/release-runtime.ts";
import { runLocalDeployment } from "../../local/runtime.ts";
import { isScenarioName, type ScenarioName, scenarioNames } from "../../local/scenarios.ts";
import { livePage } from "../page/page-data.ts";
import { UsageError } from "../usage-error.ts";

export interface DemoOptions {
  readonly config: string;
  readonly service: string;
  readonly env?: string;
  readonly scenario: string;
  readonly speed: string;
  readonly rps: string;
  readonly json?: boolean;
  readonly autoApprove?: boolean;
  /** A positive integer, as typed. @default "1" */
  readonly pushes?: string;
  readonly concurrency?: string;
  /** Replaces every environment's strategy with the sample's of this type (feature-flag, experiment). */
  readonly strategy?: string;
  /** Releases the service together with the services it depends on. */
  readonly release?: boolean;
}

/**
 * What `npm start` runs: a real deployment of the sample service on this machine (see local/runtime.ts), with
 * a line per change while it runs and a summary at the end; `--json` puts the summary on the last line.
 * Ctrl-C stops the execution and everything it started.
 */
export async function demoCommand(options: DemoOptions, print: (line: string) => void): Promise<void> {
  const scenario = parseScenario(options.scenario);
  const speed = positive("--speed", options.speed, 1000);
  const rps = positive("--rps", options.rps, 1000);
  const pushes = positive("--pushes", options.pushes ?? "1", 10);
  if (!Number.isInteger(pushes))
    throw new UsageError(`--pushes must be a whole number, got '${options.pushes}'`);
  const concurrency = parseConcurrency(options.concurrency);
  const config = await loadConfig(options.config);
  const configured = config.services.find((candidate) => candidate.name === options.service);
  if (configured === undefined) {
    throw new UsageError(
      `no service '${options.service}' in ${options.config}; it has: ${config.services.map((s) => s.name).join(", ")}`,
    );
  }
  const functionWave = configWaves({ services: [configured] }).find(
    (wave) => wave.target.type === "local-lambda",
  );
  if (options.strategy !== undefined && functionWave !== undefined) {
    throw new UsageError(
      `--strategy ${options.strategy} releases the sample service's flag, and service '${configured.name}' is a Lambda function (${functionWave.environment} ${functionWave.region}), whose alias takes all-at-once, canary, linear or blue-green: leave --strategy out`,
    );
  }
  const chosen =
    options.strategy === undefined
      ? configured
      : withDemoStrategy(configured, parseStrategy(options.strategy));
  const released = options.release ? [chosen, ...dependenciesOf(chosen, config.services)] : [chosen];
  const remote = configWaves({ services: released }).find((wave) => !isLocalTarget(wave.target));
  if (remote !== undefined) {
    throw new UsageError(
      `service '${remote.service}' deploys ${remote.environment} ${remote.region} to ${remote.target.type}; the local demo needs services whose every target is local ({ type: "local" } or { type: "local-lambda" })`,
    );
  }
  if (options.release) {
    const others = (
      [
        ["--env", options.env],
        ["--strategy", options.strategy],
        ["--concurrency", options.concurrency],
        ["--pushes", pushes === 1 ? undefined : options.pushes],
      ] as const
    ).filter(([, value]) => value !== undefined);
    if (others.length > 0) {
      throw new UsageError(
        `--release walks every environment of the release's services once: leave out ${others.map(([flag]) => flag).join(", ")}`,
      );
    }
    if (released.length < 2) {
      throw new UsageError(
        `--release releases '${chosen.name}' with the services it depends on, and it depends on none: add dependsOn to it in ${options.config}`,
      );
    }
    await withInterrupt(async (signal) => {
      const result = await runLocalRelease({
        config,
        services: released,
        scenario,
        speed,
        rps,
        signal,
        autoApprove: options.autoApprove === true,
        page: livePage,
        onEvent: progressPrinter(print),
      });
      for (const line of releaseSummary(result)) print(line);
      if (options.json) print(releaseJsonSummary(result));
      if (result.status === "ABORTED") process.exitCode = 130;
    });
    return;
  }
  const service = chosen;
  const environment =
    options.env === undefined ? undefined : service.environments.find((e) => e.name === options.env);
  if (options.env !== undefined && environment === undefined) {
    throw new UsageError(
      `service '${service.name}' has no environment '${options.env}'; it has: ${service.environments.map((e) => e.name).join(", ")}`,
    );
  }
  await withInterrupt(async (signal) => {
    const result = await runLocalDeployment({
      config,
      service,
      ...(environment === undefined ? {} : { environments: [environment] }),
      scenario,
      speed,
      rps,
      signal,
      autoApprove: options.autoApprove === true,
      pushes,
      ...(concurrency === undefined ? {} : { concurrency }),
      page: livePage,
      onEvent: progressPrinter(print),
    });
    for (const line of summary(result)) print(line);
    if (options.json) print(jsonSummary(result));
    if (result.status === "ABORTED") process.exitCode = 130;
  });
}

/**
 * Runs a local run with Ctrl-C (and SIGTERM) stopping it, and its progress lines in place of the handlers'
 * JSON logs (problems still show).
 */
export async function withInterrupt(run: (signal: AbortSignal) => Promise<void>): Promise<void> {
  if (process.env.POWERTOOLS_LOG_LEVEL === undefined) logger.setLogLevel("WARN");
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  process.once("SIGINT", interrupt);
  process.once("SIGTERM", interrupt);
  try {
    await run(controller.signal);
  } finally {
    process.off("SIGINT", interrupt);
    process.off("SIGTERM", interrupt);
  }
}

/** Every service `service` depends on, directly or through another, each once, nearest first. */
function dependenciesOf(service: ServiceConfig, services: readonly ServiceConfig[]): ServiceConfig[] {
  const found: ServiceConfig[] = [];
  const queue = [...service.dependsOn];
  while (queue.length > 0) {
    const name = queue.shift() as string;
    const dependency = services.find((candidate) => candidate.name === name);
    if (dependency === undefined || found.includes(dependency) || dependency === service) continue;
    found.push(dependency);
    queue.push(...dependency.dependsOn);
  }
  return found;
}

function parseConcurrency(value: string | undefined): "queue" | "supersede" | undefined {
  if (value === undefined || value === "queue" || value === "supersede") return value;
  throw new UsageError(`--concurrency must be queue or supersede, got '${value}'`);
}

function parseStrategy(type: string): DemoStrategyType {
  if (!isDemoStrategyType(type))
    throw new UsageError(`--strategy takes one of ${demoStrategyTypes.join(", ")}, got '${type}'`);
  return type;
}

function parseScenario(name: string): ScenarioName {
  if (!isScenarioName(name))
    throw new UsageError(`unknown scenario '${name}'; known scenarios: ${scenarioNames.join(", ")}`);
  return name;
}

function positive(flag: string, value: string, max: number): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0 || number > max) {
    throw new UsageError(`${flag} must be a number above 0 and at most ${max}, got '${value}'`);
  }
  return number;
}
