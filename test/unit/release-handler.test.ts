import { describe, expect, it } from "vitest";
import { type GlidepathConfig, parseConfig } from "../../functions/domain/config/index.ts";
import type { DeploymentStatus } from "../../functions/domain/deployment.ts";
import { ErrorNames } from "../../functions/domain/errors.ts";
import { planRelease } from "../../functions/domain/release/manifest.ts";
import { newRelease } from "../../functions/domain/release/record.ts";
import { type ReleaseRequest, releaseRequest } from "../../functions/domain/release/request.ts";
import { restoreWave } from "../../functions/domain/release/restore.ts";
import {
  createReleaseHandler,
  type ReleasePorts,
  type RollbackItem,
} from "../../functions/handlers/release.ts";

import { useStoreTable } from "../helpers/dynalite.ts";

let tick = 0;
const db = useStoreTable(() => new Date(Date.parse("2026-12-03T10:00:00Z") + 1000 * tick++));
const arn = "arn:aws:states:eu-west-1:000000000000:execution:glidepath-release:spring-sale";

let runs = 0;
/** orders depends on payments, both through staging and production; names of their own per test. */
function setup(): { config: GlidepathConfig; orders: string; payments: string } {
  runs += 1;
  const [orders, payments] = [`orders-${runs}`, `payments-${runs}`];
  const config = parseConfig({
    services: [orders, payments].map((name) => ({
      name,
      artifact: { type: "custom", source: "ci.shop" },
      target: { type: "local" },
      dependsOn: name === orders ? [payments] : [],
      environments: ["staging", "production"].map((environment) => ({
        name: environment,
        account: "000000000000",
        region: "eu-west-1",
        strategy: "ECSAllAtOnce",
      })),
    })),
  });
  return { config, orders, payments };
}

const artifact = (service: string, version: string) => ({
  uri: `local://${service}:${version}`,
  digest: `sha256:${Buffer.from(`${service}${version}`).toString("hex").padEnd(16, "0")}`,
  version,
});

async function created(config: GlidepathConfig, services: Record<string, ReturnType<typeof artifact>>) {
  const plan = planRelease({ name: "spring-sale", services }, config);
  await db.stores().releases.create(newRelease(plan, "2026-12-03T09:59:00Z", "2026-12-03T10:00:00.000Z"));
  return releaseRequest({ plan, config });
}

/** orders 2.0.0 and payments 1.7.0, created as a release. */
const springSale = (config: GlidepathConfig, orders: string, payments: string) =>
  created(config, { [orders]: artifact(orders, "2.0.0"), [payments]: artifact(payments, "1.7.0") });

/** spring-sale, started (every lock held) and in staging, with the step that moved it there. */
async function inStaging(config: GlidepathConfig, orders: string, payments: string) {
  const request = await springSale(config, orders, payments);
  const run = createReleaseHandler(ports(config));
  await run({ action: "take-locks", releaseId: request.releaseId });
  await run({ action: "start", releaseId: request.releaseId, executionArn: arn });
  const environment = request.environments[0];
  await run({ action: "enter", releaseId: request.releaseId, environment });
  return { request, run, environment };
}

function ports(config: GlidepathConfig): ReleasePorts {
  return { ...db.stores(), config, clock: () => new Date("2026-12-03T10:00:00Z") };
}

/** What a strategy execution does to a wave's deployment record: runs it to `status`. */
async function strategyRan(deploymentId: string, status: DeploymentStatus): Promise<void> {
  const { deployments } = db.stores();
  await deployments.transition(deploymentId, "IN_PROGRESS");
  if (status === "ROLLED_BACK") await deployments.transition(deploymentId, "ROLLING_BACK");
  await deployments.transition(deploymentId, status);
}

/** Walks one environment as the release pipeline would, each service's waves ending as `outcome` says. */
async function walk(
  run: ReturnType<typeof createReleaseHandler>,
  request: ReleaseRequest,
  index: number,
  outcome: (service: string) => DeploymentStatus,
): Promise<{ failed: boolean; rollback?: readonly RollbackItem[] }> {
  const environment = request.environments[index];
  if (environment === undefined) throw new Error(`no environment ${index}`);
  const { releaseId } = request;
  await run({ action: "enter", releaseId, environment });
  for (const group of environment.groups) {
    for (const service of group) {
      for (const wave of service.waves) await strategyRan(wave.deploymentId, outcome(service.service));
      const { succeeded } = (await run({
        action: "service-ended",
        releaseId,
        environment: environment.name,
        service,
      })) as { succeeded: boolean };
      if (!succeeded) {
        const error = { Error: "States.TaskFailed", Cause: `${service.service} rolled back` };
        const { rollback } = (await run({ action: "environment-failed", releaseId, environment, error })) as {
          rollback: RollbackItem[];
        };
        return { failed: true, rollback };
      }
    }
  }
  await run({ action: "environment-succeeded", releaseId, environment: environment.name });
  return { failed: false };
}

describe("the release step, against dynalite", () => {
  it("takes the locks, walks both environments in dependency order and, promoted, gives the locks back with its versions live", async () => {
    // Prepare
    const { config, orders, payments } = setup();
    const request = await springSale(config, orders, payments);
    const run = createReleaseHandler(ports(config));

    // Act
    const locks = await run({ action: "take-locks", releaseId: request.releaseId });
    await run({ action: "start", releaseId: request.releaseId, executionArn: arn });
    const walked = [
      await walk(run, request, 0, () => "SUCCEEDED"),
      await walk(run, request, 1, () => "SUCCEEDED"),
    ];
    await run({ action: "finish", releaseId: request.releaseId, outcome: "promoted" });

    // Assess
    expect(locks).toEqual({ held: true, locks: [orders, payments] });
    expect(walked).toEqual([{ failed: false }, { failed: false }]);
    const release = await db.stores().releases.get(request.releaseId);
    expect(release?.status).toBe("PROMOTED");
    expect(release?.environments.map((environment) => environment.status)).toEqual([
      "SUCCEEDED",
      "SUCCEEDED",
    ]);
    const live = await Promise.all(
      [orders, payments].map((service) => db.stores().promotions.getLock(service)),
    );
    expect(live.map((lock) => [lock.holder, lock.liveVersion])).toEqual([
      [undefined, "2.0.0"],
      [undefined, "1.7.0"],
    ]);
  });

  it("when the dependent service fails in staging, answers the one deployed before it with its previous artifact, and stops before production", async () => {
    // Prepare: payments 1.6.0 succeeded in staging on its own before the release.
    const { config, orders, payments } = setup();
    const before = await db.stores().deployments.create({
      service: payments,
      environment: "staging",
      artifact: artifact(payments, "1.6.0"),
      strategy: "all-at-once",
    });
    await strategyRan(before.deployment.id, "SUCCEEDED");
    const request = await springSale(config, orders, payments);
    const run = createReleaseHandler(ports(config));
    await run({ action: "take-locks", releaseId: request.releaseId });
    await run({ action: "start", releaseId: request.releaseId, executionArn: arn });

    // Act
    const staging = await walk(run, request, 0, (service) =>
      service === orders ? "ROLLED_BACK" : "SUCCEEDED",
    );
    await run({
      action: "service-rolled-back",
      releaseId: request.releaseId,
      environment: "staging",
      service: payments,
    });
    await run({
      action: "finish",
      releaseId: request.releaseId,
      outcome: "stopped",
      error: { Error: "States.TaskFailed", Cause: `${orders} rolled back` },
    });

    // Assess
    const paymentsWave = request.environments[0]?.groups[0]?.[0]?.waves[0];
    const serviceConfig = config.services.find((service) => service.name === payments);
    if (serviceConfig === undefined) throw new Error("no payments");
    const restore = restoreWave({
      service: serviceConfig,
      environment: "staging",
      wave: 0,
      previous: artifact(payments, "1.6.0"),
      owner: { releaseId: request.releaseId },
    });
    expect(staging).toEqual({
      failed: true,
      rollback: [
        {
          service: payments,
          waves: [
            { deploymentId: paymentsWave?.deploymentId, previous: artifact(payments, "1.6.0"), restore },
          ],
        },
      ],
    });
    // The restore's record exists before its execution starts, as a wave's does.
    const restoring = await db.stores().deployments.get(restore?.deploymentId ?? "");
    expect([restoring?.status, restoring?.artifact.version, restoring?.releaseId]).toEqual([
      "QUEUED",
      "1.6.0",
      request.releaseId,
    ]);
    const release = await db.stores().releases.get(request.releaseId);
    expect(release?.status).toBe("STOPPED");
    expect(release?.environments).toMatchObject([
      { name: "staging", status: "FAILED", services: { [orders]: "FAILED", [payments]: "ROLLED_BACK" } },
      {
        name: "production",
        status: "NOT_DEPLOYED",
        services: { [orders]: "NOT_DEPLOYED", [payments]: "NOT_DEPLOYED" },
      },
    ]);
    expect((await db.stores().promotions.getLock(payments)).holder).toBeUndefined();
  });

  it("entering an environment again creates no second deployment and changes nothing", async () => {
    // Prepare
    const { config, orders, payments } = setup();
    const { request, run, environment } = await inStaging(config, orders, payments);
    const once = await db.stores().releases.get(request.releaseId);

    // Act
    await run({ action: "enter", releaseId: request.releaseId, environment });

    // Assess
    expect(await db.stores().releases.get(request.releaseId)).toEqual(once);
    const history = await db
      .stores()
      .deployments.history({ service: orders, environment: "staging", limit: 10 });
    expect(history.items.map((deployment) => [deployment.id, deployment.releaseId])).toEqual([
      [environment?.groups[1]?.[0]?.waves[0]?.deploymentId, request.releaseId],
    ]);
  });

  it.each([
    ["wait", { frozen: true, window: "deploy-freeze", until: "2026-12-03T12:00:00.000Z" }],
    ["fail", undefined],
  ] as const)(
    "in a freeze window with onFreeze %s, the freeze check answers %j or fails with FreezeWindowError",
    async (onFreeze, answer) => {
      // Prepare: the clock is 10:00, inside the window.
      const { config, orders, payments } = setup();
      const request = await springSale(config, orders, payments);
      const run = createReleaseHandler(ports(config));
      const environment = {
        ...request.environments[0],
        freezeWindows: [
          { name: "deploy-freeze", start: "2026-12-03T09:00:00Z", end: "2026-12-03T12:00:00Z" },
        ],
        onFreeze,
      };

      // Act
      const checking = run({ action: "check-freeze", releaseId: request.releaseId, environment });

      // Assess
      if (answer === undefined) {
        await expect(checking).rejects.toThrow(
          expect.objectContaining({
            name: ErrorNames.FreezeWindow,
            message: `staging is frozen by 'deploy-freeze' until 2026-12-03T12:00:00.000Z: onFreeze is "fail"`,
          }),
        );
      } else {
        await expect(checking).resolves.toEqual(answer);
      }
    },
  );

  it("a dependency group with a service that did not succeed fails with ReleaseServiceFailedError naming it and why", async () => {
    // Prepare
    const { config, orders, payments } = setup();
    const { request, run, environment } = await inStaging(config, orders, payments);
    const group = environment?.groups[1] ?? [];
    const deploymentId = group[0]?.waves[0]?.deploymentId ?? "";
    await db.stores().deployments.transition(deploymentId, "IN_PROGRESS");
    await db.stores().deployments.transition(deploymentId, "ROLLING_BACK");
    await db
      .stores()
      .deployments.transition(deploymentId, "ROLLED_BACK", { statusReason: "AlarmFiredError: 5xx" });

    // Act
    const checking = run({
      action: "group-ended",
      releaseId: request.releaseId,
      environment: "staging",
      group,
    });

    // Assess
    await expect(checking).rejects.toThrow(
      expect.objectContaining({
        name: ErrorNames.ReleaseServiceFailed,
        message: `release ${request.releaseId} stops in staging: ${orders} is ROLLED_BACK (AlarmFiredError: 5xx)`,
      }),
    );
  });

  it("gives up waiting for a lock after a day with LockWaitTimedOutError naming the lock and its holder", async () => {
    // Prepare: the release was created two days before the clock; a promotion holds payments' lock.
    const { config, orders, payments } = setup();
    const plan = planRelease(
      { services: { [orders]: artifact(orders, "2.0.0"), [payments]: artifact(payments, "1.7.0") } },
      config,
    );
    await db.stores().releases.create(newRelease(plan, "2026-12-01T09:59:00Z", "2026-12-01T10:00:00.000Z"));
    const holder = "p-00000000000000000042";
    await db.stores().promotions.acquireLock({ service: payments, promotionId: holder });
    const run = createReleaseHandler(ports(config));

    // Act
    const taking = run({ action: "take-locks", releaseId: plan.releaseId });

    // Assess
    await expect(taking).rejects.toThrow(
      expect.objectContaining({
        name: ErrorNames.LockWaitTimedOut,
        message: `release ${plan.releaseId} waited 48 h for the lock of ${payments}, held by ${holder}: it gives up and gives back the locks it holds`,
      }),
    );
  });
});
