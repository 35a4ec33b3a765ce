/**
 * The sample Lambda function: each version an answer with an injectable error rate and latency, so a local
 * deployment of a function has versions to shift an alias between and to roll back from. The local Lambda
 * service runs each code in its own process with the scenario's behaviour in the environment, as a function's
 * configuration would set it:
 *
 * - `SAMPLE_VERSION`: the version it reports;
 * - `SAMPLE_ERROR_RATE`: chance (0 to 1) that an invocation throws, a function error Lambda counts in `Errors`;
 * - `SAMPLE_LATENCY_MS`: how long an invocation takes, which Lambda counts in `Duration`;
 * - `SAMPLE_INIT_FAILS`: `true` makes the module fail to load, as code with an init error.
 */

const version = process.env.SAMPLE_VERSION ?? "unknown";
const errorRate = Number(process.env.SAMPLE_ERROR_RATE ?? "0");
const latencyMs = Number(process.env.SAMPLE_LATENCY_MS ?? "0");
if (process.env.SAMPLE_INIT_FAILS === "true") throw new Error(`version ${version} cannot start: init failed`);

export async function handler(event: {
  readonly name?: string;
}): Promise<{ version: string; greeting: string }> {
  if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs * (0.5 + Math.random())));
  if (Math.random() < errorRate) throw new Error(`version ${version} failed this invocation`);
  return { version, greeting: `hello, ${event.name ?? "world"}` };
}
