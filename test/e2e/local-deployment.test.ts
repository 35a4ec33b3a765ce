import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { alive } from "../../cli/local-run.ts";
import { loadConfig } from "../../infra/load-config.ts";
import { type LocalRunResult, runLocalDeployment } from "../../local/runtime.ts";
import type { ScenarioName } from "../../local/scenarios.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
/** Fast enough for CI, with enough traffic for the analysis to judge every phase. */
const fast = { speed: 20, rps: 300 } as const;

async function deployLocally(scenario: ScenarioName): Promise<LocalRunResult> {
  const config = await loadConfig(`${root}examples/glidepath.config.ts`);
  const service = config.services.find((candidate) => candidate.name === "sample");
  const environment = service?.environments.at(-1);
  if (service === undefined || environment === undefined)
    throw new Error("the sample config has no sample service");
  // Production requires a promotion approval: the local operator gives it.
  return runLocalDeployment({
    config,
    service,
    environments: [environment],
    scenario,
    ...fast,
    autoApprove: true,
  });
}

function startedPids(output: string): number[] {
  return [...output.matchAll(/(?:sample-service|function [\w-]+) process (\d+) started/g)].map((match) =>
    Number(match[1]),
  );
}

/** The demo's arguments for a fast run of `scenario` with the JSON summary on the last line. */
const fastJson = (scenario: ScenarioName) => [
  "--scenario",
  scenario,
  "--speed",
  String(fast.speed),
  "--rps",
  String(fast.rps),
  "--json",
];

/** Runs `glidepath <args>` as a second terminal would; resolves with its exit code and output. */
function cli(...args: string[]) {
  return new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(process.execPath, ["cli/main.ts", ...args], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("close", (code) => resolve({ code, output }));
  });
}

/** Runs `glidepath demo` as `npm start` does; resolves with its exit code and output. */
function demo(args: string[], onOutput?: (output: string, child: ChildProcess) => void) {
  const child = spawn(process.execPath, ["cli/main.ts", "demo", ...args], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    onOutput?.(output, child);
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  return new Promise<{ code: number | null; output: string }>((resolve) =>
    child.on("close", (code) => resolve({ code, output })),
  );
}

describe("the local deployment (npm start)", () => {
  it("good: walks 10% → 50% → 100% and ends SUCCEEDED in dynalite", { timeout: 90_000 }, async () => {
    // Act
    const result = await deployLocally("good");

    // Assess
    expect({ status: result.status, reason: result.deployment.statusReason }).toEqual({
      status: "SUCCEEDED",
      reason: "every phase passed",
    });
    expect(result.deployment).toMatchObject({
      status: "SUCCEEDED",
      weights: { old: 0, new: 100 },
      currentStep: "Done",
    });
    expect(result.weightHistory.map((entry) => entry.new)).toEqual([10, 50, 100]);
    expect(result.requests.new).toBeGreaterThan(200);
    expect(
      result.decisions.filter((decision) => decision.action === "continue").length,
    ).toBeGreaterThanOrEqual(3);
    expect(result.pids.filter(alive)).toEqual([]);
  });

  it("slow: the doubled p95 pauses the canary at 10%, and the pause times out into a rollback", {
    timeout: 90_000,
  }, async () => {
    // Act
    const result = await deployLocally("slow");

    // Assess
    expect(result.status).toBe("ROLLED_BACK");
    expect(result.deployment.statusReason).toMatch(
      /^PauseTimedOutError: no decision in the \d+s pause .*new version's p95 latency .* \(limit 1\.5x\)$/,
    );
    expect(result.decisions.find((decision) => decision.action === "pause")?.reason).toMatch(
      /p95 latency .*: paused for a human \(onFail pause\)$/,
    );
    expect(result.weightHistory.map((entry) => entry.new)).toEqual([10, 0]);
    expect(result.pids.filter(alive)).toEqual([]);
  });

  it("conversion-drop: 30% fewer conversions pause the canary before 100%, and the pause times out into a rollback", {
    timeout: 90_000,
  }, async () => {
    // Act
    const result = await deployLocally("conversion-drop");

    // Assess
    expect(result.status).toBe("ROLLED_BACK");
    expect(result.deployment.statusReason).toMatch(
      /^PauseTimedOutError: no decision in the \d+s pause .*conversion of the new version \d+(\.\d+)?% is \d+(\.\d+)?% below the old version's/,
    );
    const pause = result.decisions.find((decision) => decision.action === "pause");
    expect(pause?.values).toMatchObject({ businessMetrics: [{ name: "conversion", verdict: "fail" }] });
    expect(result.environments.at(-1)?.waves[0]?.verdicts).toMatchObject({
      last: "rollback",
      businessMetrics: [{ name: "conversion", verdict: "fail" }],
      paused: { reason: expect.stringMatching(/^conversion of the new version .*: paused for a human/) },
    });
    expect(result.maxWeight).toBeLessThan(100);
    expect(result.errorsServedByNew / Math.max(result.requests.new, 1)).toBeLessThan(0.01);
    expect(result.pids.filter(alive)).toEqual([]);
  });

  it("flaky-deploy: the new version never becomes healthy and traffic never moves", {
    timeout: 60_000,
  }, async () => {
    // Act
    const result = await deployLocally("flaky-deploy");

    // Assess
    expect(result.status).toBe("FAILED");
    expect(result.deployment).toMatchObject({ status: "FAILED", weights: { old: 100, new: 0 } });
    expect(result.deployment.statusReason).toMatch(
      /^Deploy: DeployFailedError: .*not stable after 10 checks/,
    );
    expect(result.weightHistory).toEqual([]);
    expect(result.requests.new).toBe(0);
    expect(result.pids.filter(alive)).toEqual([]);
  });

  it("bad, through the CLI with --json: rolled back before the second step, no process left", {
    timeout: 60_000,
  }, async () => {
    // Act
    const { code, output } = await demo([
      "--scenario",
      "bad",
      "--speed",
      String(fast.speed),
      "--rps",
      String(fast.rps),
      "--json",
      "--env",
      "production",
      "--auto-approve",
    ]);

    // Assess
    expect(code, output.slice(-4000)).toBe(0);
    const summary = JSON.parse(output.trimEnd().split("\n").at(-1) ?? "");
    expect(summary).toMatchObject({
      scenario: "bad",
      status: "ROLLED_BACK",
      maxWeight: 10,
      weights: [10, 0],
    });
    expect(summary.errorsServedByNew).toBeGreaterThan(0);
    expect(summary.requests.new).toBeLessThan(summary.requests.old);
    expect(output).toMatch(/status {4}ROLLED_BACK: (AlarmFiredError|AnalysisFailedError): /);
    const pids = startedPids(output);
    expect(pids.length).toBe(2);
    expect(pids.filter(alive)).toEqual([]);
  });

  it("Ctrl-C stops the execution and every process, and closes the router", { timeout: 60_000 }, async () => {
    // Act
    let interrupted = false;
    const { code, output } = await demo(
      ["--speed", "5", "--env", "production", "--auto-approve"],
      (text, child) => {
        if (!interrupted && text.includes("traffic   new 10%")) {
          interrupted = true;
          child.kill("SIGINT");
        }
      },
    );

    // Assess
    expect(interrupted).toBe(true);
    expect(code).toBe(130);
    expect(output).toContain("Result: ABORTED");
    const pids = startedPids(output);
    expect(pids.length).toBe(2);
    expect(pids.filter(alive)).toEqual([]);
    const port = Number(/behind the router on http:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1]);
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
  });
});

describe("approvals in the local run", () => {
  it("--auto-approve approves a canary's approval gate through the signed endpoint and the release goes on", {
    timeout: 60_000,
  }, async () => {
    // Prepare
    const config = await loadConfig(`${root}examples/glidepath.config.ts`);
    const service = config.services.find((candidate) => candidate.name === "sample");
    const production = service?.environments.at(-1);
    if (service === undefined || production === undefined)
      throw new Error("the sample config has no sample service");
    const withApproval = {
      ...production,
      strategy: {
        type: "canary" as const,
        steps: [
          { setWeight: 10 },
          // 8 s at 20x: the new version serves about 240 requests at 10%, the analysis needs 200.
          { bake: { seconds: 160 } },
          { approval: { timeoutSeconds: 3600 } },
          { setWeight: 50 },
        ],
      },
    };
    const lines: string[] = [];

    // Act
    const result = await runLocalDeployment({
      config,
      service,
      environments: [
        { ...withApproval, regions: ["eu-west-1"], approval: { ...withApproval.approval, required: false } },
      ],
      scenario: "good",
      ...fast,
      autoApprove: true,
      onEvent: (event) => {
        if (event.kind === "phase") lines.push(event.text);
      },
    });

    // Assess
    expect({ status: result.status, reason: result.deployment.statusReason }).toEqual({
      status: "SUCCEEDED",
      reason: "every phase passed",
    });
    expect(result.weightHistory.map((entry) => entry.new)).toEqual([10, 50, 100]);
    expect(lines).toContain("auto-approving the approval at 10%");
    expect(lines).toContain("gate decided: approval at 10%: approve by slack:ULOCALOPS");
    expect(result.decisions).toContainEqual(
      expect.objectContaining({ action: "approve", actor: "slack:ULOCALOPS" }),
    );
  });
});

describe("deciding from a second terminal", () => {
  it("glidepath pause and resume reach the running local deployment through its signed endpoint", {
    timeout: 90_000,
  }, async () => {
    // Prepare
    // The CLI runs are awaited before the assertions: the deployment may end before the resume's process exits.
    const runs: Promise<{ code: number | null; output: string }>[] = [];
    let step = "waiting";

    // Act
    const { code, output } = await demo(
      ["--speed", String(fast.speed), "--rps", String(fast.rps), "--env", "production", "--auto-approve"],
      (text) => {
        const deploymentId = /gate open: bake at 10% of sample 1\.1\.0 \((d-[0-9a-f]{20})\)/.exec(text)?.[1];
        if (step === "waiting" && deploymentId !== undefined) {
          step = "pausing";
          runs.push(cli("pause", deploymentId));
        }
        if (step === "pausing" && deploymentId !== undefined && /status {4}PAUSED/.test(text)) {
          step = "resuming";
          runs.push(cli("resume", deploymentId));
        }
      },
    );
    const answers = await Promise.all(runs);

    // Assess
    expect(code, output.slice(-4000)).toBe(0);
    expect(
      answers.map((answer) => answer.code),
      output.slice(-4000),
    ).toEqual([0, 0]);
    expect(answers[0]?.output).toContain("pause for d-");
    expect(output).toMatch(/status {4}PAUSED/);
    // A pause that arrives between two gates is held for the next one, which may be the next phase's.
    expect(output).toMatch(/gate decided: pause at \d+%: resume by slack:ULOCALOPS/);
    expect(output).toContain("Result: SUCCEEDED");
  });
});

describe("the promotion pipeline in the local run", () => {
  it("npm start promotes dev → staging → production, each environment's strategy a nested execution, followed by glidepath status --watch from a second terminal, then rolled back after it", {
    timeout: 180_000,
  }, async () => {
    // Prepare
    let watching: Promise<{ code: number | null; output: string }> | undefined;

    // Act
    const { code, output } = await demo(
      ["--speed", String(fast.speed), "--rps", String(fast.rps), "--auto-approve", "--json"],
      (text) => {
        const id = /npx glidepath status (p-[0-9a-f]{20}) --watch/.exec(text)?.[1];
        if (id !== undefined && watching === undefined)
          watching = cli("status", id, "--watch", "--interval", "1");
      },
    );
    const watched = await watching;

    // Assess
    expect(code, output.slice(-4000)).toBe(0);
    // Off a terminal the watch prints what changed, reads what the run left once it has ended, and exits 0.
    expect(watched?.code, watched?.output.slice(-4000)).toBe(0);
    expect(watched?.output).toMatch(/^promotion p-\w+ · sample 1\.1\.0 \(sha256:\w+\) · RUNNING$/m);
    expect(watched?.output).toContain("watch window at 100%");
    expect(watched?.output).toMatch(/· PROMOTED: every environment succeeded, up to production$/m);
    // After the run, from what it left: production back on the live version it started with, wave by wave.
    const rolledBack = await cli(
      "rollback",
      "--service",
      "sample",
      "--env",
      "production",
      "--reason",
      "e2e",
      "--config",
      "examples/glidepath.config.ts",
    );
    expect(rolledBack.code, rolledBack.output.slice(-4000)).toBe(0);
    expect(rolledBack.output).toContain(
      "rollback of sample in production from 1.1.0 to 1.0.0 asked of this machine (what the last `npm start` left) as local:ULOCALOPS",
    );
    expect(rolledBack.output).toMatch(/^production eu-west-1: d-\w+ 1\.0\.0 SUCCEEDED/m);
    expect(rolledBack.output).toMatch(/^production us-east-1: d-\w+ 1\.0\.0 SUCCEEDED/m);
    const summary = JSON.parse(output.trimEnd().split("\n").at(-1) ?? "");
    expect(summary).toMatchObject({
      status: "SUCCEEDED",
      environments: [
        { name: "dev", status: "SUCCEEDED", waves: [{ account: "000000000000", region: "eu-west-1" }] },
        { name: "staging", status: "SUCCEEDED", waves: [{ account: "000000000000", region: "eu-west-1" }] },
        {
          name: "production",
          status: "SUCCEEDED",
          waves: [
            { account: "000000000001", region: "eu-west-1", status: "SUCCEEDED" },
            { account: "000000000001", region: "us-east-1", status: "SUCCEEDED" },
          ],
        },
      ],
    });
    expect(summary.executionArn).toMatch(/:execution:Glidepath-pipeline:sample-promote-1-1-0-[0-9a-f]{8}$/);
    const nested = [
      ...output.matchAll(
        /(\w+) ([a-z0-9-]+) \(account (\d{12})\): deploying 1\.1\.0 with (Glidepath-[a-z-]+) \((\S+)\)/g,
      ),
    ].map((match) => [match[1], match[2], match[3], match[4], match[5]?.replace(/-[0-9a-f]{8}$/, "")]);
    expect(nested).toEqual([
      ["dev", "eu-west-1", "000000000000", "Glidepath-all-at-once", "sample-dev-1-1-0"],
      ["staging", "eu-west-1", "000000000000", "Glidepath-linear", "sample-staging-1-1-0"],
      ["production", "eu-west-1", "000000000001", "Glidepath-canary", "sample-production-eu-west-1-1-1-0"],
      ["production", "us-east-1", "000000000001", "Glidepath-canary", "sample-production-us-east-1-1-1-0"],
    ]);
    expect(output).toContain("gate decided: promotion to production: approve by slack:ULOCALOPS");
    expect(output.indexOf("▸ Bake between waves")).toBeGreaterThan(output.indexOf("eu-west-1-1-1-0"));
    expect(output).toContain("promotion promoted: every environment succeeded, up to production");
    expect(startedPids(output).filter(alive)).toEqual([]);
  });

  it("a release that fails in staging stops the promotion: production is never deployed", {
    timeout: 120_000,
  }, async () => {
    // Prepare
    const config = await loadConfig(`${root}examples/glidepath.config.ts`);
    const service = config.services.find((candidate) => candidate.name === "sample");
    if (service === undefined) throw new Error("the sample config has no sample service");
    const phases: string[] = [];

    // Act
    const result = await runLocalDeployment({
      config,
      service,
      scenario: "bad",
      ...fast,
      autoApprove: true,
      onEvent: (event) => {
        if (event.kind === "phase") phases.push(event.text);
      },
    });

    // Assess
    expect(result.environments.map(({ name, status }) => ({ name, status }))).toEqual([
      { name: "dev", status: "SUCCEEDED" },
      { name: "staging", status: "ROLLED_BACK" },
      { name: "production", status: "NOT_PROMOTED" },
    ]);
    expect(result.status).toBe("ROLLED_BACK");
    expect(result.execution.status).toBe("FAILED");
    expect(result.environments[1]?.statusReason).toMatch(/^(AlarmFiredError|AnalysisFailedError): /);
    expect(phases.some((text) => text.startsWith("production "))).toBe(false);
    expect(phases).toContainEqual(
      expect.stringMatching(/^promotion stopped in staging: (AlarmFiredError|AnalysisFailedError): /),
    );
    expect(result.pids.filter(alive)).toEqual([]);
  });
});

describe("several pushes in the local run, through the real trigger", () => {
  const pushes = (concurrency: "queue" | "supersede") =>
    demo([
      "--env",
      "staging",
      "--speed",
      String(fast.speed),
      "--rps",
      String(fast.rps),
      "--pushes",
      "3",
      "--concurrency",
      concurrency,
      "--json",
    ]);

  it("--pushes 3: the first is promoted, the second SUPERSEDED, the third promoted after the first", {
    timeout: 120_000,
  }, async () => {
    // Act
    const { code, output } = await pushes("queue");

    // Assess
    expect(code, output.slice(-4000)).toBe(0);
    const summary = JSON.parse(output.trimEnd().split("\n").at(-1) ?? "");
    expect(
      summary.promotions.map(({ version, status }: { version: string; status: string }) => [version, status]),
    ).toEqual([
      ["1.1.0", "PROMOTED"],
      ["1.1.1", "SUPERSEDED"],
      ["1.1.2", "PROMOTED"],
    ]);
    expect(output).toMatch(/pushed 1\.1\.0: started \(p-[0-9a-f]{20}\)/);
    expect(output).toMatch(/pushed 1\.1\.2: queued/);
    expect(output.indexOf("starting the pipeline of sample 1.1.2")).toBeGreaterThan(
      output.indexOf("staging promoted: every wave succeeded"),
    );
    expect(output).not.toContain("starting the pipeline of sample 1.1.1");
    expect(startedPids(output).filter(alive)).toEqual([]);
  });

  it("--pushes 3 --concurrency supersede: the first is aborted and rolled back, the third promoted", {
    timeout: 120_000,
  }, async () => {
    // Act
    const { code, output } = await pushes("supersede");

    // Assess
    expect(code, output.slice(-4000)).toBe(0);
    const summary = JSON.parse(output.trimEnd().split("\n").at(-1) ?? "");
    // 1.1.1 arrives a second after 1.1.0 and a second before 1.1.2: superseded before its pipeline starts, or
    // started (1.1.0's rollback done) and then aborted by 1.1.2, which depends on how fast the rollback runs.
    expect(
      summary.promotions.map(({ version, status }: { version: string; status: string }) => [version, status]),
    ).toEqual([
      ["1.1.0", "STOPPED"],
      ["1.1.1", expect.stringMatching(/^(SUPERSEDED|STOPPED)$/)],
      ["1.1.2", "PROMOTED"],
    ]);
    expect(summary.promotions[0].reason).toMatch(
      /^GateRejectedError: glidepath:supersede: superseded by 1\.1\.\d/,
    );
    expect(output).toMatch(/gate decided: [^\n]*: abort by glidepath:supersede/);
    expect(output).toMatch(/status {4}ROLLED_BACK: GateRejectedError: glidepath:supersede/);
    expect(startedPids(output).filter(alive)).toEqual([]);
  });
});

describe("a feature-flag rollout in the local run (--strategy feature-flag)", () => {
  const flagRun = (scenario: ScenarioName) =>
    demo(["--strategy", "feature-flag", ...fastJson(scenario), "--env", "production", "--auto-approve"]);

  it("good: the flag reaches 100% of users through the local flag store and the promotion SUCCEEDS", {
    timeout: 120_000,
  }, async () => {
    // Act
    const { code, output } = await flagRun("good");

    // Assess
    expect(code, output.slice(-4000)).toBe(0);
    const summary = JSON.parse(output.trimEnd().split("\n").at(-1) ?? "");
    expect(summary).toMatchObject({ scenario: "good", status: "SUCCEEDED", weights: [10, 50, 100] });
    expect(summary.requests.new).toBeGreaterThan(200);
    expect(output).toMatch(/flag new-checkout in the local flag store on http:\/\/127\.0\.0\.1:\d+/);
    // The flag changes behaviour in the live processes: nothing new is started, only the two waves' live ones.
    expect(startedPids(output).length).toBe(2);
    expect(output).not.toContain("Retire old version");
  });

  it("bad: the treatment's 5xx puts the flag back to 0% and the promotion stops ROLLED_BACK", {
    timeout: 60_000,
  }, async () => {
    // Act
    const { code, output } = await flagRun("bad");

    // Assess
    expect(code, output.slice(-4000)).toBe(0);
    const summary = JSON.parse(output.trimEnd().split("\n").at(-1) ?? "");
    expect(summary).toMatchObject({
      scenario: "bad",
      status: "ROLLED_BACK",
      maxWeight: 10,
      weights: [10, 0],
    });
    expect(summary.errorsServedByNew).toBeGreaterThan(0);
    expect(output).toContain("▸ Shift traffic back");
    expect(startedPids(output).filter(alive)).toEqual([]);
  });
});

describe("an experiment in the local run (--strategy experiment)", () => {
  it("conversion-lift: the treatment converts 30% better, wins its verdict, is approved and goes to 100%", {
    timeout: 120_000,
  }, async () => {
    // Act
    const { code, output } = await demo([
      "--strategy",
      "experiment",
      "--scenario",
      "conversion-lift",
      // Slower and busier than the other runs: ~2,400 checkouts per arm put the lift's lower bound near +13%,
      // about four standard deviations above 0 (at 20x and 300 rps it would be 0 in about one run in six).
      "--speed",
      "10",
      "--rps",
      "400",
      "--json",
      "--env",
      "production",
      "--auto-approve",
    ]);

    // Assess
    expect(code, output.slice(-4000)).toBe(0);
    const summary = JSON.parse(output.trimEnd().split("\n").at(-1) ?? "");
    expect(summary).toMatchObject({ scenario: "conversion-lift", status: "SUCCEEDED", weights: [50, 100] });
    const [wave] = summary.environments[0].waves;
    expect(wave.verdicts.experiment).toMatchObject({ winner: "treatment", metric: "conversion" });
    expect(wave.verdicts.experiment.liftInterval[0]).toBeGreaterThan(0);
    expect(output).toMatch(/experiment judged: sample 1\.1\.0 in production: treatment wins: conversion/);
  });
});

describe("a Lambda function in the local run (--service sample-fn)", () => {
  const functionRun = (scenario: ScenarioName) => demo(["--service", "sample-fn", ...fastJson(scenario)]);

  it("good: dev's LambdaCanary10Percent5Minutes and production's LambdaLinear10PercentEvery1Minute move the alias to the new version, and the promotion SUCCEEDS", {
    timeout: 180_000,
  }, async () => {
    // Act
    const { code, output } = await functionRun("good");

    // Assess
    expect(code, output.slice(-4000)).toBe(0);
    const summary = JSON.parse(output.trimEnd().split("\n").at(-1) ?? "");
    expect(summary).toMatchObject({
      scenario: "good",
      status: "SUCCEEDED",
      weights: [10, 20, 30, 40, 50, 60, 70, 80, 90, 100],
      environments: [
        { name: "dev", status: "SUCCEEDED", waves: [{ account: "000000000000", region: "eu-west-1" }] },
        {
          name: "production",
          status: "SUCCEEDED",
          waves: [{ account: "000000000001", region: "eu-west-1" }],
        },
      ],
    });
    expect(summary.requests.new).toBeGreaterThan(200);
    expect(output).toMatch(
      /dev eu-west-1 \(account 000000000000\): function sample-fn runs sample-fn 1\.0\.0 as version 1 behind alias live in the local Lambda service on http:\/\/127\.0\.0\.1:\d+/,
    );
    expect(output).toMatch(/dev: traffic 10% on the new version[\s\S]*dev: traffic 100% on the new version/);
    // Each environment's defined alarm was put over the published version, and evaluated there.
    expect(output).toMatch(/alarm +sample-fn-dev-p95: INSUFFICIENT_DATA → OK/);
    expect(output).toMatch(/alarm +sample-fn-production-p95: INSUFFICIENT_DATA → OK/);
    // Each wave's cloud runs version 1's code and the new version's, each in its own process.
    const pids = startedPids(output);
    expect(pids.length).toBe(4);
    expect(pids.filter(alive)).toEqual([]);
  });

  it("bad: the new version's function errors roll dev's canary back from 10% to the old version, and production is never deployed", {
    timeout: 90_000,
  }, async () => {
    // Act
    const { code, output } = await functionRun("bad");

    // Assess
    expect(code, output.slice(-4000)).toBe(0);
    const summary = JSON.parse(output.trimEnd().split("\n").at(-1) ?? "");
    expect(summary).toMatchObject({
      scenario: "bad",
      status: "ROLLED_BACK",
      weights: [10, 0],
      environments: [
        { name: "dev", status: "ROLLED_BACK" },
        { name: "production", status: "NOT_PROMOTED" },
      ],
    });
    expect(summary.errorsServedByNew).toBeGreaterThan(0);
    // Which of the two error checks trips first depends on the sample's random draws: both are the function's errors.
    expect(output).toMatch(
      /rollback {2}new version's 5xx rate [\d.]+% is (worse than the old version's|above the [\d.]+% limit)/,
    );
    expect(startedPids(output).filter(alive)).toEqual([]);
  });
});

describe("a release of two services in the local run (--release)", () => {
  /** The release's JSON summary: each service's status and deployments per environment. */
  const release = (scenario: ScenarioName) => demo(["--release", "--auto-approve", ...fastJson(scenario)]);

  it("good: sample-backend, then sample, through dev → staging → production, one approval for both, and the release PROMOTED", {
    timeout: 420_000,
  }, async () => {
    // Act
    const { code, output } = await release("good");

    // Assess
    expect(code, output.slice(-4000)).toBe(0);
    const summary = JSON.parse(output.trimEnd().split("\n").at(-1) ?? "");
    const both = (deployments: unknown[]) => ({
      "sample-backend": { status: "SUCCEEDED", deployments },
      sample: { status: "SUCCEEDED", deployments },
    });
    const once = [{ version: "1.1.0", status: "SUCCEEDED" }];
    expect(summary).toMatchObject({
      status: "PROMOTED",
      groups: [["sample-backend"], ["sample"]],
      environments: [
        { name: "dev", status: "SUCCEEDED", services: both(once) },
        { name: "staging", status: "SUCCEEDED", services: both(once) },
        {
          name: "production",
          status: "SUCCEEDED",
          services: both([
            { region: "eu-west-1", version: "1.1.0", status: "SUCCEEDED" },
            { region: "us-east-1", version: "1.1.0", status: "SUCCEEDED" },
          ]),
        },
      ],
    });
    expect(summary.executionArn).toMatch(
      /:execution:Glidepath-release:local-release-release-sample-backend-sample-[0-9a-f]{8}$/,
    );
    const deploying = [
      ...output.matchAll(/deploying 1\.1\.0 with Glidepath-[a-z-]+ \((\S+)-[0-9a-f]{8}\)/g),
    ].map((match) => match[1]);
    expect(deploying).toEqual([
      "sample-backend-dev-1-1-0",
      "sample-dev-1-1-0",
      "sample-backend-staging-1-1-0",
      "sample-staging-1-1-0",
      "sample-backend-production-eu-west-1-1-1-0",
      "sample-backend-production-us-east-1-1-1-0",
      "sample-production-eu-west-1-1-1-0",
      "sample-production-us-east-1-1-1-0",
    ]);
    expect(output.match(/gate decided: release to production: approve by slack:ULOCALOPS/g)).toHaveLength(1);
    expect(startedPids(output).filter(alive)).toEqual([]);
  });

  it("bad: sample fails in staging, sample-backend goes back to 1.0.0 there on its own fleet, and production is never entered", {
    timeout: 240_000,
  }, async () => {
    // Act
    const { code, output } = await release("bad");

    // Assess
    expect(code, output.slice(-4000)).toBe(0);
    const summary = JSON.parse(output.trimEnd().split("\n").at(-1) ?? "");
    expect(summary).toMatchObject({
      status: "STOPPED",
      reason: expect.stringMatching(/^ReleaseServiceFailedError: .* stops in staging: sample is ROLLED_BACK/),
      environments: [
        { name: "dev", status: "SUCCEEDED" },
        {
          name: "staging",
          status: "FAILED",
          services: {
            "sample-backend": {
              status: "ROLLED_BACK",
              deployments: [
                { version: "1.1.0", status: "SUCCEEDED" },
                { version: "1.0.0", status: "SUCCEEDED" },
              ],
            },
            sample: { status: "FAILED", deployments: [{ version: "1.1.0", status: "ROLLED_BACK" }] },
          },
        },
        {
          name: "production",
          status: "NOT_DEPLOYED",
          services: {
            "sample-backend": { status: "NOT_DEPLOYED", deployments: [] },
            sample: { status: "NOT_DEPLOYED", deployments: [] },
          },
        },
      ],
    });
    expect(output).toMatch(
      /staging eu-west-1 \(account 000000000000\): deploying 1\.0\.0 with Glidepath-all-at-once \(sample-backend-staging-restore-1-0-0-[0-9a-f]{8}\)/,
    );
    // The restore goes back to the fleet the release left: no new router for sample-backend in staging.
    expect(
      output.match(/staging eu-west-1 \(account 000000000000\): starting sample-backend 1\.0\.0 on blue/g),
    ).toHaveLength(1);
    expect(output).not.toContain("production eu-west-1 (account 000000000001): deploying");
    expect(startedPids(output).filter(alive)).toEqual([]);
  });
});
