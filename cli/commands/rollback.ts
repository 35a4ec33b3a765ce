import { randomUUID } from "node:crypto";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { awsClientConfig } from "../../functions/adapters/aws/retry.ts";
import type { Stores } from "../../functions/domain/ports/stores.ts";
import { waveDeploymentId } from "../../functions/domain/promotion/request.ts";
import {
  planRollback,
  type RollbackRequestedDetail,
  RollbackRequestedDetailType,
  rollbackId,
} from "../../functions/domain/rollback.ts";
import { deployRequestProblems } from "../../functions/domain/triggers.ts";
import { rollbackHistory } from "../../functions/handlers/rollback.ts";
import { loadConfig } from "../../infra/load-config.ts";
import { putCliEvent } from "../put-event.ts";
import { RefusedError } from "../refused-error.ts";
import { resolveTableName } from "../state-table.ts";
import { UsageError } from "../usage-error.ts";
import { callerIdentity } from "./decide.ts";

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
  readonly stores: (tableName: string) => Pick<Stores, "deployments" | "promotions">;
  /** Where `GLIDEPATH_TABLE` is looked up. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** "the glidepath bus". */
  readonly where: (options: RollbackOptions) => string;
  readonly identity: () => Promise<string>;
  readonly send: (detail: RollbackRequestedDetail, options: RollbackOptions) => Promise<void>;
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
    send: (detail, options) => putCliEvent(client, options.bus, RollbackRequestedDetailType, detail),
  };
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
  const stores = dependencies.stores(resolveTableName(options.table, dependencies.env));
  const waves = await rollbackHistory(stores.deployments, config, options.service, options.env);
  const { holder } = await stores.promotions.getLock(options.service);
  const plan = planRollback({
    service: options.service,
    environment: options.env,
    waves,
    ...(options.to === undefined ? {} : { to: options.to }),
    ...(holder === undefined ? {} : { lockHolder: holder }),
  });
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
  await dependencies.send(detail, options);
  const from = [...new Set(plan.waves.map((wave) => wave.live.version))].join(", ");
  print(
    `rollback of ${options.service} in ${options.env} from ${from} to ${plan.target.version} asked of ${dependencies.where(options)} as ${detail.requestedBy}`,
  );
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
