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
import { wholeNumber } from "../options.ts";
import { quantile } from "../stats.ts";

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

export interface ControlPlaneOptions {
  readonly events: number;
  readonly services: number;
  readonly seed: number;
  /** Deliveries at a time, as Lambda takes them off the rule. */
  readonly concurrency: number;
}

export const defaultOptions: ControlPlaneOptions = { events: 1000, services: 200, seed: 1, concurrency: 16 };

export interface ControlPlaneReport {
  readonly options: ControlPlaneOptions;
  readonly redelivered: number;
  readonly trigger: RunResult;
  readonly floor: Latency;
  readonly peakRssMiB: number;
}

/**
 * `npm run bench -- control-plane [--events 1000] [--services 200] [--seed 1] [--concurrency 16]`: artifact
 * events for many services (`queue` and `supersede` alternating), with redeliveries and reordering, through the
 * real trigger and promotion controller on dynalite, `concurrency` deliveries at a time as Lambda takes them off
 * the rule. A started promotion "runs" for a few milliseconds and then finishes through the same
 * `applyPromotionEvent` the promote step calls, which hands the lock on. Checked: never two promotions running
 * for a service, every service ends on its newest artifact with its lock free, every event has an outcome and
 * every promotion a terminal record. Beside it, in the same run: the floor, the raw conditional writes an
 * event needs at least (a conditional put of the promotion, a conditional update of the lock). Exits 1 when a
 * check fails, naming each violation on the last line.
 */
export async function main(argv: readonly string[]): Promise<void> {
  logger.setLogLevel("SILENT");
  const { values } = parseArgs({
    args: [...argv],
    options: {
      events: { type: "string", default: String(defaultOptions.events) },
      services: { type: "string", default: String(defaultOptions.services) },
      seed: { type: "string", default: String(defaultOptions.seed) },
      concurrency: { type: "string", default: String(defaultOptions.concurrency) },
    },
  });
  const report = await runControlPlane({
    events: wholeNumber(values.events, "--events", 1, 100_000),
    services: wholeNumber(values.services, "--services", 1, 10_000),
    seed: wholeNumber(values.seed, "--seed", 0, 2 ** 31 - 1),
    concurrency: wholeNumber(values.concurrency, "--concurrency", 1, 256),
  });
  console.log(formatReport(report));
  if (report.trigger.violations.length > 0) process.exitCode = 1;
}

/** Runs the benchmark on a dynalite table of its own, synthesized from the benchmark's config. */
export async function runControlPlane(options: ControlPlaneOptions): Promise<ControlPlaneReport> {
  const { events, services, seed, concurrency } = options;
  if (events < services) throw new RangeError("--events must be at least --services (a push per service)");
  const config = benchConfig(services);
  const table = await startDynalite(tableFromTemplate(synthesizeTemplate(config) as never, "bench"));
  try {
    const list = artifactEvents(config, events, seed);
    const trigger = await runTrigger(table, config, list, { concurrency, seed });
    const floor = await runFloor(table, list, concurrency);
    return {
      options,
      redelivered: list.filter((event) => event.duplicate).length,
      trigger,
      floor,
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    };
  } finally {
    await table.close();
  }
}

/** The table, then one JSON line: the summary. */
export function formatReport(report: ControlPlaneReport): string {
  const { options, trigger: run, floor, peakRssMiB } = report;
  const ratio = run.eventsPerSecond > 0 ? floor.eventsPerSecond / run.eventsPerSecond : 0;
  const counts = (record: Record<string, number>) =>
    Object.entries(record)
      .map(([key, count]) => `${key} ${count}`)
      .join(", ");
  return [
    `${options.events} artifact events over ${options.services} services (seed ${options.seed}, ${options.concurrency} at a time; ${report.redelivered} redelivered; each redelivery swapped with an event anywhere, then all shuffled in windows of 8)`,
    "",
    "                       events/s   p50 ms   p99 ms",
    `trigger + controller   ${fmt(run.eventsPerSecond, 8)} ${fmt(run.p50Ms, 8)} ${fmt(run.p99Ms, 8)}`,
    `raw conditional writes ${fmt(floor.eventsPerSecond, 8)} ${fmt(floor.p50Ms, 8)} ${fmt(floor.p99Ms, 8)}`,
    `floor / trigger        ${fmt(ratio, 8)}x`,
    `peak RSS               ${peakRssMiB} MiB`,
    `outcomes               ${counts(run.outcomes)}`,
    `promotions             ${counts(run.records)}`,
    `failed deliveries      ${run.failures.length}${run.failures.length === 0 ? "" : ` (retried; first: ${run.failures[0]})`}`,
    `violations             ${run.violations.length === 0 ? "none" : run.violations.join("; ")}`,
    JSON.stringify({
      ...options,
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
  ].join("\n");
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

interface Latency {
  readonly eventsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

interface RunResult extends Latency {
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
  { concurrency, seed }: { readonly concurrency: number; readonly seed: number },
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
    await new Promise((resolve) => setTimeout(resolve, runMs(seed, promotionId)));
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

  const newest = new Map<string, number>();
  for (const event of list) newest.set(event.service, Math.max(newest.get(event.service) ?? 0, event.push));
  const promotions = [];
  for (const id of promotionIds) {
    const record = await stores.promotions.get(id);
    promotions.push(
      record === undefined ? { id } : { id, status: record.status, version: record.artifact.version },
    );
  }
  const services = [];
  for (const service of config.services) {
    const lock = await stores.promotions.getLock(service.name);
    services.push({
      name: service.name,
      newest: `1.0.${newest.get(service.name) ?? 0}`,
      ...(lock.holder === undefined ? {} : { holder: lock.holder }),
      ...(lock.queued === undefined ? {} : { queued: lock.queued }),
      ...(endedOn.has(service.name) ? { endedOn: endedOn.get(service.name) } : {}),
    });
  }
  const end = endState({ promotions, services });
  const sorted = latencies.toSorted((a, b) => a - b);
  return {
    eventsPerSecond: list.length / seconds,
    p50Ms: quantile(sorted, 0.5) ?? 0,
    p99Ms: quantile(sorted, 0.99) ?? 0,
    outcomes,
    records: end.records,
    failures,
    violations: [...violations, ...end.violations],
  };
}

/** What the run left, as read back from the table once every event and every promotion it started ended. */
export interface EndState {
  /** Every promotion an outcome named; without a status when it has no record. */
  readonly promotions: readonly {
    readonly id: string;
    readonly status?: string;
    readonly version?: string;
  }[];
  readonly services: readonly {
    readonly name: string;
    /** The version of its newest push. */
    readonly newest: string;
    readonly holder?: string;
    readonly queued?: string;
    /** The promotion that ended PROMOTED last. */
    readonly endedOn?: string;
  }[];
}

/**
 * The end checks: every promotion has a terminal record, no lock is held or promised, each service ends on
 * its newest artifact. Returns the count of records by status and each violation, in words.
 */
export function endState(state: EndState): {
  readonly records: Record<string, number>;
  readonly violations: readonly string[];
} {
  const records: Record<string, number> = {};
  const violations: string[] = [];
  const versionOf = new Map<string, string>();
  for (const promotion of state.promotions) {
    if (promotion.status === undefined) {
      violations.push(`${promotion.id}: an outcome named it, and it has no record`);
      continue;
    }
    records[promotion.status] = (records[promotion.status] ?? 0) + 1;
    if (!isPromotionOver(promotion.status as PromotionStatus))
      violations.push(`${promotion.id}: still ${promotion.status}`);
    if (promotion.status === PromotionStatus.Promoted && promotion.version !== undefined)
      versionOf.set(promotion.id, promotion.version);
  }
  for (const service of state.services) {
    if (service.holder !== undefined)
      violations.push(`${service.name}: lock still held by ${service.holder}`);
    else if (service.queued !== undefined)
      violations.push(`${service.name}: lock still queued for ${service.queued}`);
    const endsOn = versionOf.get(service.endedOn ?? "");
    if (endsOn !== service.newest)
      violations.push(
        `${service.name}: ends on ${endsOn ?? "nothing"}, its newest artifact is ${service.newest}`,
      );
  }
  return { records, violations };
}

/** How long a promotion "runs" before its pipeline ends it: 2 to 10 ms, drawn from the seed and its id. */
function runMs(seed: number, promotionId: string): number {
  return 2 + mulberry32(seedOf(seed, Number.parseInt(promotionId.slice(2, 10), 16)))() * 8;
}

/** The least DynamoDB work an event needs: the promotion put if absent, the lock taken if free. */
async function runFloor(
  table: LocalTable,
  list: readonly ArtifactEvent[],
  concurrency: number,
): Promise<Latency> {
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
  const sorted = latencies.toSorted((a, b) => a - b);
  return {
    eventsPerSecond: list.length / seconds,
    p50Ms: quantile(sorted, 0.5) ?? 0,
    p99Ms: quantile(sorted, 0.99) ?? 0,
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

const round = (value: number) => Math.round(value * 10) / 10;
const fmt = (value: number, width: number) => value.toFixed(1).padStart(width);
