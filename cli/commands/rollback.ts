import { randomUUID } from "node:crypto";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { dynamoDbStores } from "../../functions/adapters/aws/dynamodb-stores.ts";
import { awsClientConfig } from "../../functions/adapters/aws/retry.ts";
import type { GlidepathConfig } from "../../functions/domain/config/index.ts";
import type { Stores } from "../../functions/domain/ports/stores.ts";
import { waveDeploymentId } from "../../functions/domain/promotion/request.ts";
import {
  planRollback,
  type RollbackPlan,
  type RollbackRequestedDetail,
  RollbackRequestedDetailType,
  rollbackId,
} from "../../functions/domain/rollback.ts";
import { deployRequestProblems } from "../../functions/domain/triggers.ts";
import { rollbackHistory } from "../../functions/handlers/rollback.ts";
import { loadConfig } from "../../infra/load-config.ts";
import { localOperator } from "../../local/callback-server.ts";
import { progressPrinter } from "../../local/progress.ts";
import { runLocalRollback } from "../../local/rollback-runtime.ts";
import { openSavedTable } from "../../local/saved-table.ts";
import { livePage } from "../page/page-data.ts";
import { putCliEvent } from "../put-event.ts";
import { RefusedError } from "../refused-error.ts";
import { resolveTableName } from "../state-table.ts";
import { UsageError } from "../usage-error.ts";
import { callerIdentity } from "./decide.ts";
import { withInterrupt } from "./demo.ts";

export interface RollbackOptions {
  readonly service: string;
  readonly env: string;
  /** The version to go back to. @default the newest SUCCEEDED one before the live one */
  readonly to?: string;
  readonly reason?: string;
  readonly config: string;
  readonly bus: string;
  readonly table?: string;
}

export interface RollbackDependencies {
  readonly stores: (
    tableName: string,
  ) => Pick<Stores, "deployments" | "promotions"> | Promise<Pick<Stores, "deployments" | "promotions">>;
  /** Frees what the reads opened. */
  readonly close?: () => Promise<void>;
  /** Where `GLIDEPATH_TABLE` is looked up. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** "the glidepath bus". */
  readonly where: (options: RollbackOptions) => string;
  readonly identity: () => Promise<string>;
  /** Carries the request out, or hands it to what does; resolves to false when it did not succeed. */
  readonly send: (
    detail: RollbackRequestedDetail,
    options: RollbackOptions,
    plan: Extract<RollbackPlan, { kind: "rollback" }>,
  ) => Promise<boolean | undefined>;
  /** @default a random UUID */
  readonly requestId?: () => string;
}

/** AWS: the state table and PutEvents of a RollbackRequested event, with the caller's credentials. */
export function awsRollbackDependencies(
  stores: RollbackDependencies["stores"],
  client = new EventBridgeClient(awsClientConfig),
): RollbackDependencies {
  return {
    stores,
    env: process.env,
    where: (options) => `the ${options.bus} bus`,
    identity: callerIdentity,
    send: async (detail, options) => {
      await putCliEvent(client, options.bus, RollbackRequestedDetailType, detail);
      return undefined;
    },
  };
}

/**
 * After `npm start` has ended: what it left (`.glidepath/table.json`), and the rollback carried out on this
 * machine by the local control plane, each wave's fleet starting where the run left it.
 */
export function localRollbackDependencies(print: (line: string) => void): RollbackDependencies {
  let saved: Awaited<ReturnType<typeof openSavedTable>>;
  const stores = async () => {
    saved ??= await openSavedTable();
    if (saved === undefined) throw new UsageError("no local run left a table here (.glidepath/table.json)");
    return dynamoDbStores({ client: saved.client, tableName: saved.tableName });
  };
  return {
    stores: stores,
    env: { GLIDEPATH_TABLE: "glidepath-local" },
    where: () => "this machine (what the last `npm start` left)",
    identity: async () => `local:${localOperator}`,
    close: async () => saved?.close(),
    send: async (detail, options, plan) => {
      const config = await loadConfig(options.config);
      let succeeded = false;
      await withInterrupt(async (signal) => {
        const result = await runLocalRollback({
          config,
          request: detail,
          live: Object.fromEntries(
            plan.waves.map((wave) => [wave.region ?? placeOf(config, options).region, wave.live.version]),
          ),
          speed: 5,
          rps: 100,
          signal,
          page: livePage,
          onEvent: progressPrinter(print),
        });
        if (result.outcome.outcome === "refused")
          throw new RefusedError(`rollback refused: ${result.outcome.reason}`);
        for (const { deployment } of result.deployments) {
          print(
            `${deployment.environment}${deployment.region === undefined ? "" : ` ${deployment.region}`}: ${deployment.id} ${deployment.artifact.version} ${deployment.status}${deployment.statusReason === undefined ? "" : ` (${deployment.statusReason})`}`,
          );
        }
        succeeded = result.deployments.every(({ deployment }) => deployment.status === "SUCCEEDED");
      });
      return succeeded;
    },
  };
}

/** The one region of a single-region environment. */
function placeOf(config: GlidepathConfig, options: RollbackOptions): { region: string } {
  const environment = config.services
    .find((service) => service.name === options.service)
    ?.environments.find((candidate) => candidate.name === options.env);
  return { region: environment?.regions[0] ?? "" };
}

/**
 * `glidepath rollback --service S --env E [--to V] [--reason R] --config C`: reads the environment's
 * deployments, refuses (exit 1, saying what to do) while one runs or a promotion holds the lock, or with
 * nothing good to go back to; else asks for the rollback (RollbackRequested), which the trigger carries out:
 * each wave back on the chosen artifact, all at once, alarms watched, recorded with who asked and why.
 */
export async function rollbackCommand(
  options: RollbackOptions,
  dependencies: RollbackDependencies,
  print: (line: string) => void,
): Promise<void> {
  const config = await loadConfig(options.config);
  const problems = deployRequestProblems(config, { service: options.service, environment: options.env });
  if (problems.length > 0) throw new UsageError(`${options.config}: ${problems.join("; ")}`);
  const plan = await readPlan(options, config, dependencies).finally(() => dependencies.close?.());
  if (plan.kind === "refused") throw new RefusedError(`rollback refused: ${plan.reason}`);
  const requestId = (dependencies.requestId ?? randomUUID)();
  const detail: RollbackRequestedDetail = {
    service: options.service,
    environment: options.env,
    ...(options.to === undefined ? {} : { to: options.to }),
    ...(options.reason === undefined ? {} : { reason: options.reason }),
    requestedBy: await dependencies.identity(),
    requestId,
  };
  const from = [...new Set(plan.waves.map((wave) => wave.live.version))].join(", ");
  print(
    `rollback of ${options.service} in ${options.env} from ${from} to ${plan.target.version} asked of ${dependencies.where(options)} as ${detail.requestedBy}`,
  );
  const succeeded = await dependencies.send(detail, options, plan);
  if (succeeded === false) process.exitCode = 1;
  for (const wave of plan.waves) {
    const id = waveDeploymentId({
      service: options.service,
      environment: options.env,
      digest: plan.target.digest,
      ...(wave.region === undefined ? {} : { region: wave.region }),
      rollbackId: rollbackId(requestId),
    });
    print(
      `follow it${wave.region === undefined ? "" : ` in ${wave.region}`}: glidepath status ${id} --watch`,
    );
  }
}

/** The rollback the environment's records allow now. */
async function readPlan(
  options: RollbackOptions,
  config: GlidepathConfig,
  dependencies: RollbackDependencies,
): Promise<RollbackPlan> {
  const stores = await dependencies.stores(resolveTableName(options.table, dependencies.env));
  const waves = await rollbackHistory(stores.deployments, config, options.service, options.env);
  const { holder } = await stores.promotions.getLock(options.service);
  return planRollback({
    service: options.service,
    environment: options.env,
    waves,
    ...(options.to === undefined ? {} : { to: options.to }),
    ...(holder === undefined ? {} : { lockHolder: holder }),
  });
}
