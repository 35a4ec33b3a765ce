import { parseArgs } from "node:util";
import { dynamoDbStores } from "../../functions/adapters/aws/dynamodb-stores.ts";
import { LocalBus } from "../../functions/adapters/local/local-bus.ts";
import { LocalTaskCallbacks } from "../../functions/adapters/local/local-task-callbacks.ts";
import { LocalTrafficRouter } from "../../functions/adapters/local/local-traffic-router.ts";
import { LineNotifier } from "../../functions/adapters/log-notifier.ts";
import { parseConfig } from "../../functions/domain/config/index.ts";
import { resolveWaves } from "../../functions/domain/config/waves.ts";
import { deploymentRequest } from "../../functions/domain/deployment-request.ts";
import { ErrorNames } from "../../functions/domain/errors.ts";
import type { DeployTarget, TargetStatus } from "../../functions/domain/ports/deploy-target.ts";
import type { HealthSignals } from "../../functions/domain/ports/health-signals.ts";
import type { Ports } from "../../functions/domain/ports/index.ts";
import type { Colour, ColourWeights } from "../../functions/domain/ports/traffic-router.ts";
import { createResolveGateHandler } from "../../functions/handlers/resolve-gate.ts";
import { logger } from "../../functions/shared/logger.ts";
import { startDynalite } from "../../local/dynalite.ts";
import { renderStateMachines } from "../../local/render-asl.ts";
import { runExecution } from "../../local/run-execution.ts";
import { stepHandlers } from "../../local/step-handlers.ts";
import { synthesizeTemplate } from "../../local/synthesize.ts";
import { tableFromTemplate } from "../../local/table-from-template.ts";

const account = "000000000000";
const alarmName = "checkout-5xx";

/**
 * `npm run bench -- rollback-latency [--interval 5] [--runs 5]`: time from an alarm going into ALARM to the
 * old version back at 100% of traffic, event-driven (the Alarm State Change event fails the open bake gate)
 * against the polling bake loop (the next evaluation sees the alarm), on the same local stack: the canary
 * state machine synthesized from the stack on aws-local-stepfunctions, the real handlers, dynalite. Only the
 * target is in memory (always healthy) so that nothing but the reaction is measured.
 */
export async function main(argv: readonly string[]): Promise<void> {
  logger.setLogLevel("SILENT");
  const { values } = parseArgs({
    args: [...argv],
    options: { interval: { type: "string", default: "5" }, runs: { type: "string", default: "5" } },
  });
  const intervalSeconds = Number(values.interval);
  const runs = Number(values.runs);
  if (!(Number.isInteger(intervalSeconds) && intervalSeconds >= 1))
    throw new RangeError("--interval must be whole seconds ≥ 1");
  if (!(Number.isInteger(runs) && runs >= 1 && runs <= 50))
    throw new RangeError("--runs must be from 1 to 50");

  const config = parseConfig({
    services: [
      {
        name: "checkout",
        artifact: { type: "custom", source: "bench" },
        target: { type: "local" },
        environments: [
          {
            name: "production",
            account,
            region: "eu-west-1",
            strategy: { type: "canary", steps: [{ setWeight: 10 }, { bake: { seconds: 3600 } }] },
            alarms: [{ name: alarmName }],
            analysis: { intervalSeconds, minRequests: 0 },
          },
        ],
      },
    ],
  });
  const template = synthesizeTemplate(config);
  const machine = renderStateMachines(template).get("canary");
  if (machine === undefined) throw new Error("no canary state machine");
  const table = await startDynalite(tableFromTemplate(template, "bench"));
  const samples = { eventDriven: [] as number[], polling: [] as number[] };
  try {
    for (let run = 0; run < runs; run++) {
      for (const mode of ["eventDriven", "polling"] as const) {
        const ms = await measure(mode, run, table, machine, config, intervalSeconds);
        samples[mode].push(ms);
        console.log(
          `run ${run + 1}/${runs}  ${mode === "eventDriven" ? "event-driven" : "polling     "}  ${ms.toFixed(1).padStart(8)} ms`,
        );
      }
    }
  } finally {
    await table.close();
  }
  const eventDrivenMs = median(samples.eventDriven);
  const pollingMs = median(samples.polling);
  console.log(`\nmedian over ${runs} run(s), evaluation every ${intervalSeconds} s:`);
  console.log(
    `  event-driven (Alarm State Change → resolve-gate → rollback)  ${eventDrivenMs.toFixed(1)} ms`,
  );
  console.log(`  polling (the next evaluation sees the alarm)                 ${pollingMs.toFixed(1)} ms`);
  console.log(
    JSON.stringify({
      eventDrivenMs: round(eventDrivenMs),
      pollingMs: round(pollingMs),
      ratio: round(pollingMs / eventDrivenMs),
      intervalSeconds,
      runs,
    }),
  );
}

async function measure(
  mode: "eventDriven" | "polling",
  run: number,
  table: Awaited<ReturnType<typeof startDynalite>>,
  machine: NonNullable<ReturnType<ReturnType<typeof renderStateMachines>["get"]>>,
  config: ReturnType<typeof parseConfig>,
  intervalSeconds: number,
): Promise<number> {
  const weights: { current: ColourWeights; restoredAt?: number } = { current: { blue: 100, green: 0 } };
  let alarmAt: number | undefined;
  const router = new LocalTrafficRouter({
    weights: () => weights.current,
    setWeights: (next) => {
      weights.current = next;
      if (next.green === 0 && alarmAt !== undefined && weights.restoredAt === undefined)
        weights.restoredAt = performance.now();
    },
  });
  const callbacks = new LocalTaskCallbacks();
  const stores = dynamoDbStores({ client: table.client, tableName: table.tableName });
  const ports: Ports = {
    ...stores,
    callbacks,
    notifier: new LineNotifier(() => undefined),
    account,
    executionUrl: (arn) => arn,
    clock: () => new Date(),
    trafficRouter: () => router,
    deployTarget: () => alwaysHealthy,
    healthSignals: () => signals(() => alarmAt),
  };
  const resolveGate = createResolveGateHandler(ports);
  const bus = new LocalBus({ account, region: "eu-west-1", deliver: resolveGate });
  const service = config.services[0];
  const environment = service?.environments[0];
  if (service === undefined || environment === undefined) throw new Error("bench config");
  const digest = `sha256:${mode}-${run}-${Date.now()}`;
  const { deployment } = await stores.deployments.create({
    service: service.name,
    environment: environment.name,
    artifact: { uri: `local://checkout@${digest}`, digest, version: "2.0.0" },
    strategy: "canary",
  });
  const wave = resolveWaves(service, environment)[0];
  if (wave === undefined) throw new Error("bench config has no wave");
  const input = deploymentRequest({
    service,
    environment,
    wave,
    deployment,
    timing: { deployCheckSeconds: 1, deployMaxChecks: 3, shiftCheckSeconds: 1 },
  });
  const execution = runExecution({
    machine,
    input,
    executionName: `bench-${mode}-${run}`,
    steps: { ...stepHandlers(ports), "resolve-gate": resolveGate },
    callbacks,
    waitMs: { "Wait for rollout": 0 },
  });
  // The alarm fires at a random point of a bake interval, as alarms do.
  while ((await stores.gates.getOpen(deployment.id))?.kind !== "bake") await sleep(5);
  await sleep(Math.random() * intervalSeconds * 1000);
  alarmAt = performance.now();
  const alarm = {
    alarmName,
    state: { value: "ALARM" as const, reason: "Threshold Crossed", timestamp: new Date().toISOString() },
    previousState: {
      value: "OK" as const,
      reason: "Threshold not crossed",
      timestamp: new Date().toISOString(),
    },
  };
  if (mode === "eventDriven") await bus.putAlarmChange(alarm);
  const result = await execution;
  if (result.error !== ErrorNames.AlarmFired || weights.restoredAt === undefined) {
    throw new Error(
      `the ${mode} run did not roll back on the alarm: ${result.status} ${result.error ?? ""} ${result.cause ?? ""}`,
    );
  }
  return weights.restoredAt - alarmAt;
}

/** The new colour's rollout is always stable: the benchmark measures the reaction, not a deploy. */
const alwaysHealthy: DeployTarget = {
  prepare: async (input) => ({ revision: `local:${input.version}`, desiredCount: input.desiredCount }),
  scale: async () => undefined,
  status: async (colour: Colour): Promise<TargetStatus> => ({
    colour,
    revision: "local:1.0.0",
    desiredCount: 2,
    runningCount: 2,
    healthyTargets: 2,
    unhealthyTargets: 0,
    stable: true,
    failed: false,
  }),
};

/** The alarm is in ALARM from `alarmAt` on; the metrics stay healthy so only the alarm can roll back. */
function signals(alarmAt: () => number | undefined): HealthSignals {
  return {
    putAlarms: async () => undefined,
    alarms: async (names) => ({
      found: names.map((name) => ({
        name,
        type: "metric" as const,
        state: alarmAt() === undefined ? ("OK" as const) : ("ALARM" as const),
        reason: "Threshold Crossed",
        updatedAt: new Date().toISOString(),
      })),
      missing: [],
    }),
    businessMetrics: async () => [],
    armMetrics: async () => ({
      blue: { requests: 9000, errors: 45, p95Ms: 40 },
      green: { requests: 1000, errors: 5, p95Ms: 40 },
    }),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round = (value: number) => Math.round(value * 10) / 10;

function median(values: readonly number[]): number {
  const sorted = values.toSorted((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}
