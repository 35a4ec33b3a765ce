import type { StrategyConfig } from "../../functions/domain/config/index.ts";
import {
  isPresetName,
  Presets,
  presetNames,
  StrategyObjectSchema,
} from "../../functions/domain/config/index.ts";
import { resolveWaves } from "../../functions/domain/config/waves.ts";
import { plan } from "../../functions/domain/planner.ts";
import { loadConfig } from "../../infra/load-config.ts";
import { formatDuration, table } from "../format.ts";
import { UsageError } from "../usage-error.ts";
import { planReleaseCommand } from "./plan-release.ts";

export interface PlanOptions {
  readonly preset?: string;
  readonly config?: string;
  readonly service?: string;
  readonly env?: string;
  readonly json?: boolean;
  /** A release manifest to plan instead (see plan-release.ts). */
  readonly release?: string;
}

/** Prints the phases a deployment walks through; with `--json` the last line is the plan as JSON. */
export async function planCommand(options: PlanOptions, print: (line: string) => void): Promise<void> {
  if (options.release !== undefined) {
    if (options.preset !== undefined || options.service !== undefined || options.env !== undefined) {
      throw new UsageError("--release plans the whole release: give it with --config only");
    }
    return planReleaseCommand({ ...options, release: options.release }, print);
  }
  const { title, strategy, fleetSize, watchSeconds } = await resolveStrategy(options);
  const result = plan(strategy, { fleetSize, watchSeconds });
  if (options.json) {
    print(JSON.stringify(result));
    return;
  }
  let elapsed = 0;
  const rows = result.phases.map((phase, index) => {
    elapsed += phase.bakeSeconds;
    return [
      String(index + 1),
      `${phase.weight}%`,
      formatDuration(phase.bakeSeconds),
      phase.gates.includes("watch")
        ? "watch window (old version at full size)"
        : phase.gates.join(", ") || "-",
      formatDuration(elapsed),
    ];
  });
  print(`${title} (${result.strategy})`);
  print(table(["phase", "new version", "bake", "gates", "elapsed"], rows));
  const retire =
    result.retireAfterSeconds > 0
      ? `; old version retired ${formatDuration(result.retireAfterSeconds)} later`
      : "";
  print(
    `total: ${formatDuration(result.totalSeconds)} of bakes and analyses (approvals not counted)${retire}`,
  );
}

async function resolveStrategy(
  options: PlanOptions,
): Promise<{ title: string; strategy: StrategyConfig; fleetSize?: number; watchSeconds?: number }> {
  if (options.preset !== undefined) {
    if (options.config !== undefined) throw new UsageError("give either --preset or --config, not both");
    if (!isPresetName(options.preset)) {
      throw new UsageError(
        `unknown preset '${options.preset}'. Known presets:\n  ${presetNames.join("\n  ")}`,
      );
    }
    return { title: options.preset, strategy: StrategyObjectSchema.parse(Presets[options.preset]) };
  }
  if (options.config === undefined)
    throw new UsageError("give --preset NAME, or --config FILE --service S --env E");
  if (options.service === undefined || options.env === undefined) {
    throw new UsageError("--config needs --service and --env to choose which strategy to plan");
  }
  const config = await loadConfig(options.config);
  const service = config.services.find((candidate) => candidate.name === options.service);
  if (service === undefined) {
    throw new UsageError(
      `no service '${options.service}' in ${options.config}; it has: ${config.services.map((s) => s.name).join(", ")}`,
    );
  }
  const environment = service.environments.find((candidate) => candidate.name === options.env);
  if (environment === undefined) {
    throw new UsageError(
      `service '${service.name}' has no environment '${options.env}'; it has: ${service.environments.map((e) => e.name).join(", ")}`,
    );
  }
  const target = resolveWaves(service, environment)[0]?.target;
  const fleetSize = target !== undefined && "desiredCount" in target ? target.desiredCount : undefined;
  return {
    title: `${service.name} → ${environment.name}`,
    strategy: environment.strategy,
    watchSeconds: environment.watchSeconds,
    ...(fleetSize === undefined ? {} : { fleetSize }),
  };
}
