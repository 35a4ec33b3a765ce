import { readFile } from "node:fs/promises";
import { planRelease } from "../../functions/domain/release/manifest.ts";
import { lockOrder } from "../../functions/domain/release/record.ts";
import { type ReleaseEnvironmentRequest, releaseRequest } from "../../functions/domain/release/request.ts";
import { loadConfig } from "../../infra/load-config.ts";
import { formatDuration, table } from "../format.ts";
import { UsageError } from "../usage-error.ts";

export interface PlanReleaseOptions {
  readonly release: string;
  readonly config?: string;
  readonly json?: boolean;
}

/**
 * Prints what a release manifest would do against the config: its id, the order its locks are taken in, and
 * per environment its one approval and freeze check and its services in dependency groups. With `--json`
 * the last line is that as JSON. A manifest the config refuses throws ReleaseInvalidError (exit 2).
 */
export async function planReleaseCommand(
  options: PlanReleaseOptions,
  print: (line: string) => void,
): Promise<void> {
  if (options.config === undefined) throw new UsageError("--release needs --config FILE to plan against");
  const config = await loadConfig(options.config);
  const plan = planRelease(await readManifest(options.release), config);
  const request = releaseRequest({ plan, config });
  const summary = {
    releaseId: plan.releaseId,
    ...(plan.name === undefined ? {} : { name: plan.name }),
    locks: lockOrder(plan),
    environments: request.environments.map((environment) => ({
      name: environment.name,
      approval: environment.approval,
      freezeWindows: environment.freezeWindows.map((window) => window.name),
      onFreeze: environment.onFreeze,
      groups: environment.groups.map((group) =>
        group.map((service) => ({
          service: service.service,
          version: service.artifact.version,
          strategy: service.waves[0]?.request.strategy ?? "",
          waves: service.waves.length,
        })),
      ),
    })),
  };
  if (options.json) {
    print(JSON.stringify(summary));
    return;
  }
  print(`release ${plan.name ?? "(unnamed)"} (${plan.releaseId})`);
  print(`locks, taken in this order: ${summary.locks.join(", ")}`);
  for (const environment of request.environments) {
    print("");
    print(`${environment.name}: ${gates(environment)}`);
    print(
      table(
        ["group", "service", "version", "strategy", "waves"],
        environment.groups.flatMap((group, index) =>
          group.map((service) => [
            String(index + 1),
            service.service,
            service.artifact.version,
            service.waves[0]?.request.strategy ?? "",
            String(service.waves.length),
          ]),
        ),
      ),
    );
  }
}

function gates(environment: ReleaseEnvironmentRequest): string {
  const approval = environment.approval.required
    ? `approval by ${environment.approval.approvers.join(" or ")} within ${formatDuration(environment.approval.timeoutSeconds)}`
    : "no approval";
  const freeze =
    environment.freezeWindows.length === 0
      ? "no freeze window"
      : `freeze windows ${environment.freezeWindows.map((window) => window.name).join(", ")} (${environment.onFreeze === "wait" ? "waits" : "fails"} in one)`;
  return `${approval}; ${freeze}`;
}

/** The manifest file as JSON; a file that cannot be read or is not JSON is a UsageError naming it. */
export async function readManifest(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read the release manifest ${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`the release manifest ${file} is not JSON: ${(error as Error).message}`);
  }
}
