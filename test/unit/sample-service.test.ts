import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { Agent, request as httpRequest } from "node:http";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { parseOptions, sampleLatencyMs } from "../../examples/sample-service/server.ts";
import { LocalFlagRouter } from "../../functions/adapters/local/local-flag-router.ts";
import { startFlagStore } from "../../local/flag-store.ts";

const entry = fileURLToPath(new URL("../../examples/sample-service/server.ts", import.meta.url));

const children: ChildProcess[] = [];

afterEach(async () => {
  await Promise.all(
    children.splice(0).map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGKILL");
      await exited;
    }),
  );
});

interface Running {
  readonly child: ChildProcess;
  readonly base: string;
  readonly listening: Record<string, unknown>;
  readonly lines: string[];
}

/** Starts the service with the project's Node and waits for its listening line. */
async function startService(args: string[]): Promise<Running> {
  const child = spawn(process.execPath, [entry, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  const lines: string[] = [];
  const reader = createInterface({ input: child.stdout as NonNullable<typeof child.stdout> });
  const first = new Promise<string>((resolve, reject) => {
    reader.on("line", (line) => {
      lines.push(line);
      if (lines.length === 1) resolve(line);
    });
    child.once("exit", (code) =>
      reject(new Error(`the sample service exited with ${code} before listening`)),
    );
  });
  const listening = JSON.parse(await first) as Record<string, unknown>;
  return { child, base: `http://127.0.0.1:${String(listening.port)}`, listening, lines };
}

async function statuses(url: string, count: number): Promise<number[]> {
  const result: number[] = [];
  for (let batch = 0; batch < count; batch += 100) {
    const answers = await Promise.all(
      Array.from({ length: Math.min(100, count - batch) }, async () => {
        const response = await fetch(url);
        await response.arrayBuffer();
        return response.status;
      }),
    );
    result.push(...answers);
  }
  return result;
}

/** A small deterministic source of uniform numbers, so latency samples can be compared draw for draw. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

describe("sample service", () => {
  it("prints one listening line and answers with its version and arm (GLIDEPATH_VARIANT, unset here)", async () => {
    // Prepare
    const service = await startService(["--version", "1.1.0"]);

    // Act
    const page = await fetch(`${service.base}/orders`);
    const health = await fetch(`${service.base}/health`);

    // Assess
    expect(service.listening).toEqual({
      event: "listening",
      port: expect.any(Number),
      version: "1.1.0",
      pid: service.child.pid,
    });
    expect([page.status, await page.json()]).toEqual([200, { version: "1.1.0", variant: "unknown" }]);
    expect([health.status, await health.json()]).toEqual([200, { status: "ok", version: "1.1.0" }]);
    expect(service.lines).toHaveLength(1);
  });

  it("fails its health check with --unhealthy and still serves requests", async () => {
    // Prepare
    const service = await startService(["--version", "2.0.0", "--unhealthy"]);

    // Act
    const health = await fetch(`${service.base}/health`);
    const page = await fetch(`${service.base}/`);

    // Assess
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ version: "2.0.0" });
    expect(page.status).toBe(200);
    await page.arrayBuffer();
  });

  // 400 requests at 0.5: the mean is 200 and the standard deviation 10, so 140-260 is six deviations wide.
  it.each<[string, number, number]>([
    ["0", 0, 0],
    ["0.5", 140, 260],
    ["1", 400, 400],
  ])("answers 500 at --error-rate %s", async (errorRate, atLeast, atMost) => {
    // Prepare
    const service = await startService(["--version", "1.0.0", "--error-rate", errorRate]);

    // Act
    const answers = await statuses(`${service.base}/`, 400);

    // Assess
    const errors = answers.filter((status) => status === 500).length;
    expect(answers.filter((status) => status !== 500 && status !== 200)).toEqual([]);
    expect(errors).toBeGreaterThanOrEqual(atLeast);
    expect(errors).toBeLessThanOrEqual(atMost);
  });

  it("delays answers around --latency-ms", async () => {
    // Prepare
    const service = await startService(["--version", "1.0.0", "--latency-ms", "60"]);

    // Act
    const latencies = await Promise.all(
      Array.from({ length: 21 }, async () => {
        const started = performance.now();
        const response = await fetch(`${service.base}/`);
        await response.arrayBuffer();
        return performance.now() - started;
      }),
    );

    // Assess
    const median = latencies.toSorted((a, b) => a - b)[10] as number;
    expect(median).toBeGreaterThan(30);
  });

  it.each<[NodeJS.Signals]>([["SIGTERM"], ["SIGINT"]])(
    "exits 0 on %s with a keep-alive connection open",
    async (signal) => {
      // Prepare
      const service = await startService(["--version", "1.0.0"]);
      const agent = new Agent({ keepAlive: true });
      await new Promise<void>((resolve, reject) => {
        httpRequest(`${service.base}/`, { agent }, (response) => {
          response.resume();
          response.once("end", resolve);
        })
          .once("error", reject)
          .end();
      });
      const exited = once(service.child, "exit");

      // Act
      service.child.kill(signal);
      const [code] = await exited;
      agent.destroy();

      // Assess
      expect(code).toBe(0);
    },
  );

  it("with --flag, asks the flag store per request and serves the treatment as --treatment-* says, tagging its metrics", async () => {
    // Prepare: the flag at 100%, so every user with an id gets the treatment
    const store = await startFlagStore({ deployMs: 0 });
    try {
      const router = new LocalFlagRouter({
        url: store.url,
        rollout: { flag: "new-checkout", splitKey: "userId", rollbackTo: "off" },
        deploymentId: "d-1",
      });
      await router.setWeights({ blue: 0, green: 100 });
      await new Promise((resolve) => setTimeout(resolve, 20));
      const service = await startService([
        "--version",
        "1.0.0",
        "--flag-url",
        store.url,
        "--flag",
        "new-checkout",
        "--treatment-error-rate",
        "1",
      ]);

      // Act
      const asUser = await fetch(service.base, { headers: { "x-user-id": "user-7" } });
      const anonymous = await fetch(service.base);
      await new Promise((resolve) => setTimeout(resolve, 500));

      // Assess
      expect([asUser.status, anonymous.status]).toEqual([500, 200]);
      expect(await asUser.json()).toMatchObject({ variant: "treatment" });
      expect(await anonymous.json()).toMatchObject({ variant: "control" });
      const records = service.lines.slice(1).map((line) => JSON.parse(line));
      expect(records).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ Variant: "treatment", Requests: 1, Errors: 1, checkout_started: 0 }),
          expect.objectContaining({ Variant: "control", Requests: 1, Errors: 0, checkout_started: 1 }),
        ]),
      );
    } finally {
      await store.stop();
    }
  });

  it("exits 2 with the problem and its usage on a bad argument", async () => {
    // Prepare
    const child = spawn(process.execPath, [entry, "--version", "1.0.0", "--error-rate", "2"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });

    // Act
    const [code] = await once(child, "exit");

    // Assess
    expect(code).toBe(2);
    expect(stderr).toContain("sample-service: --error-rate must be a number from 0 to 1, got '2'");
    expect(stderr).toContain("usage: server.ts --version <v>");
  });
});

describe("parseOptions", () => {
  it("reads every option, with defaults for the optional ones", () => {
    // Act
    const full = parseOptions([
      "--version",
      "1.1.0",
      "--error-rate",
      "0.05",
      "--latency-ms",
      "20",
      "--conversion-rate",
      "0.25",
      "--unhealthy",
      "--port",
      "8080",
    ]);
    const minimal = parseOptions(["--version", "1.1.0"]);

    // Assess
    expect(full).toEqual({
      version: "1.1.0",
      errorRate: 0.05,
      latencyMs: 20,
      conversionRate: 0.25,
      unhealthy: true,
      port: 8080,
    });
    expect(
      parseOptions([
        "--version",
        "1",
        "--latency-ms",
        "20",
        "--flag-url",
        "http://127.0.0.1:9",
        "--flag",
        "f",
      ]).flag,
    ).toEqual({
      url: "http://127.0.0.1:9",
      name: "f",
      treatment: { errorRate: 0, latencyMs: 20, conversionRate: 0.5 },
    });
    expect(minimal).toEqual({
      version: "1.1.0",
      errorRate: 0,
      latencyMs: 0,
      conversionRate: 0.5,
      unhealthy: false,
      port: 0,
    });
  });

  it.each<[string, string[], RegExp]>([
    ["no version", [], /^--version is required$/],
    ["an empty version", ["--version", " "], /^--version is required$/],
    [
      "an error rate above 1",
      ["--version", "1", "--error-rate", "1.5"],
      /^--error-rate must be a number from 0 to 1/,
    ],
    ["an error rate that is no number", ["--version", "1", "--error-rate", "lots"], /^--error-rate must be/],
    ["an empty error rate", ["--version", "1", "--error-rate", ""], /^--error-rate must be/],
    [
      "a negative latency",
      ["--version", "1", "--latency-ms=-5"],
      /^--latency-ms must be a number of milliseconds/,
    ],
    ["a fractional port", ["--version", "1", "--port", "80.5"], /^--port must be an integer from 0 to 65535/],
    ["a port too high", ["--version", "1", "--port", "70000"], /^--port must be an integer/],
    ["a flag store without a flag", ["--version", "1", "--flag-url", "http://127.0.0.1:1"], /go together/],
    [
      "a treatment without a flag",
      ["--version", "1", "--treatment-error-rate", "0.5"],
      /needs --flag-url and --flag/,
    ],
    [
      "a flag store that is not a URL",
      ["--version", "1", "--flag-url", "localhost:1", "--flag", "f"],
      /--flag-url must be an http:\/\/ URL/,
    ],
    ["an unknown option", ["--version", "1", "--colour", "blue"], /Unknown option '--colour'/],
    ["a positional argument", ["--version", "1", "extra"], /positional argument/],
  ])("rejects %s", (_, args, message) => {
    // Act
    const act = () => parseOptions(args);

    // Assess
    expect(act).toThrow(message);
  });
});

describe("sampleLatencyMs", () => {
  it("draws around the median with p95 well above it", () => {
    // Prepare
    const random = seeded(42);

    // Act
    const samples = Array.from({ length: 20_000 }, () => sampleLatencyMs(20, random)).toSorted(
      (a, b) => a - b,
    );

    // Assess
    const median = samples[10_000] as number;
    const p95 = samples[19_000] as number;
    expect(median).toBeGreaterThan(19);
    expect(median).toBeLessThan(21);
    expect(p95 / median).toBeGreaterThan(2);
    expect(p95 / median).toBeLessThan(2.6);
  });

  it("scales every draw with the median, so doubling --latency-ms doubles p95", () => {
    // Prepare
    const a = seeded(7);
    const b = seeded(7);

    // Act
    const pairs = Array.from(
      { length: 1000 },
      () => [sampleLatencyMs(20, a), sampleLatencyMs(40, b)] as const,
    );

    // Assess
    expect(pairs.every(([single, double]) => Math.abs(double - 2 * single) < 1e-9)).toBe(true);
    expect(sampleLatencyMs(0)).toBe(0);
  });
});
