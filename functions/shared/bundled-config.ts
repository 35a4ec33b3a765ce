import type { GlidepathConfig } from "../domain/config/index.ts";

/**
 * The parsed Glidepath config the stack was synthesized from. esbuild replaces `process.env.GLIDEPATH_CONFIG` with
 * its JSON at synth time (`bundling.define`), so it lives in the bundle, not in the function's environment
 * (Lambda allows 4 KB of variables). Outside a bundle the variable is read as usual, which is how tests set it.
 *
 * It is the *output* of `parseConfig`, validated at synth time, and is not parsed again: parsing is not
 * idempotent (presets expand, `region` becomes `regions`), so the output is no valid input. Only its shape is
 * checked here, so a function bundled with something else fails at cold start.
 */
export function bundledConfig(raw: string | undefined = process.env.GLIDEPATH_CONFIG): GlidepathConfig {
  if (raw === undefined || raw === "") {
    throw new Error(
      "GLIDEPATH_CONFIG is not defined: this function must be bundled with the config (GlidepathFunction `define`)",
    );
  }
  let config: unknown;
  try {
    config = JSON.parse(raw);
  } catch (error) {
    throw new Error(`GLIDEPATH_CONFIG is not JSON: ${(error as Error).message}`);
  }
  if (
    typeof config !== "object" ||
    config === null ||
    !("services" in config) ||
    !Array.isArray(config.services) ||
    !("notifications" in config)
  ) {
    throw new Error("GLIDEPATH_CONFIG is not a parsed Glidepath config (no services or notifications)");
  }
  return config as GlidepathConfig;
}
