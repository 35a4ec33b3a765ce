/**
 * The sample service: one process per version, with an injectable error rate and latency, so a local
 * deployment has something real to shift traffic to and to roll back from.
 *
 *   node examples/sample-service/server.ts --version 1.1.0 --error-rate 0.05 --latency-ms 20 \
 *     [--conversion-rate 0.5] [--unhealthy] [--port 0] \
 *     [--flag-url http://127.0.0.1:… --flag new-checkout \
 *      --treatment-error-rate 0.05 --treatment-latency-ms 40 --treatment-conversion-rate 0.35]
 *
 * Prints one JSON line `{"event":"listening","port":…,"version":…,"pid":…}` once it listens on 127.0.0.1,
 * then its metrics as CloudWatch embedded-metric-format records (`emfRecord`): per arm, the requests, the 5xx
 * answers and each latency, and the checkouts: every request that answers is a checkout started, and a share
 * `--conversion-rate` of them completes. The arm (the `Variant` dimension) is `GLIDEPATH_VARIANT`, which
 * Glidepath sets on each colour's tasks; with `--flag`, it is the variant of the flag that the flag store
 * (`--flag-url`, asked per request as an application asks AppConfig Agent, with the request's `x-user-id` as
 * `userId`) chose for the request, and the `treatment` variant behaves as the `--treatment-*` options say.
 */
import { createServer } from "node:http";
import { parseArgs } from "node:util";

/** How the new code path behind the flag behaves, when the flag's treatment variant is chosen. */
export interface TreatmentBehaviour {
  readonly errorRate: number;
  readonly latencyMs: number;
  readonly conversionRate: number;
}

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
  /** Ask the flag store at `url` for `flag` per request; absent without `--flag`. */
  readonly flag?: { readonly url: string; readonly name: string; readonly treatment: TreatmentBehaviour };
}

/** Where the sample service's business metric goes: the namespace and dimensions the sample config reads. */
export const SampleMetrics = {
  namespace: "Glidepath/Sample",
  service: "sample",
  started: "checkout_started",
  completed: "checkout_completed",
} as const;

/** What one arm did since the last record. */
export interface ArmCounts {
  readonly at: number;
  readonly variant: string;
  readonly started: number;
  readonly completed: number;
  /** Requests answered, and of them with a 5xx. @default 0 */
  readonly requests?: number;
  readonly errors?: number;
  /** Each request's latency in milliseconds. @default [] */
  readonly latenciesMs?: readonly number[];
}

/**
 * One embedded-metric-format record of one arm: its requests, 5xx answers and latencies (one value each, as
 * an EMF array) and its checkouts started and completed since the last record. CloudWatch sums the counts into
 * the `Sum` statistic per period and computes percentiles of `Latency`.
 */
export function emfRecord(counts: ArmCounts) {
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
            { Name: "Requests", Unit: "Count" },
            { Name: "Errors", Unit: "Count" },
            { Name: "Latency", Unit: "Milliseconds" },
          ],
        },
      ],
    },
    Service: SampleMetrics.service,
    Variant: counts.variant,
    [SampleMetrics.started]: counts.started,
    [SampleMetrics.completed]: counts.completed,
    Requests: counts.requests ?? 0,
    Errors: counts.errors ?? 0,
    Latency: [...(counts.latenciesMs ?? [])],
  };
}

const usage =
  "usage: server.ts --version <v> [--error-rate <0..1>] [--latency-ms <ms>] [--conversion-rate <0..1>] [--unhealthy] [--port <0..65535>] [--flag-url <url> --flag <key> [--treatment-error-rate <0..1>] [--treatment-latency-ms <ms>] [--treatment-conversion-rate <0..1>]]";

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
      "flag-url": { type: "string" },
      flag: { type: "string" },
      "treatment-error-rate": { type: "string" },
      "treatment-latency-ms": { type: "string" },
      "treatment-conversion-rate": { type: "string" },
    },
  });
  if (values.version === undefined || values.version.trim() === "") throw new Error("--version is required");
  const errorRate = share("--error-rate", values["error-rate"]);
  const latencyMs = milliseconds("--latency-ms", values["latency-ms"]);
  const conversionRate = share("--conversion-rate", values["conversion-rate"]);
  const port = Number(values.port);
  if (values.port.trim() === "" || !Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`--port must be an integer from 0 to 65535, got '${values.port}'`);
  }
  const options = {
    version: values.version,
    errorRate,
    latencyMs,
    unhealthy: values.unhealthy,
    conversionRate,
    port,
  };
  const treatmentGiven = ["treatment-error-rate", "treatment-latency-ms", "treatment-conversion-rate"].filter(
    (name) => values[name as keyof typeof values] !== undefined,
  );
  if ((values["flag-url"] === undefined) !== (values.flag === undefined)) {
    throw new Error("--flag-url and --flag go together: the flag store to ask, and the flag to ask it for");
  }
  if (values["flag-url"] === undefined || values.flag === undefined) {
    if (treatmentGiven.length > 0) throw new Error(`--${treatmentGiven[0]} needs --flag-url and --flag`);
    return options;
  }
  if (!/^https?:\/\//.test(values["flag-url"])) {
    throw new Error(`--flag-url must be an http:// URL, got '${values["flag-url"]}'`);
  }
  const treatment = {
    errorRate: share("--treatment-error-rate", values["treatment-error-rate"] ?? String(errorRate)),
    latencyMs: milliseconds("--treatment-latency-ms", values["treatment-latency-ms"] ?? String(latencyMs)),
    conversionRate: share(
      "--treatment-conversion-rate",
      values["treatment-conversion-rate"] ?? String(conversionRate),
    ),
  };
  return { ...options, flag: { url: values["flag-url"], name: values.flag, treatment } };
}

function share(flag: string, text: string): number {
  const value = Number(text);
  if (text.trim() === "" || !(value >= 0 && value <= 1))
    throw new Error(`${flag} must be a number from 0 to 1, got '${text}'`);
  return value;
}

function milliseconds(flag: string, text: string): number {
  const value = Number(text);
  if (text.trim() === "" || !(value >= 0 && value <= 60_000))
    throw new Error(`${flag} must be a number of milliseconds from 0 to 60000, got '${text}'`);
  return value;
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

/** The arm a request is on, and how it behaves there. */
interface Arm {
  readonly variant: string;
  readonly behaviour: TreatmentBehaviour;
}

/**
 * Asks the flag store which variant the request's user gets; a store that does not answer puts the request on
 * control, as AppConfig's SDKs fall back to a flag's default.
 */
async function armOf(options: SampleServiceOptions, userId: string | undefined): Promise<Arm> {
  const base: Arm = { variant: process.env.GLIDEPATH_VARIANT ?? "unknown", behaviour: options };
  const flag = options.flag;
  if (flag === undefined) return base;
  const control: Arm = { variant: "control", behaviour: options };
  try {
    const response = await fetch(`${flag.url}/flags/${encodeURIComponent(flag.name)}`, {
      headers: userId === undefined ? {} : { context: `userId=${userId}` },
    });
    const answer = (await response.json()) as { enabled?: unknown; variant?: unknown };
    if (answer.variant === "treatment" && answer.enabled === true)
      return { variant: "treatment", behaviour: flag.treatment };
    return typeof answer.variant === "string" ? { variant: answer.variant, behaviour: options } : control;
  } catch {
    return control;
  }
}

function serve(options: SampleServiceOptions): void {
  const arms = new Map<
    string,
    { started: number; completed: number; requests: number; errors: number; latenciesMs: number[] }
  >();
  const countsOf = (variant: string) => {
    let counts = arms.get(variant);
    if (counts === undefined) {
      counts = { started: 0, completed: 0, requests: 0, errors: 0, latenciesMs: [] };
      arms.set(variant, counts);
    }
    return counts;
  };
  const flush = () => {
    const at = Date.now();
    for (const [variant, counts] of arms) {
      if (counts.requests === 0) continue;
      process.stdout.write(`${JSON.stringify(emfRecord({ at, variant, ...counts }))}\n`);
    }
    arms.clear();
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
    const userId = request.headers["x-user-id"];
    const received = performance.now();
    armOf(options, typeof userId === "string" ? userId : undefined).then(({ variant, behaviour }) => {
      const failed = Math.random() < behaviour.errorRate;
      setTimeout(() => {
        const counts = countsOf(variant);
        counts.requests += 1;
        counts.latenciesMs.push(Math.round((performance.now() - received) * 10) / 10);
        if (failed) counts.errors += 1;
        else {
          counts.started += 1;
          if (Math.random() < behaviour.conversionRate) counts.completed += 1;
        }
        answer(
          failed
            ? json(500, { error: "injected failure", version: options.version, variant })
            : json(200, { version: options.version, variant }),
        );
      }, sampleLatencyMs(behaviour.latencyMs));
    });
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
