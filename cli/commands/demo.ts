import { plan } from "../../functions/domain/planner.ts";
import { formatDuration } from "../format.ts";
import { loadConfig } from "../load-config.ts";

export interface DemoOptions {
  readonly config: string;
  readonly service: string;
}

/**
 * What `npm start` runs. The embedded runtime that deploys the sample service for real on this machine is not
 * built yet; until it is, the demo validates the sample config and shows the promotion it would run.
 */
export async function demoCommand(options: DemoOptions, print: (line: string) => void): Promise<void> {
  const config = await loadConfig(options.config);
  const service = config.services.find((candidate) => candidate.name === options.service);
  if (service === undefined)
    throw new Error(`the demo config ${options.config} has no service '${options.service}'`);
  print(`Glidepath demo: ${service.name} from ${options.config}`);
  for (const environment of service.environments) {
    const result = plan(environment.strategy);
    const weights = result.phases.map((phase) => `${phase.weight}%`).join(" → ");
    const gates = environment.approval.required
      ? `, approval by ${environment.approval.approvers.join(", ")}`
      : "";
    print(
      `  ${environment.name.padEnd(12)} ${result.strategy.padEnd(12)} ${weights}  (${formatDuration(result.totalSeconds)} of bakes${gates}) in ${environment.regions.join(", ")}`,
    );
  }
  print(
    "The local deployment runtime (real processes, weighted router, state machines on aws-local-stepfunctions)",
  );
  print("is not built yet: see the README's roadmap. `npx glidepath plan --help` explores strategies today.");
}
