import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { awsPorts } from "../../functions/adapters/aws/ports.ts";
import { LocalTaskCallbacks } from "../../functions/adapters/local/local-task-callbacks.ts";
import { LineNotifier } from "../../functions/adapters/log-notifier.ts";
import { type GlidepathConfig, parseConfig } from "../../functions/domain/config/index.ts";
import type { DeploymentRequest } from "../../functions/domain/deployment-request.ts";
import { ErrorNames } from "../../functions/domain/errors.ts";
import type { Ports } from "../../functions/domain/ports/index.ts";
import { planRelease } from "../../functions/domain/release/manifest.ts";
import { newRelease } from "../../functions/domain/release/record.ts";
import {
  type ReleaseRequest,
  releaseExecutionName,
  releaseRequest,
} from "../../functions/domain/release/request.ts";
import { createResolveGateHandler } from "../../functions/handlers/resolve-gate.ts";
import type { RenderedStateMachine } from "../../local/render-asl.ts";
import { type NestedHandler, runExecution } from "../../local/run-execution.ts";
import { stepHandlers } from "../../local/step-handlers.ts";
import { type LocalTable, startDynalite } from "../helpers/dynalite.ts";
import { account } from "../helpers/fake-aws.ts";
import { useTestApps } from "../helpers/synth.ts";
import { decisionEvent, openGate, standInStrategy, synthesizeAll } from "./harness.ts";

/** Production's own account, in two region waves. */
const productionAccount = "444455556666";

let table: LocalTable;
let machine: RenderedStateMachine;
const apps = useTestApps();
let runs = 0;

beforeAll(async () => {
  const rendered = synthesizeAll(apps(), shop("", false).config).get("release");
  if (rendered === undefined) throw new Error("no release state machine");
  machine = rendered;
  table = await startDynalite();
});

afterAll(async () => {
  await table.close();
});

/**
 * orders depends on payments, which depends on ledger; shipping depends on nothing. Each goes through staging
 * (one account and region) and production (its own account, two regions), production behind an approval when
 * `approval` is set. Every name ends in `suffix`.
 */
function shop(
  suffix: string,
  approval: boolean,
  /** Staging's hooks, by service name without the suffix. */
  hooks: Record<string, Record<string, unknown>> = {},
) {
  const [orders, payments, shipping, ledger] = ["orders", "payments", "shipping", "ledger"].map(
    (name) => `${name}${suffix}`,
  ) as [string, string, string, string];
  const dependsOn: Record<string, string[]> = { [orders]: [payments], [payments]: [ledger] };
  const config = parseConfig({
    services: [orders, payments, shipping, ledger].map((name) => ({
      name,
      artifact: { type: "custom", source: "ci.shop" },
      target: { type: "local" },
      dependsOn: dependsOn[name] ?? [],
      environments: [
        {
          name: "staging",
          account,
          region: "eu-west-1",
          strategy: "ECSAllAtOnce",
          ...(hooks[name.slice(0, name.length - suffix.length)] === undefined
            ? {}
            : { hooks: hooks[name.slice(0, name.length - suffix.length)] }),
        },
        {
          name: "production",
          account: productionAccount,
          region: ["eu-west-1", "us-east-1"],
          strategy: "ECSCanary10Percent5Minutes",
          ...(approval ? { approval: { required: true, approvers: ["alice"] } } : {}),
        },
      ],
    })),
  });
  return { config, orders, payments, shipping, ledger };
}

/** Services of their own for one test. */
function newShop(approval = false, hooks: Record<string, Record<string, unknown>> = {}) {
  runs += 1;
  return shop(`-${runs}`, approval, hooks);
}

const artifact = (service: string, version: string) => {
  const digest = `sha256:${Buffer.from(`${service}@${version}`).toString("hex").padEnd(64, "0").slice(0, 64)}`;
  return { uri: `local://${service}@${digest}`, digest, version };
};

/** A nested strategy execution as it ran: which wave, when, and how it ended. */
interface Child {
  readonly name: string;
  readonly request: DeploymentRequest;
  readonly startedAt: number;
  endedAt?: number;
}

/**
 * The release pipeline's surroundings: the real release, open-gate and resolve-gate steps over dynalite, and
 * nested strategy executions as stand-ins (the strategies have their own tests) that move their deployment
 * record as the strategy's record step would, take a few milliseconds, and end as `outcome` says.
 */
function world(
  config: GlidepathConfig,
  outcome: (request: DeploymentRequest) => "SUCCEEDED" | "ROLLED_BACK" = () => "SUCCEEDED",
  /** How long each stand-in execution runs. */
  runMs = 15,
  /** A hook's answer, by its function and payload. @default passed */
  answer: (fn: string, payload: Record<string, unknown>) => unknown = () => ({ passed: true }),
) {
  const callbacks = new LocalTaskCallbacks();
  const notices: string[] = [];
  const ports: Ports = {
    ...awsPorts({ tableName: table.tableName, documentClient: table.client, account, region: "eu-west-1" }),
    callbacks,
    notifier: new LineNotifier((line) => notices.push(line)),
  };
  const lifecycle = {
    config,
    start: async () => {
      throw new Error("no promotion waits for a lock in these tests");
    },
  };
  const resolveGate = createResolveGateHandler(ports);
  const steps = { ...stepHandlers(ports, lifecycle), "resolve-gate": resolveGate };
  const children: Child[] = [];
  /** Every hook invocation, with the number of strategy executions started before it. */
  const hooks: { fn: string; payload: Record<string, unknown>; after: number }[] = [];
  const nested: NestedHandler = async (start) => {
    const request = start.Input as DeploymentRequest;
    const child: Child = { name: start.Name, request, startedAt: Date.now() };
    children.push(child);
    return standInStrategy(ports, start, outcome(request), async () => {
      await new Promise((resolve) => setTimeout(resolve, runMs));
      child.endedAt = Date.now();
    });
  };

  /** Publishes the release (its record, as the trigger creates it) and runs its pipeline to the end. */
  const release = async (artifacts: Record<string, ReturnType<typeof artifact>>, name = "spring-sale") => {
    const plan = planRelease({ name, services: artifacts }, config);
    const now = new Date().toISOString();
    await ports.releases.create(newRelease(plan, now, now));
    const request = releaseRequest({ plan, config });
    const states: string[] = [];
    const result = await runExecution({
      machine,
      input: request,
      executionName: releaseExecutionName(request),
      steps,
      callbacks,
      nested,
      invoke: async (fn, payload) => {
        hooks.push({ fn, payload: payload as Record<string, unknown>, after: children.length });
        return answer(fn, payload as Record<string, unknown>);
      },
      waitMs: { "Bake between service waves": 0, "Wait for release locks": 20 },
      retryMs: 0,
      onEvent: (event) => {
        if (event.type === "StateEntered" && event.state !== undefined) states.push(event.state);
      },
    });
    return { result, request, states, record: await ports.releases.get(request.releaseId) };
  };
  return { ports, resolveGate, children, hooks, notices, release };
}

/** Each environment's status, and each service's there, as the release record holds them. */
const statuses = (record: Awaited<ReturnType<ReturnType<typeof world>["release"]>>["record"]) =>
  record?.environments.map((environment) => [environment.name, environment.status, environment.services]);

/** The first wave of the first service of environment `index`: where its approval gate is kept. */
const gateDeployment = (request: ReleaseRequest, index: number) =>
  request.environments[index]?.groups[0]?.[0]?.waves[0]?.deploymentId ?? "";

describe("the release pipeline, run locally with the real release step", () => {
  it("deploys payments before orders in every environment, each wave a nested execution, and promotes the release", async () => {
    // Prepare
    const { config, orders, payments } = newShop();
    const { release, children, ports } = world(config);

    // Act
    const { result, request, record } = await release({
      [orders]: artifact(orders, "2.0.0"),
      [payments]: artifact(payments, "1.7.0"),
    });

    // Assess
    expect(result.status).toBe("SUCCEEDED");
    const expected = request.environments.flatMap((environment) =>
      environment.groups.flat().flatMap((service) => service.waves.map((wave) => wave.executionName)),
    );
    expect(children.map((child) => child.name)).toEqual(expected);
    expect(
      children.map((child) => [child.request.service, child.request.environment, child.request.region]),
    ).toEqual([
      [payments, "staging", "eu-west-1"],
      [orders, "staging", "eu-west-1"],
      [payments, "production", "eu-west-1"],
      [payments, "production", "us-east-1"],
      [orders, "production", "eu-west-1"],
      [orders, "production", "us-east-1"],
    ]);
    expect(
      children.map(
        (child) =>
          (child.request as unknown as Record<string, unknown>).AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID,
      ),
    ).toEqual(children.map(() => result.executionArn));
    expect(record?.status).toBe("PROMOTED");
    expect(statuses(record)).toEqual([
      ["staging", "SUCCEEDED", { [orders]: "SUCCEEDED", [payments]: "SUCCEEDED" }],
      ["production", "SUCCEEDED", { [orders]: "SUCCEEDED", [payments]: "SUCCEEDED" }],
    ]);
    const locks = await Promise.all([orders, payments].map((service) => ports.promotions.getLock(service)));
    expect(locks.map((lock) => [lock.holder, lock.liveVersion])).toEqual([
      [undefined, "2.0.0"],
      [undefined, "1.7.0"],
    ]);
  });

  it("deploys the services of one dependency group side by side", async () => {
    // Prepare: payments and shipping depend on nothing, so they are one group; each execution runs long
    // enough for the other to start beside it.
    const { config, payments, shipping } = newShop();
    const { release, children } = world(config, () => "SUCCEEDED", 400);

    // Act
    const { result } = await release({
      [payments]: artifact(payments, "1.7.0"),
      [shipping]: artifact(shipping, "3.1.0"),
    });

    // Assess
    expect(result.status).toBe("SUCCEEDED");
    const staging = children.filter((child) => child.request.environment === "staging");
    expect(staging.map((child) => child.request.service).sort()).toEqual([payments, shipping]);
    const [first, second] = staging;
    expect(second?.startedAt).toBeLessThan(first?.endedAt ?? 0);
  });

  it("when orders fails in staging, restores payments there to its previous artifact and never enters production", async () => {
    // Prepare: payments 1.6.0 succeeded in staging on its own before the release.
    const { config, orders, payments } = newShop();
    const { release, children, ports } = world(config, (request) =>
      request.service === orders ? "ROLLED_BACK" : "SUCCEEDED",
    );
    const before = await ports.deployments.create({
      service: payments,
      environment: "staging",
      artifact: artifact(payments, "1.6.0"),
      strategy: "all-at-once",
    });
    await ports.deployments.transition(before.deployment.id, "IN_PROGRESS");
    await ports.deployments.transition(before.deployment.id, "SUCCEEDED");

    // Act
    const { result, record, states } = await release({
      [orders]: artifact(orders, "2.0.0"),
      [payments]: artifact(payments, "1.7.0"),
    });

    // Assess
    expect(result.status).toBe("FAILED");
    expect(result.error).toBe(ErrorNames.ReleaseServiceFailed);
    expect(result.cause).toContain(`${orders} is ROLLED_BACK (${ErrorNames.AlarmFired}: 5xx)`);
    expect(
      children.map((child) => [
        child.request.service,
        child.request.artifact.version,
        child.request.strategy,
      ]),
    ).toEqual([
      [payments, "1.7.0", "all-at-once"],
      [orders, "2.0.0", "all-at-once"],
      [payments, "1.6.0", "all-at-once"],
    ]);
    expect(children[2]?.name).toMatch(new RegExp(`^${payments}-staging-restore-1-6-0-`));
    expect(states).not.toContain("Restore failed");
    expect(record?.status).toBe("STOPPED");
    expect(record?.reason).toContain(`${orders} is ROLLED_BACK`);
    expect(statuses(record)).toEqual([
      ["staging", "FAILED", { [orders]: "FAILED", [payments]: "ROLLED_BACK" }],
      ["production", "NOT_DEPLOYED", { [orders]: "NOT_DEPLOYED", [payments]: "NOT_DEPLOYED" }],
    ]);
    const restored = await ports.deployments.get(children[2]?.request.deploymentId ?? "");
    expect([restored?.status, restored?.releaseId]).toEqual(["SUCCEEDED", record?.id]);
    const locks = await Promise.all([orders, payments].map((service) => ports.promotions.getLock(service)));
    expect(locks.map((lock) => lock.holder)).toEqual([undefined, undefined]);
  });

  it("restores the services deployed before the failing one in reverse dependency order: payments, then ledger", async () => {
    // Prepare: ledger 3.0.0 and payments 1.6.0 succeeded in staging before the release.
    const { config, orders, payments, ledger } = newShop();
    const { release, children, ports } = world(config, (request) =>
      request.service === orders ? "ROLLED_BACK" : "SUCCEEDED",
    );
    for (const [service, version] of [
      [ledger, "3.0.0"],
      [payments, "1.6.0"],
    ] as const) {
      const { deployment } = await ports.deployments.create({
        service,
        environment: "staging",
        artifact: artifact(service, version),
        strategy: "all-at-once",
      });
      await ports.deployments.transition(deployment.id, "IN_PROGRESS");
      await ports.deployments.transition(deployment.id, "SUCCEEDED");
    }

    // Act
    const { result, record } = await release({
      [orders]: artifact(orders, "2.0.0"),
      [payments]: artifact(payments, "1.7.0"),
      [ledger]: artifact(ledger, "3.1.0"),
    });

    // Assess
    expect(result.status).toBe("FAILED");
    expect(children.map((child) => `${child.request.service} ${child.request.artifact.version}`)).toEqual([
      `${ledger} 3.1.0`,
      `${payments} 1.7.0`,
      `${orders} 2.0.0`,
      `${payments} 1.6.0`,
      `${ledger} 3.0.0`,
    ]);
    expect(statuses(record)?.[0]).toEqual([
      "staging",
      "FAILED",
      { [orders]: "FAILED", [payments]: "ROLLED_BACK", [ledger]: "ROLLED_BACK" },
    ]);
  });

  it("leaves a service the release brought to an environment first as it is: nothing to restore", async () => {
    // Prepare: payments has never been deployed to staging before.
    const { config, orders, payments } = newShop();
    const { release, children } = world(config, (request) =>
      request.service === orders ? "ROLLED_BACK" : "SUCCEEDED",
    );

    // Act
    const { result, record } = await release({
      [orders]: artifact(orders, "2.0.0"),
      [payments]: artifact(payments, "1.7.0"),
    });

    // Assess
    expect(result.status).toBe("FAILED");
    expect(children.map((child) => child.request.service)).toEqual([payments, orders]);
    expect(statuses(record)?.[0]).toEqual([
      "staging",
      "FAILED",
      { [orders]: "FAILED", [payments]: "SUCCEEDED" },
    ]);
  });

  it("waits at production's one approval gate for the whole release and goes on once alice approves", async () => {
    // Prepare
    const { config, orders, payments } = newShop(true);
    const { release, resolveGate, ports, children } = world(config);
    const artifacts = { [orders]: artifact(orders, "2.0.0"), [payments]: artifact(payments, "1.7.0") };
    const plan = planRelease({ name: "spring-sale", services: artifacts }, config);
    const request = releaseRequest({ plan, config });
    const approve = (async () => {
      const deploymentId = gateDeployment(request, 1);
      const gate = await openGate({ stores: ports, deploymentId }, "approval");
      const deployedBefore = children.map((child) => child.request.environment);
      await resolveGate(decisionEvent(deploymentId, gate.gateId, "approve", "slack:alice"));
      return { gate, deployedBefore };
    })();

    // Act
    const [{ result, record }, { gate, deployedBefore }] = await Promise.all([release(artifacts), approve]);

    // Assess
    expect(gate).toMatchObject({ label: "release to production", approvers: ["alice"] });
    expect(deployedBefore).toEqual(["staging", "staging"]);
    expect(result.status).toBe("SUCCEEDED");
    expect(record?.status).toBe("PROMOTED");
  });

  it("waits while a promotion holds one of its locks and starts deploying only once that lock is given back", async () => {
    // Prepare
    const { config, orders, payments } = newShop();
    const { release, ports, children } = world(config);
    const holder = "p-0123456789abcdef0123";
    await ports.promotions.acquireLock({ service: payments, promotionId: holder });
    const artifacts = { [orders]: artifact(orders, "2.0.0"), [payments]: artifact(payments, "1.7.0") };
    const { releaseId } = planRelease({ services: artifacts }, config);
    let givenBackAt = 0;
    const giveBack = (async () => {
      // Once the release holds orders' lock, it has stopped at payments', which the promotion holds.
      const deadline = Date.now() + 5000;
      while ((await ports.releases.get(releaseId))?.locks.join() !== orders) {
        if (Date.now() > deadline) throw new Error("the release never took orders' lock");
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      givenBackAt = Date.now();
      await ports.promotions.releaseLock({ service: payments, promotionId: holder });
    })();

    // Act
    const [{ result, states }] = await Promise.all([release(artifacts), giveBack]);

    // Assess
    expect(result.status).toBe("SUCCEEDED");
    expect(states).toContain("Wait for release locks");
    expect(children[0]?.startedAt).toBeGreaterThanOrEqual(givenBackAt);
  });

  it("two releases of the same services at once never deadlock and never deploy a service twice at the same time", async () => {
    // Prepare: payments before orders in one manifest, orders before payments in the other.
    const { config, orders, payments } = newShop();
    const { release, children, ports } = world(config);

    // Act
    const [first, second] = await Promise.all([
      release({ [payments]: artifact(payments, "1.7.0"), [orders]: artifact(orders, "2.0.0") }, "first"),
      release({ [orders]: artifact(orders, "2.1.0"), [payments]: artifact(payments, "1.8.0") }, "second"),
    ]);

    // Assess
    expect([first.record?.status, second.record?.status]).toEqual(["PROMOTED", "PROMOTED"]);
    // One of them waited for the other's locks.
    expect([...first.states, ...second.states]).toContain("Wait for release locks");
    for (const service of [orders, payments]) {
      const runsOf = children.filter((child) => child.request.service === service);
      expect(runsOf).toHaveLength(6);
      const overlapping = runsOf.filter((run, index) =>
        runsOf.some(
          (other, otherIndex) =>
            otherIndex !== index &&
            other.startedAt < (run.endedAt ?? 0) &&
            run.startedAt < (other.endedAt ?? 0),
        ),
      );
      expect(overlapping).toEqual([]);
    }
    const lastVersions = Object.fromEntries(
      await Promise.all(
        [orders, payments].map(async (service) => [
          service,
          (await ports.promotions.getLock(service)).liveVersion,
        ]),
      ),
    );
    const later = (first.record?.updatedAt ?? "") > (second.record?.updatedAt ?? "") ? first : second;
    expect(lastVersions).toEqual(
      Object.fromEntries(
        Object.entries(later.record?.artifacts ?? {}).map(([service, value]) => [service, value.version]),
      ),
    );
  });

  const fn = (name: string) => `arn:aws:lambda:eu-west-1:${account}:function:${name}`;

  /** payments 1.6.0 succeeded in staging on its own before the release. */
  async function paymentsBefore(ports: Ports, payments: string): Promise<void> {
    const { deployment } = await ports.deployments.create({
      service: payments,
      environment: "staging",
      artifact: artifact(payments, "1.6.0"),
      strategy: "all-at-once",
    });
    await ports.deployments.transition(deployment.id, "IN_PROGRESS");
    await ports.deployments.transition(deployment.id, "SUCCEEDED");
  }

  it("runs each service's pre-deploy hooks before its waves and its post-deploy hooks after them, told the release", async () => {
    // Prepare
    const { config, orders, payments } = newShop(false, {
      payments: { preDeploy: [{ name: "migrate", function: fn("migrate") }] },
      orders: { postDeploy: [{ name: "verify", function: fn("verify") }] },
    });
    const { release, hooks } = world(config);

    // Act
    const { result, request, record } = await release({
      [orders]: artifact(orders, "2.0.0"),
      [payments]: artifact(payments, "1.7.0"),
    });

    // Assess
    expect(result.status).toBe("SUCCEEDED");
    const staging = request.environments[0];
    expect(hooks).toEqual([
      {
        fn: fn("migrate"),
        after: 0,
        payload: {
          contract: "glidepath.hook/v1",
          stage: "preDeploy",
          hook: "migrate",
          timeoutSeconds: 300,
          releaseId: request.releaseId,
          deploymentId: staging?.groups[0]?.[0]?.waves[0]?.deploymentId,
          service: payments,
          environment: "staging",
          artifact: artifact(payments, "1.7.0"),
        },
      },
      expect.objectContaining({
        fn: fn("verify"),
        after: 2,
        payload: expect.objectContaining({ stage: "postDeploy", service: orders }),
      }),
    ]);
    expect(record?.hooks.map((run) => [run.service, run.stage, run.hook, run.passed])).toEqual([
      [payments, "preDeploy", "migrate", true],
      [orders, "postDeploy", "verify", true],
    ]);
  });

  it("a post-deploy hook that fails stops the release: payments is restored, then its migration undone", async () => {
    // Prepare
    const { config, orders, payments } = newShop(false, {
      payments: { preDeploy: [{ name: "migrate", function: fn("migrate") }] },
      orders: { postDeploy: [{ name: "verify", function: fn("verify") }] },
    });
    const { release, hooks, children, ports } = world(
      config,
      () => "SUCCEEDED",
      15,
      (hook) => (hook === fn("verify") ? { passed: false, reason: "checkout page 500s" } : { passed: true }),
    );
    await paymentsBefore(ports, payments);

    // Act
    const { result, record } = await release({
      [orders]: artifact(orders, "2.0.0"),
      [payments]: artifact(payments, "1.7.0"),
    });

    // Assess
    expect(result.status).toBe("FAILED");
    expect(result.cause).toContain(`${orders}'s postDeploy hook verify failed (checkout page 500s)`);
    expect(children.map((child) => `${child.request.service} ${child.request.artifact.version}`)).toEqual([
      `${payments} 1.7.0`,
      `${orders} 2.0.0`,
      `${payments} 1.6.0`,
    ]);
    expect(hooks.map((hook) => [hook.payload.hook, hook.payload.stage, hook.after])).toEqual([
      ["migrate", "preDeploy", 0],
      ["verify", "postDeploy", 2],
      ["migrate", "undo", 3],
    ]);
    expect(statuses(record)?.[0]).toEqual([
      "staging",
      "FAILED",
      { [orders]: "FAILED", [payments]: "ROLLED_BACK" },
    ]);
    expect(record?.status).toBe("STOPPED");
  });

  it("an irreversible migration freezes the environment when a later service fails: nothing restored or undone", async () => {
    // Prepare
    const { config, orders, payments } = newShop(false, {
      payments: { preDeploy: [{ name: "migrate", function: fn("migrate"), irreversible: true }] },
    });
    const { release, hooks, children, ports } = world(config, (request) =>
      request.service === orders ? "ROLLED_BACK" : "SUCCEEDED",
    );
    await paymentsBefore(ports, payments);

    // Act
    const { result, record } = await release({
      [orders]: artifact(orders, "2.0.0"),
      [payments]: artifact(payments, "1.7.0"),
    });

    // Assess
    expect(result.status).toBe("FAILED");
    expect(children.map((child) => child.request.artifact.version)).toEqual(["1.7.0", "2.0.0"]);
    expect(hooks.map((hook) => hook.payload.stage)).toEqual(["preDeploy"]);
    expect(record?.status).toBe("FROZEN");
    expect(record?.environments[0]).toMatchObject({
      status: "FROZEN",
      reason: expect.stringMatching(new RegExp(`^frozen: irreversible hook ${payments} migrate ran before`)),
      services: { [orders]: "FAILED", [payments]: "SUCCEEDED" },
    });
    expect(record?.environments[1]?.status).toBe("NOT_DEPLOYED");
  });
});
