import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const fixture = (name: string) => `test/fixtures/config/${name}`;

async function glidepath(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ["cli/main.ts", ...args], {
      cwd: root,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** `glidepath plan` of the spring-sale release manifest against its config. */
const planSpringSale = (...extra: string[]) =>
  glidepath(
    "plan",
    "--config",
    "test/fixtures/release/config.json",
    "--release",
    "test/fixtures/release/spring-sale.json",
    ...extra,
  );

const lastLine = (text: string) => text.trimEnd().split("\n").at(-1) ?? "";

describe("glidepath CLI", () => {
  it("plan --preset --json prints the schedule as JSON on the last line", async () => {
    // Act
    const { code, stdout } = await glidepath("plan", "--preset", "ECSCanary10Percent5Minutes", "--json");

    // Assess
    expect(code).toBe(0);
    expect(JSON.parse(lastLine(stdout))).toMatchObject({
      phases: [
        { weight: 10, bakeSeconds: 300 },
        { weight: 100, bakeSeconds: 0 },
      ],
      totalSeconds: 300,
    });
  });

  it("plan prints a readable table", async () => {
    // Act
    const { code, stdout } = await glidepath("plan", "--preset", "ECSLinear10PercentEvery1Minutes");

    // Assess
    expect(code).toBe(0);
    expect(stdout).toContain("ECSLinear10PercentEvery1Minutes (linear)");
    expect(stdout).toMatch(/^9\s+90%\s+1m\s+-\s+9m$/m);
    expect(stdout).toContain("total: 9m");
  });

  it("plan --config --service --env plans that environment's strategy", async () => {
    // Act
    const { code, stdout } = await glidepath(
      "plan",
      "--config",
      fixture("valid.json"),
      "--service",
      "payments",
      "--env",
      "staging",
      "--json",
    );

    // Assess
    expect(code).toBe(0);
    expect(JSON.parse(lastLine(stdout)).phases.map((p: { weight: number }) => p.weight)).toEqual([
      33, 67, 100,
    ]);
  });

  it("plan with an unknown preset exits 2 listing the known presets", async () => {
    // Act
    const { code, stderr } = await glidepath("plan", "--preset", "ECSCanary99");

    // Assess
    expect(code).toBe(2);
    expect(stderr).toContain("unknown preset 'ECSCanary99'");
    expect(stderr).toContain("ECSCanary10Percent5Minutes");
    expect(stderr).toContain("LambdaLinear10PercentEvery10Minutes");
  });

  it("plan --release --json prints the release's locks, one gate per environment and its services in dependency groups", async () => {
    // Act
    const { code, stdout } = await planSpringSale("--json");

    // Assess
    expect(code).toBe(0);
    const plan = JSON.parse(lastLine(stdout));
    expect(plan).toMatchObject({ releaseId: expect.stringMatching(/^r-[0-9a-f]{20}$/), name: "spring-sale" });
    expect(plan.locks).toEqual(["orders", "payments"]);
    expect(plan.environments[1]).toEqual({
      name: "production",
      approval: { required: true, approvers: ["U024BE7LH", "U0PAYMENTS"], timeoutSeconds: 3600 },
      freezeWindows: ["year-end"],
      onFreeze: "wait",
      groups: [
        [{ service: "payments", version: "1.7.0", strategy: "linear", waves: 1 }],
        [{ service: "orders", version: "2.0.0", strategy: "canary", waves: 1 }],
      ],
    });
  });

  it("plan --release prints each environment's gates above its services, in deployment order", async () => {
    // Act
    const { code, stdout } = await planSpringSale();

    // Assess
    expect(code).toBe(0);
    expect(stdout).toContain(
      "production: approval by U024BE7LH or U0PAYMENTS within 1h; freeze windows year-end (waits in one)",
    );
    expect(stdout).toMatch(/1\s+payments\s+1\.7\.0\s+linear\s+1\n2\s+orders\s+2\.0\.0\s+canary\s+1/);
  });

  it.each([
    [["plan"], "give --preset NAME, or --config FILE --service S --env E"],
    [["plan", "--config", fixture("valid.json")], "--config needs --service and --env"],
    [
      ["plan", "--config", fixture("valid.json"), "--service", "nope", "--env", "x"],
      "no service 'nope' in test/fixtures/config/valid.json; it has: payments",
    ],
    [
      ["plan", "--config", fixture("valid.json"), "--service", "payments", "--env", "qa"],
      "service 'payments' has no environment 'qa'; it has: staging, production",
    ],
    [
      ["plan", "--release", "test/fixtures/release/spring-sale.json"],
      "--release needs --config FILE to plan against",
    ],
    [
      ["plan", "--release", "x.json", "--config", fixture("valid.json"), "--env", "production"],
      "--release plans the whole release: give it with --config only",
    ],
    [
      ["plan", "--release", "test/fixtures/release/spring-sale.json", "--config", fixture("valid.json")],
      "release is invalid (1 problem):\n  - services.orders: names no service of the config (has: payments)",
    ],
    [["validate"], "required option '--config <file>' not specified"],
    [
      ["validate", "--config", "missing.json"],
      "missing.json is invalid (1 problem):\n  - (file): cannot be read: no such file",
    ],
    [["validate", "--config", "package-lock.yaml"], "unsupported extension '.yaml'"],
    [["deploy-everything"], "unknown command 'deploy-everything'"],
    [
      ["demo", "--service", "sample-fn", "--strategy", "experiment"],
      "--strategy experiment releases the sample service's flag, and service 'sample-fn' is a Lambda function (dev eu-west-1), whose alias takes all-at-once, canary, linear or blue-green: leave --strategy out",
    ],
    [
      ["demo", "--release", "--pushes", "2", "--env", "dev"],
      "--release walks every environment of the release's services once: leave out --env, --pushes",
    ],
    [
      ["demo", "--release", "--service", "sample-fn"],
      "--release releases 'sample-fn' with the services it depends on, and it depends on none: add dependsOn to it in examples/glidepath.config.ts",
    ],
    [
      ["release", "--manifest", "test/fixtures/release/spring-sale.json", "--config", fixture("valid.json")],
      "release is invalid (1 problem):\n  - services.orders: names no service of the config (has: payments)",
    ],
  ])("%j exits 2 with a clear message", async (args, message) => {
    // Act
    const { code, stderr } = await glidepath(...args);

    // Assess
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });

  it("validate exits 2 naming all three mistakes", async () => {
    // Act
    const { code, stderr } = await glidepath("validate", "--config", fixture("three-mistakes.json"));

    // Assess
    expect(code).toBe(2);
    expect(stderr).toContain("invalid (3 problems)");
    expect(stderr).toContain("services[0].environments[0].account: must be a 12-digit AWS account id");
    expect(stderr).toContain("services[0].environments[1].strategy.steps[1]: a step has exactly one action");
    expect(stderr).toContain("services[0].environments[1].approval: unknown key 'timeoutSecond'");
  });

  it("validate accepts the valid JSON fixture and the TypeScript sample", async () => {
    // Act
    const json = await glidepath("validate", "--config", fixture("valid.json"));
    const typescript = await glidepath("validate", "--config", "examples/glidepath.config.ts");

    // Assess
    expect([json.code, typescript.code]).toEqual([0, 0]);
    expect(json.stdout).toContain("is valid: 1 service(s), 2 environment(s)");
    expect(typescript.stdout).toContain("is valid: 5 service(s), 11 environment(s)");
  });

  it("--help lists the commands", async () => {
    // Act
    const { code, stdout } = await glidepath("--help");

    // Assess
    expect(code).toBe(0);
    for (const command of ["plan", "validate", "demo"])
      expect(stdout).toMatch(new RegExp(`^  ${command} `, "m"));
  });
});
