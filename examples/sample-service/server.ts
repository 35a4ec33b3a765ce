/**
 * The sample service: one process per version, with an injectable error rate and latency, so a local
 * deployment has something real to shift traffic to and to roll back from.
 *
 *   node examples/sample-service/server.ts --version 1.1.0 --error-rate 0.05 --latency-ms 20 \
 *     [--conversion-rate 0.5] [--unhealthy] [--port 0]
 *
 * Prints one JSON line `{"event":"listening","port":…,"version":…,"pid":…}` once it listens on 127.0.0.1,
 * then its business metric as CloudWatch embedded-metric-format records (`emfRecord`): every request that
 * answers is a checkout started, and a share `--conversion-rate` of them completes. The arm it tags them with
 * (the `Variant` dimension) is `GLIDEPATH_VARIANT`, which Glidepath sets on each colour's tasks.
 */
import { createServer } from "node:http";
import { parseArgs } from "node:util";

export interface SampleServiceOptions {
  readonly version: string;
  /** Chance that a request answers 500, from 0 to 1. */
  readonly errorRate: number;
  /** Median latency of a request; 0 answers at once. */
  readonly latencyMs: number;
  /** The health check answers 503: a version that never becomes healthy. */
  readonly unhealthy: boolean;
  /** Chance that a checkout (a request that answers 200) completes, from 0 to 1. */
  readonly conversionRate: number;
  readonly port: number;
}

/** Where the sample service's business metric goes: the namespace and dimensions the sample config reads. */
export const SampleMetrics = {
  namespace: "Glidepath/Sample",
  service: "sample",
  started: "checkout_started",
  completed: "checkout_completed",
} as const;

/**
 * One embedded-metric-format record: the counts of checkouts started and completed by the arm `variant` since
 * the last record. CloudWatch sums them into the `Sum` statistic per period.
 */
export function emfRecord(counts: {
  readonly at: number;
  readonly variant: string;
  readonly started: number;
  readonly completed: number;
}) {
  return {
    _aws: {
      Timestamp: counts.at,
      CloudWatchMetrics: [
        {
          Namespace: SampleMetrics.namespace,
          Dimensions: [["Service", "Variant"]],
          Metrics: [
            { Name: SampleMetrics.started, Unit: "Count" },
            { Name: SampleMetrics.completed, Unit: "Count" },
          ],
        },
      ],
    },
    Service: SampleMetrics.service,
    Variant: counts.variant,
    [SampleMetrics.started]: counts.started,
    [SampleMetrics.completed]: counts.completed,
  };
}

const usage =
  "usage: server.ts --version <v> [--error-rate <0..1>] [--latency-ms <ms>] [--conversion-rate <0..1>] [--unhealthy] [--port <0..65535>]";

/** Parses and validates the command line; throws an Error whose message says what is wrong. */
export function parseOptions(args: readonly string[]): SampleServiceOptions {
  const { values } = parseArgs({
    args: [...args],
    strict: true,
    allowPositionals: false,
    options: {
      version: { type: "string" },
      "error-rate": { type: "string", default: "0" },
      "latency-ms": { type: "string", default: "0" },
      "conversion-rate": { type: "string", default: "0.5" },
      unhealthy: { type: "boolean", default: false },
      port: { type: "string", default: "0" },
    },
  });
  if (values.version === undefined || values.version.trim() === "") throw new Error("--version is required");
  const errorRate = Number(values["error-rate"]);
  if (values["error-rate"].trim() === "" || !(errorRate >= 0 && errorRate <= 1)) {
    throw new Error(`--error-rate must be a number from 0 to 1, got '${values["error-rate"]}'`);
  }
  const latencyMs = Number(values["latency-ms"]);
  if (values["latency-ms"].trim() === "" || !(latencyMs >= 0 && latencyMs <= 60_000)) {
    throw new Error(
      `--latency-ms must be a number of milliseconds from 0 to 60000, got '${values["latency-ms"]}'`,
    );
  }
  const conversionRate = Number(values["conversion-rate"]);
  if (values["conversion-rate"].trim() === "" || !(conversionRate >= 0 && conversionRate <= 1)) {
    throw new Error(`--conversion-rate must be a number from 0 to 1, got '${values["conversion-rate"]}'`);
  }
  const port = Number(values.port);
  if (values.port.trim() === "" || !Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`--port must be an integer from 0 to 65535, got '${values.port}'`);
  }
  return { version: values.version, errorRate, latencyMs, unhealthy: values.unhealthy, conversionRate, port };
}

/**
 * Log-normal spread of latencies: exp(σ·1.645) puts p95 at 2.3 times the median, and every quantile scales
 * with the median, so doubling --latency-ms doubles p95. Capped at 20 times the median to bound a request.
 */
const sigma = 0.5;

/** One latency drawn around `medianMs`. */
export function sampleLatencyMs(medianMs: number, random: () => number = Math.random): number {
  if (medianMs === 0) return 0;
  // Box-Muller; 1 - random() is in (0, 1], so the logarithm is finite.
  const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return Math.min(medianMs * Math.exp(sigma * normal), medianMs * 20);
}

/** Records are written this often, each with the counts since the last one. */
const metricsFlushMs = 200;

function serve(options: SampleServiceOptions): void {
  const variant = process.env.GLIDEPATH_VARIANT ?? "unknown";
  const counts = { started: 0, completed: 0 };
  const flush = () => {
    if (counts.started === 0) return;
    process.stdout.write(`${JSON.stringify(emfRecord({ at: Date.now(), variant, ...counts }))}\n`);
    counts.started = 0;
    counts.completed = 0;
  };
  setInterval(flush, metricsFlushMs).unref();
  const json = (status: number, body: unknown) => ({ status, text: JSON.stringify(body) });
  const server = createServer((request, response) => {
    const answer = (result: { status: number; text: string }) => {
      if (response.destroyed) return;
      response.writeHead(result.status, { "content-type": "application/json" }).end(result.text);
    };
    request.resume();
    if (request.url === "/health" && request.method === "GET") {
      answer(
        options.unhealthy
          ? json(503, { status: "unhealthy", version: options.version })
          : json(200, { status: "ok", version: options.version }),
      );
      return;
    }
    const failed = Math.random() < options.errorRate;
    setTimeout(() => {
      if (!failed) {
        counts.started += 1;
        if (Math.random() < options.conversionRate) counts.completed += 1;
      }
      answer(
        failed
          ? json(500, { error: "injected failure", version: options.version })
          : json(200, { version: options.version }),
      );
    }, sampleLatencyMs(options.latencyMs));
  });
  server.on("error", (error) => {
    process.stderr.write(`sample-service: ${error.message}\n`);
    process.exit(1);
  });
  server.listen(options.port, "127.0.0.1", () => {
    const address = server.address();
    const port = typeof address === "object" && address !== null ? address.port : options.port;
    process.stdout.write(
      `${JSON.stringify({ event: "listening", port, version: options.version, pid: process.pid })}\n`,
    );
  });
  const shutdown = () => {
    flush();
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.once("SIGTERM", shutdown);
  process.once("SIGINT", shutdown);
}

if (import.meta.main) {
  let options: SampleServiceOptions;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`sample-service: ${(error as Error).message}\n${usage}\n`);
    process.exit(2);
  }
  serve(options);
}
