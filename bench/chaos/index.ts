import { createHash } from "node:crypto";
import { parseArgs } from "node:util";
import { type GlidepathConfig, parseConfig } from "../../functions/domain/config/index.ts";
import { isTerminal } from "../../functions/domain/deployment.ts";
import { isPromotionOver, promotionId } from "../../functions/domain/promotion/record.ts";
import { ArtifactPublishedDetailType } from "../../functions/domain/triggers.ts";
import { logger } from "../../functions/shared/logger.ts";
import { mulberry32, seedOf } from "../blast-radius/random.ts";
import { wholeNumber } from "../options.ts";
import { defaultRates, type FaultKind, type FaultRates, Faults } from "./faults.ts";
import { type ChaosStack, chaosAccount, chaosOperator, chaosRegion, startChaosStack } from "./stack.ts";

const source = "bench.chaos";

export interface ChaosOptions {
  readonly seed: number;
  /** Artifact pushes, each asking for a deployment. */
  readonly deployments: number;
  readonly services: number;
  /** Milliseconds between rounds of pushes (one per service a round). */
  readonly roundMs: number;
  /** Seconds after the last push by which everything must have ended; what has not is lost. */
  readonly deadlineSeconds: number;
  readonly rates: FaultRates;
}

export const defaultOptions: ChaosOptions = {
  seed: 1,
  deployments: 200,
  services: 20,
  roundMs: 1500,
  deadlineSeconds: 120,
  rates: defaultRates,
};

/** One thing the run lost, in words: a record left mid-way, traffic stranded, a lock held, an event dropped. */
export interface Lost {
  readonly kind: "not-terminal" | "traffic" | "lock" | "event";
  readonly what: string;
}

export interface ChaosReport {
  readonly options: ChaosOptions;
  readonly injected: Readonly<Record<FaultKind, number>>;
  readonly pushes: number;
  /** Deployments that started (a wave's record created and its strategy execution begun). */
  readonly deploymentsStarted: number;
  readonly deployments: Readonly<Record<string, number>>;
  readonly promotions: Readonly<Record<string, number>>;
  readonly lost: readonly Lost[];
  readonly seconds: number;
}

/**
 * `npm run bench -- chaos [--seed 1] [--deployments 200] [--services 20]`: artifact pushes for many services
 * through the whole control plane — trigger, promotion pipeline, the canary strategy as its nested execution,
 * the real step handlers, dynalite — while faults are injected at their rates where it meets AWS (see
 * faults.ts). It prints the faults injected by kind, how each deployment and promotion ended, and what was
 * lost; exits 1 when anything was.
 */
export async function main(argv: readonly string[]): Promise<void> {
  logger.setLogLevel("SILENT");
  const { values } = parseArgs({
    args: [...argv],
    options: {
      seed: { type: "string", default: String(defaultOptions.seed) },
      deployments: { type: "string", default: String(defaultOptions.deployments) },
      services: { type: "string" },
    },
  });
  const deployments = wholeNumber(values.deployments, "--deployments", 1, 5000);
  const services = wholeNumber(
    values.services ?? String(Math.min(defaultOptions.services, deployments)),
    "--services",
    1,
    500,
  );
  const report = await runChaos({
    ...defaultOptions,
    seed: wholeNumber(values.seed, "--seed", 0, 2 ** 31 - 1),
    deployments,
    services,
  });
  console.log(formatReport(report));
  if (report.lost.length > 0) process.exitCode = 1;
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  if (options.services > options.deployments)
    throw new RangeError("--services must be at most --deployments (a push per service)");
  const config = chaosConfig(options.services);
  const faults = new Faults(options.seed, options.rates);
  const began = performance.now();
  const stack = await startChaosStack(config, faults);
  try {
    const pushes = artifactPushes(config, options.deployments);
    const random = mulberry32(seedOf(options.seed, 7));
    // Round by round, each round's pushes in an order of their own, one in ten held back to the next round: a
    // late event of an artifact older than one that went before it.
    let held: typeof pushes = [];
    const services = options.services;
    for (let round = 0; round * services < pushes.length; round++) {
      const batch = [...held, ...pushes.slice(round * services, (round + 1) * services)];
      held = [];
      shuffle(batch, random);
      const now = batch.filter((push) => {
        if (random() < 0.1 && round * services + services < pushes.length) {
          held.push(push);
          return false;
        }
        return true;
      });
      for (const push of now) void stack.publish(push.envelope);
      await sleep(options.roundMs);
    }
    for (const push of held) void stack.publish(push.envelope);
    await stack.settle(options.deadlineSeconds * 1000);
    const end = await endState(stack, config, pushes);
    return {
      options,
      injected: { ...faults.injected },
      pushes: pushes.length,
      ...end,
      seconds: (performance.now() - began) / 1000,
    };
  } finally {
    await stack.close();
  }
}

function chaosConfig(services: number): GlidepathConfig {
  return parseConfig({
    services: Array.from({ length: services }, (_, index) => {
      const name = `svc-${String(index).padStart(3, "0")}`;
      return {
        name,
        artifact: { type: "custom", source },
        target: { type: "local" },
        concurrency: index % 2 === 0 ? "queue" : "supersede",
        environments: [
          {
            name: "production",
            account: chaosAccount,
            region: chaosRegion,
            strategy: { type: "canary", steps: [{ setWeight: 25 }, { bake: { seconds: 2 } }] },
            alarms: [{ name: `${name}-5xx` }],
            analysis: { intervalSeconds: 1, minRequests: 0 },
            approval: { approvers: [chaosOperator] },
          },
        ],
      };
    }),
  });
}

interface Push {
  readonly service: string;
  readonly version: string;
  readonly digest: string;
  readonly envelope: unknown;
}

/** Round robin over the services; each push's event time is its place in publication order. */
function artifactPushes(config: GlidepathConfig, count: number): Push[] {
  const base = Date.parse("2026-12-04T09:00:00Z");
  return Array.from({ length: count }, (_, index) => {
    const service = config.services[index % config.services.length]?.name ?? "";
    const version = `2.0.${Math.floor(index / config.services.length)}`;
    const digest = `sha256:${createHash("sha256").update(`${service}:${version}`).digest("hex")}`;
    return {
      service,
      version,
      digest,
      envelope: {
        version: "0",
        id: `chaos-${index}`,
        "detail-type": ArtifactPublishedDetailType,
        source,
        account: chaosAccount,
        time: new Date(base + index * 1000).toISOString(),
        region: chaosRegion,
        resources: [],
        detail: { service, uri: `local://${service}@${digest}`, digest, version },
      },
    };
  });
}

/** Reads back what the run left and says what was lost. */
async function endState(
  stack: ChaosStack,
  config: GlidepathConfig,
  pushes: readonly Push[],
): Promise<Pick<ChaosReport, "deploymentsStarted" | "deployments" | "promotions" | "lost">> {
  const lost: Lost[] = stack.undelivered.map((what) => ({
    kind: "event" as const,
    what: `undelivered: ${what}`,
  }));
  const promotions: Record<string, number> = {};
  const deployments: Record<string, number> = {};
  let deploymentsStarted = 0;
  for (const push of pushes) {
    const id = promotionId({ service: push.service, digest: push.digest });
    const promotion = await stack.stores.promotions.get(id);
    if (promotion === undefined) {
      lost.push({
        kind: "event",
        what: `${push.service} ${push.version}: its event started nothing and left no record`,
      });
      continue;
    }
    promotions[promotion.status] = (promotions[promotion.status] ?? 0) + 1;
    if (!isPromotionOver(promotion.status))
      lost.push({
        kind: "not-terminal",
        what: `promotion ${id} (${push.service} ${push.version}) is ${promotion.status}`,
      });
    for (const wave of promotion.environments.flatMap((environment) => environment.waves)) {
      const deployment = await stack.stores.deployments.get(wave.deploymentId);
      if (deployment === undefined) continue;
      deployments[deployment.status] = (deployments[deployment.status] ?? 0) + 1;
      const fleet = stack.fleets.get(deployment.id);
      if (fleet !== undefined) deploymentsStarted += 1;
      if (!isTerminal(deployment.status)) {
        lost.push({
          kind: "not-terminal",
          what: `deployment ${deployment.id} (${push.service} ${push.version}) is ${deployment.status}`,
        });
        continue;
      }
      if (fleet === undefined) continue;
      const serving = fleet.serving();
      const expected = deployment.status === "SUCCEEDED" ? push.version : "live";
      if (!serving.healthy || serving.version !== expected) {
        lost.push({
          kind: "traffic",
          what: `deployment ${deployment.id} (${push.service} ${push.version}) ended ${deployment.status} with traffic ${fleet.weights.blue}/${fleet.weights.green} on ${serving.version ?? "no single version"}${serving.healthy ? "" : " (not healthy)"}, expected 100% on ${expected}`,
        });
      }
    }
  }
  for (const service of config.services) {
    const lock = await stack.stores.promotions.getLock(service.name);
    if (lock.holder !== undefined || lock.queued !== undefined)
      lost.push({
        kind: "lock",
        what: `${service.name}: lock still ${lock.holder === undefined ? `promised to ${lock.queued}` : `held by ${lock.holder}`}`,
      });
  }
  return { deploymentsStarted, deployments, promotions, lost };
}

/** The table, then one JSON line: the summary. */
export function formatReport(report: ChaosReport): string {
  const counts = (record: Readonly<Record<string, number>>) =>
    Object.entries(record)
      .filter(([, count]) => count > 0)
      .map(([key, count]) => `${key} ${count}`)
      .join(", ");
  const lostByKind: Record<string, number> = {};
  for (const entry of report.lost) lostByKind[entry.kind] = (lostByKind[entry.kind] ?? 0) + 1;
  const { options } = report;
  return [
    `chaos: ${report.pushes} artifact pushes over ${options.services} services (seed ${options.seed}; canary 25% → 100%, bake 2 s; queue and supersede alternating), ${report.seconds.toFixed(1)} s`,
    "",
    `faults injected      ${counts(report.injected)}`,
    `deployments started  ${report.deploymentsStarted}`,
    `deployments ended    ${counts(report.deployments)}`,
    `promotions ended     ${counts(report.promotions)}`,
    `lost                 ${report.lost.length}${report.lost.length === 0 ? "" : ` (${counts(lostByKind)})`}`,
    ...report.lost.slice(0, 20).map((entry) => `  ${entry.kind}: ${entry.what}`),
    JSON.stringify({
      seed: options.seed,
      pushes: report.pushes,
      services: options.services,
      injected: report.injected,
      deploymentsStarted: report.deploymentsStarted,
      deployments: report.deployments,
      promotions: report.promotions,
      lost: report.lost.length,
      lostByKind,
      seconds: Math.round(report.seconds * 10) / 10,
    }),
  ].join("\n");
}

function shuffle<T>(items: T[], random: () => number): void {
  for (let index = items.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    [items[index], items[other]] = [items[other] as T, items[index] as T];
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
