import { describe, expect, it } from "vitest";
import { parseConfig } from "../../functions/domain/config/index.ts";
import { bundledConfig } from "../../functions/shared/bundled-config.ts";
import { bundledConfigDefine } from "../../infra/constructs/strategy-state-machines.ts";
import { minimalConfigInput } from "../helpers/synth.ts";

describe("bundledConfig", () => {
  it("parses what the synth defines, as esbuild would substitute it", () => {
    // Prepare
    const config = parseConfig(minimalConfigInput);
    const substituted = JSON.parse(
      bundledConfigDefine(config)["process.env.GLIDEPATH_CONFIG"] ?? "",
    ) as string;

    // Act
    const parsed = bundledConfig(substituted);

    // Assess
    expect(parsed).toEqual(config);
  });

  it("names the missing define when the function was bundled without the config", () => {
    expect(() => bundledConfig(undefined)).toThrow(/GLIDEPATH_CONFIG is not defined/);
  });

  it("rejects a config that does not parse", () => {
    expect(() => bundledConfig("{")).toThrow(/GLIDEPATH_CONFIG is not JSON/);
    expect(() => bundledConfig("{}")).toThrow(/not a parsed Glidepath config/);
  });
});
