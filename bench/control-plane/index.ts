import { createHash } from "node:crypto";
import { parseArgs } from "node:util";
import { PutItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { dynamoDbStores } from "../../functions/adapters/aws/dynamodb-stores.ts";
import { type GlidepathConfig, parseConfig } from "../../functions/domain/config/index.ts";
import { ErrorNames } from "../../functions/domain/errors.ts";
import { isPromotionOver, PromotionStatus } from "../../functions/domain/promotion/record.ts";
import type { PromotionEnvironment, PromotionRequest } from "../../functions/domain/promotion/request.ts";
import { ArtifactPublishedDetailType } from "../../functions/domain/triggers.ts";
import { applyPromotionEvent } from "../../functions/handlers/promotion-runner.ts";
import { createTriggerHandler, type TriggerOutcome } from "../../functions/handlers/trigger.ts";
import { logger } from "../../functions/shared/logger.ts";
import { type LocalTable, startDynalite } from "../../local/dynalite.ts";
import { synthesizeTemplate } from "../../local/synthesize.ts";
import { tableFromTemplate } from "../../local/table-from-template.ts";
import { mulberry32, seedOf } from "../blast-radius/random.ts";

const source = "bench.control-plane";
const account = "000000000000";

/** One artifact event as EventBridge delivers it, and the push it carries. */
interface ArtifactEvent {
  readonly service: string;
  /** The push's place in its service's order: higher is newer. */
  readonly push: number;
  readonly duplicate: boolean;
  readonly envelope: unknown;
}

/**
 * `npm run bench -- control-plane [--events 1000] [--services 200] [--seed 1] [--concurrency 16]`: artifact
 * events for many services (`queue` and `supersede` alternating), with redeliveries and reordering, through the
 * real trigger and promotion controller on dynalite, `concurrency` deliveries at a time as Lambda takes them off
 * the rule. A started promotion "runs" for a few milliseconds and then finishes through the same
 * `applyPromotionEvent` the promote step calls, which hands the lock on. Checked: never two promotions running
 * for a service, every service ends on its newest artifact with its lock free, every event has an outcome and
 * every promotion a terminal record. Beside it, in the same run: the floor, the raw conditional writes an
 * event needs at least (a conditional put of the promotion, a conditional update of the lock).
 */
export async function main(argv: readonly string[]): Promise<void> {
  logger.setLogLevel("SILENT");
  const { values } = parseArgs({
    args: [...argv],
    options: {
      events: { type: "string", default: "1000" },
      services: { type: "string", default: "200" },
      seed: { type: "string", default: "1" },
      concurrency: { type: "string", default: "16" },
    },
  });
  const events = wholeNumber(values.events, "--events", 1, 100_000);
  const services = wholeNumber(values.services, "--services", 1, 10_000);
  const seed = wholeNumber(values.seed, "--seed", 0, 2 ** 31 - 1);
  const concurrency = wholeNumber(values.concurrency, "--concurrency", 1, 256);
  if (events < services) throw new RangeError("--events must be at least --services (a push per service)");

  const config = benchConfig(services);
  const table = await startDynalite(tableFromTemplate(synthesizeTemplate(config) as never, "bench"));
  try {
    const list = artifactEvents(config, events, seed);
    const run = await runTrigger(table, config, list, concurrency);
    const floor = await runFloor(table, list, concurrency);
    const peakRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
    const ratio = run.eventsPerSecond > 0 ? floor.eventsPerSecond / run.eventsPerSecond : 0;
    console.log(
      `${events} artifact events over ${services} services (seed ${seed}, ${concurrency} at a time; ${list.filter((event) => event.duplicate).length} redelivered; each redelivery swapped with an event anywhere, then all shuffled in windows of 8)`,
    );
    console.log("");
    console.log("                       events/s   p50 ms   p99 ms");
    console.log(
      `trigger + controller   ${fmt(run.eventsPerSecond, 8)} ${fmt(run.p50Ms, 8)} ${fmt(run.p99Ms, 8)}`,
    );
    console.log(
      `raw conditional writes ${fmt(floor.eventsPerSecond, 8)} ${fmt(floor.p50Ms, 8)} ${fmt(floor.p99Ms, 8)}`,
    );
    console.log(`floor / trigger        ${fmt(ratio, 8)}x`);
    console.log(`peak RSS               ${peakRssMiB} MiB`);
    console.log(
      `outcomes               ${Object.entries(run.outcomes)
        .map(([outcome, count]) => `${outcome} ${count}`)
        .join(", ")}`,
    );
    console.log(
      `promotions             ${Object.entries(run.records)
        .map(([status, count]) => `${status} ${count}`)
        .join(", ")}`,
    );
    console.log(
      `failed deliveries      ${run.failures.length}${run.failures.length === 0 ? "" : ` (retried; first: ${run.failures[0]})`}`,
    );
    console.log(`violations             ${run.violations.length === 0 ? "none" : run.violations.join("; ")}`);
    console.log(
      JSON.stringify({
        events,
        services,
        seed,
        concurrency,
        eventsPerSecond: round(run.eventsPerSecond),
        p50Ms: round(run.p50Ms),
        p99Ms: round(run.p99Ms),
        peakRssMiB,
        floorEventsPerSecond: round(floor.eventsPerSecond),
        floorP99Ms: round(floor.p99Ms),
        ratio: round(ratio),
        outcomes: run.outcomes,
        promotions: run.records,
        failedDeliveries: run.failures.length,
        violations: run.violations,
      }),
    );
    if (run.violations.length > 0) process.exitCode = 1;
  } finally {
    await table.close();
  }
}

function benchConfig(services: number): GlidepathConfig {
  return parseConfig({
    services: Array.from({ length: services }, (_, index) => ({
      name: `svc-${String(index).padStart(4, "0")}`,
      artifact: { type: "custom", source },
      target: { type: "local" },
      concurrency: index % 2 === 0 ? "queue" : "supersede",
      environments: [{ name: "dev", account, region: "eu-west-1", strategy: "ECSAllAtOnce" }],
    })),
  });
}

/**
 * Nine in ten events are pushes (round robin over the services, each service's pushes newer as they go), one in
 * ten the redelivery of an earlier one, each swapped with an event anywhere in the list (EventBridge keeps no
 * order), then shuffled within windows of eight. Each push's time is its place in push order.
 */
function artifactEvents(config: GlidepathConfig, count: number, seed: number): ArtifactEvent[] {
  const random = mulberry32(seedOf(seed, 17));
  const pushes = Math.max(config.services.length, Math.round(count * 0.9));
  const base = Date.parse("2026-12-01T09:00:00Z");
  const list: ArtifactEvent[] = [];
  for (let index = 0; index < pushes; index++) {
    const service = config.services[index % config.services.length]?.name ?? "";
    const push = Math.floor(index / config.services.length);
    const version = `1.0.${push}`;
    const digest = `sha256:${createHash("sha256").update(`${service}:${push}`).digest("hex")}`;
    list.push({
      service,
      push,
      duplicate: false,
      envelope: {
        version: "0",
        id: `event-${index}`,
        "detail-type": ArtifactPublishedDetailType,
        source,
        account,
        time: new Date(base + index * 1000).toISOString(),
        region: "eu-west-1",
        resources: [],
        detail: { service, uri: `local://${service}@${digest}`, digest, version },
      },
    });
  }
  while (list.length < count) {
    const original = list[Math.floor(random() * pushes)] as ArtifactEvent;
    list.push({ ...original, duplicate: true });
  }
  // Each redelivery swaps places with any event (so a push, older than its service's next ones, may come last);
  // then reordering within windows of eight.
  for (let index = pushes; index < list.length; index++) {
    const target = Math.floor(random() * list.length);
    [list[index], list[target]] = [list[target] as ArtifactEvent, list[index] as ArtifactEvent];
  }
  for (let start = 0; start < list.length; start += 8) {
    for (let index = Math.min(list.length, start + 8) - 1; index > start; index--) {
      const other = start + Math.floor(random() * (index - start + 1));
      [list[index], list[other]] = [list[other] as ArtifactEvent, list[index] as ArtifactEvent];
    }
  }
  return list;
}

interface RunResult {
  readonly eventsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly outcomes: Record<string, number>;
  readonly records: Record<string, number>;
  /** Deliveries the trigger failed (each retried, as Lambda retries them). */
  readonly failures: string[];
  readonly violations: string[];
}

async function runTrigger(
  table: LocalTable,
  config: GlidepathConfig,
  list: readonly ArtifactEvent[],
  concurrency: number,
): Promise<RunResult> {
  const stores = dynamoDbStores({ client: table.client, tableName: table.tableName });
  const violations: string[] = [];
  const running = new Map<string, string>();
  const finishing: Promise<unknown>[] = [];
  const startedIds = new Set<string>();
  /** The promotion of each service that ended PROMOTED last, in the order the ends happened. */
  const endedOn = new Map<string, string>();
  const ports = {
    ...stores,
    config,
    clock: () => new Date(),
    // StartExecution: the promotion runs a few milliseconds, then its pipeline's end finishes it.
    start: async (request: PromotionRequest) => {
      if (!startedIds.has(request.promotionId)) {
        startedIds.add(request.promotionId);
        const other = running.get(request.service);
        if (other !== undefined && other !== request.promotionId)
          violations.push(`${request.service}: ${request.promotionId} started while ${other} ran`);
        running.set(request.service, request.promotionId);
        const environment = request.environments[0];
        if (environment === undefined) throw new Error(`${request.promotionId} has no environment`);
        finishing.push(
          finishSoon(request.promotionId, request.service, environment).catch((error: unknown) => {
            violations.push(`${request.promotionId}: its end failed: ${(error as Error).message}`);
          }),
        );
      }
      return { executionArn: `arn:aws:states:eu-west-1:${account}:execution:bench:${request.promotionId}` };
    },
    abort: async () => undefined,
  };
  const finishSoon = async (promotionId: string, service: string, environment: PromotionEnvironment) => {
    await new Promise((resolve) => setTimeout(resolve, 2 + Math.random() * 8));
    // The start is recorded after StartExecution answers; a pipeline's end always comes later than that.
    while ((await stores.promotions.get(promotionId))?.status !== PromotionStatus.Running)
      await new Promise((resolve) => setTimeout(resolve, 2));
    if (running.get(service) === promotionId) running.delete(service);
    // What the pipeline's promote step tells the record: dev entered, its wave ended, dev succeeded, the end.
    const at = () => new Date().toISOString();
    try {
      await applyPromotionEvent(
        ports,
        promotionId,
        { type: "entered", environment: "dev", at: at() },
        {
          environment,
        },
      );
      const record = await stores.promotions.get(promotionId);
      for (const wave of record?.environments[0]?.waves ?? []) {
        await applyPromotionEvent(ports, promotionId, {
          type: "wave-ended",
          environment: "dev",
          deploymentId: wave.deploymentId,
          at: at(),
        });
      }
      await applyPromotionEvent(ports, promotionId, {
        type: "environment-succeeded",
        environment: "dev",
        at: at(),
      });
      await applyPromotionEvent(ports, promotionId, { type: "finished", outcome: "promoted", at: at() });
      endedOn.set(service, promotionId);
    } catch (error) {
      // A superseded promotion is told to stop before it enters: its pipeline ends it as stopped.
      if ((error as Error).name !== ErrorNames.PromotionBlocked) throw error;
      await applyPromotionEvent(ports, promotionId, {
        type: "finished",
        outcome: "stopped",
        reason: (error as Error).message,
        at: at(),
      });
    }
  };
  const trigger = createTriggerHandler(ports);
  const outcomes: Record<string, number> = {};
  const promotionIds = new Set<string>();
  const latencies: number[] = [];
  const failures: string[] = [];
  const began = performance.now();
  await pool(list, concurrency, async (event) => {
    const at = performance.now();
    // Lambda retries a failed asynchronous invocation twice before the rule's dead-letter queue keeps it.
    let answers: readonly TriggerOutcome[] = [];
    for (let attempt = 1; ; attempt++) {
      try {
        answers = (await trigger(event.envelope)) as readonly TriggerOutcome[];
        break;
      } catch (error) {
        const message = `${event.service} 1.0.${event.push}: ${(error as Error).name}: ${(error as Error).message}`;
        failures.push(message);
        if (attempt === 3) {
          violations.push(`${message} (dead-lettered after 3 attempts)`);
          break;
        }
      }
    }
    latencies.push(performance.now() - at);
    if (answers.length === 0 && violations.length === 0)
      violations.push(`an event of ${event.service} had no outcome`);
    for (const answer of answers) {
      outcomes[answer.outcome] = (outcomes[answer.outcome] ?? 0) + 1;
      if (answer.outcome === "ignored") violations.push(`${event.service}: ignored (${answer.reason})`);
      else promotionIds.add(answer.promotionId);
    }
  });
  // Every finish may start the next waiting promotion, which finishes in turn.
  for (let settled = 0; settled < finishing.length; settled = finishing.length) {
    await Promise.all(finishing.slice(settled));
  }
  const seconds = (performance.now() - began) / 1000;

  const records: Record<string, number> = {};
  const newest = new Map<string, number>();
  for (const event of list) newest.set(event.service, Math.max(newest.get(event.service) ?? 0, event.push));
  const versionOf = new Map<string, string>();
  for (const id of promotionIds) {
    const record = await stores.promotions.get(id);
    if (record === undefined) {
      violations.push(`${id}: an outcome named it, and it has no record`);
      continue;
    }
    records[record.status] = (records[record.status] ?? 0) + 1;
    if (!isPromotionOver(record.status)) violations.push(`${id}: still ${record.status}`);
    if (record.status === PromotionStatus.Promoted) {
      versionOf.set(record.id, record.artifact.version);
    }
  }
  for (const service of config.services) {
    const lock = await stores.promotions.getLock(service.name);
    if (lock.holder !== undefined || lock.queued !== undefined)
      violations.push(
        `${service.name}: lock still ${lock.holder === undefined ? `queued for ${lock.queued}` : `held by ${lock.holder}`}`,
      );
    const wanted = `1.0.${newest.get(service.name) ?? 0}`;
    const endsOn = versionOf.get(endedOn.get(service.name) ?? "");
    if (endsOn !== wanted)
      violations.push(`${service.name}: ends on ${endsOn ?? "nothing"}, its newest artifact is ${wanted}`);
  }
  return {
    eventsPerSecond: list.length / seconds,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    outcomes,
    records,
    failures,
    violations,
  };
}

/** The least DynamoDB work an event needs: the promotion put if absent, the lock taken if free. */
async function runFloor(
  table: LocalTable,
  list: readonly ArtifactEvent[],
  concurrency: number,
): Promise<{ eventsPerSecond: number; p50Ms: number; p99Ms: number }> {
  const latencies: number[] = [];
  const began = performance.now();
  await pool(list, concurrency, async (event, index) => {
    const at = performance.now();
    const key = `FLOOR#${event.service}#${event.push}`;
    await table.rawClient
      .send(
        new PutItemCommand({
          TableName: table.tableName,
          Item: { pk: { S: key }, sk: { S: "PROMOTION" }, status: { S: "QUEUED" } },
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      )
      .catch(conditionFailedOnly);
    await table.rawClient
      .send(
        new UpdateItemCommand({
          TableName: table.tableName,
          Key: { pk: { S: `FLOORLOCK#${event.service}` }, sk: { S: "LOCK" } },
          UpdateExpression: "SET holder = :me",
          ConditionExpression: "attribute_not_exists(holder) OR holder = :me",
          ExpressionAttributeValues: { ":me": { S: `${key}#${index % 2}` } },
        }),
      )
      .catch(conditionFailedOnly);
    latencies.push(performance.now() - at);
  });
  const seconds = (performance.now() - began) / 1000;
  return {
    eventsPerSecond: list.length / seconds,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
  };
}

function conditionFailedOnly(error: unknown): void {
  if ((error as Error).name !== "ConditionalCheckFailedException") throw error;
}

/** Runs `work` over `items`, `width` at a time. */
async function pool<T>(
  items: readonly T[],
  width: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

function percentile(values: readonly number[], p: number): number {
  const sorted = values.toSorted((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

function wholeNumber(value: string | undefined, name: string, min: number, max: number): number {
  const parsed = Number(value);
  if (!(Number.isInteger(parsed) && parsed >= min && parsed <= max))
    throw new RangeError(`${name} must be a whole number from ${min} to ${max}, not ${value}`);
  return parsed;
}

const round = (value: number) => Math.round(value * 10) / 10;
const fmt = (value: number, width: number) => value.toFixed(1).padStart(width);
