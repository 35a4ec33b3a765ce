import { loadConfig } from "../../infra/load-config.ts";

/** Validates a config file; an invalid one throws `ConfigInvalidError` listing every problem. */
export async function validateCommand(
  options: { readonly config: string },
  print: (line: string) => void,
): Promise<void> {
  const config = await loadConfig(options.config);
  const environments = config.services.reduce((sum, service) => sum + service.environments.length, 0);
  print(`${options.config} is valid: ${config.services.length} service(s), ${environments} environment(s).`);
}
