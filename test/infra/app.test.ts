import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigInvalidError } from "../../functions/domain/config/index.ts";
import { buildApp, DEFAULT_CONFIG_PATH } from "../../infra/app.ts";
import { loadConfigInput } from "../../infra/load-config.ts";
import { minimalConfigInput, useTestApps } from "../helpers/synth.ts";

/** Four problems in four places; the app must name all of them, not only the first. */
const invalidConfigInput = {
  services: [
    {
      name: "Checkout!",
      artifact: { type: "ecr" },
      target: { type: "local" },
      environments: [{ name: "dev", account: "123", region: "eu-west-1", strategy: "NoSuchPreset" }],
    },
  ],
};
const invalidPaths = [
  "services[0].name:",
  "services[0].artifact.repository:",
  "services[0].environments[0].account:",
  "services[0].environments[0].strategy:",
];

describe("buildApp", () => {
  const newApp = useTestApps();

  it("builds the Glidepath stack around the parsed config", () => {
    // Prepare
    const app = newApp();

    // Act
    const { stack } = buildApp(minimalConfigInput, { app });

    // Assess
    expect(stack.stackName).toBe("Glidepath");
    expect(stack.node.root).toBe(app);
    expect(stack.config.services[0]?.environments[0]).toMatchObject({ regions: ["eu-west-1"] });
  });

  it("synthesizes with cdk-nag enabled and no findings", () => {
    // Prepare
    const { app } = buildApp(minimalConfigInput, { app: newApp() });

    // Act
    const assembly = app.synth();

    // Assess
    expect(assembly.getStackByName("Glidepath").template).toHaveProperty("Resources");
  });

  it("synthesizes the sample config, the default config module", async () => {
    // Prepare
    const input = await loadConfigInput(DEFAULT_CONFIG_PATH);

    // Act
    const { app } = buildApp(input, { app: newApp(), source: DEFAULT_CONFIG_PATH });

    // Assess
    expect(() => app.synth()).not.toThrow();
  });

  it("fails synthesis on an unacknowledged cdk-nag finding", () => {
    // Prepare
    const { app, stack } = buildApp(minimalConfigInput, { app: newApp() });
    new Role(stack, "TooBroad", { assumedBy: new ServicePrincipal("lambda.amazonaws.com") }).addToPolicy(
      new PolicyStatement({ actions: ["dynamodb:*"], resources: [stack.table.tableArn] }),
    );

    // Act
    const synth = () => app.synth();

    // Assess
    expect(synth).toThrow("AwsSolutions-IAM5[Action::dynamodb:*]");
  });

  it("throws ConfigInvalidError naming every problem when the config is invalid", () => {
    // Prepare
    const app = newApp();

    // Act
    const build = () => buildApp(invalidConfigInput, { app, source: "bad.config.ts" });

    // Assess
    expect(build).toThrow(ConfigInvalidError);
    expect(build).toThrow(/^bad\.config\.ts is invalid \(4 problems\)/);
    for (const path of invalidPaths) expect(build).toThrow(path);
    expect(app.node.children).toHaveLength(0);
  });
});

describe("infra/app.ts, the CDK app entry point", () => {
  const appEntry = fileURLToPath(new URL("../../infra/app.ts", import.meta.url));
  const scratch = mkdtempSync(join(tmpdir(), "glidepath-app-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  /** Runs the app as `cdk synth` does: the project's Node, from the project root, assembly into CDK_OUTDIR. */
  const runApp = (env: Record<string, string>) => {
    const outdir = mkdtempSync(join(scratch, "cdk.out-"));
    const run = spawnSync(process.execPath, [appEntry], {
      cwd: fileURLToPath(new URL("../..", import.meta.url)),
      encoding: "utf8",
      env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: "{}", GLIDEPATH_CONFIG: "", ...env },
    });
    return { ...run, outdir };
  };
  const writeConfig = (name: string, input: unknown) => {
    const path = join(scratch, name);
    const json = JSON.stringify(input);
    writeFileSync(path, name.endsWith(".json") ? json : `export default ${json};\n`);
    return path;
  };

  it.each([
    ["module", "invalid.config.ts"],
    ["JSON file", "invalid.config.json"],
  ])("exits with code 1 and lists every problem of a config %s, without a stack trace", (_kind, name) => {
    // Prepare
    const configPath = writeConfig(name, invalidConfigInput);

    // Act
    const run = runApp({ GLIDEPATH_CONFIG: configPath });

    // Assess
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`${configPath} is invalid (4 problems)`);
    for (const path of invalidPaths) expect(run.stderr).toContain(path);
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });

  it("prefers the `config` context over GLIDEPATH_CONFIG", () => {
    // Prepare
    const fromContext = writeConfig("context.config.ts", invalidConfigInput);
    const fromEnv = writeConfig("env.config.ts", minimalConfigInput);

    // Act
    const run = runApp({
      CDK_CONTEXT_JSON: JSON.stringify({ config: fromContext }),
      GLIDEPATH_CONFIG: fromEnv,
    });

    // Assess
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`${fromContext} is invalid`);
  });

  it("exits with code 1 and says how to name another module when the config module cannot be loaded", () => {
    // Prepare
    const missing = join(scratch, "missing.config.ts");

    // Act
    const run = runApp({ GLIDEPATH_CONFIG: missing });

    // Assess
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      `${missing} is invalid (1 problem):\n  - (file): cannot be read: no such file`,
    );
    expect(run.stderr).toContain("-c config=<path>");
  });

  it("synthesizes the Glidepath stack from a valid config module", () => {
    // Prepare
    const configPath = writeConfig("valid.config.ts", minimalConfigInput);

    // Act
    const run = runApp({ GLIDEPATH_CONFIG: configPath });

    // Assess
    expect(run.stderr).not.toMatch(/error|warn/i);
    expect(run.status).toBe(0);
    const template = JSON.parse(readFileSync(join(run.outdir, "Glidepath.template.json"), "utf8"));
    expect(template.Outputs).toHaveProperty("EventBusArn");
    expect(template.Outputs).toHaveProperty("CanaryStateMachineArn");
  });
});
