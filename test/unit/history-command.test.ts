import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { beforeEach, describe, expect, it } from "vitest";
import { historyCommand } from "../../cli/commands/history.ts";
import { statsCommand } from "../../cli/commands/stats.ts";
import type { StateTableDependencies } from "../../cli/state-table.ts";
import { UsageError } from "../../cli/usage-error.ts";
import type { Deployment } from "../../functions/domain/deployment.ts";
import { ErrorNames } from "../../functions/domain/errors.ts";
import type { Stores } from "../../functions/domain/ports/stores.ts";
import type { EnvironmentStatus, Promotion } from "../../functions/domain/promotion/record.ts";
import { promotionId } from "../../functions/domain/promotion/record.ts";
import { useStoreTable } from "../helpers/dynalite.ts";

const start = new Date("2025-03-01T09:00:00.000Z");
const minute = 60_000;
let now: Date;
let stores: Stores;
const db = useStoreTable(() => now);
let serviceCounter = 0;
let lines: string[];

beforeEach(() => {
  now = start;
  lines = [];
  stores = db.stores();
});

const print = (line: string) => lines.push(line);
const lastLine = () => lines.at(-1) ?? "";

/** The dynalite table, reached only through the name the command resolved. */
function dependencies(env: Record<string, string | undefined> = {}): StateTableDependencies & {
  now: () => Date;
} {
  return {
    stores: (tableName) => {
      expect(tableName).toBe(db.table().tableName);
      return stores;
    },
    env,
    now: () => now,
  };
}

/** Every test works on its own service so that the shared table needs no cleaning. */
function freshService(): string {
  serviceCounter += 1;
  return `history-${serviceCounter}`;
}

function advance(minutes: number): void {
  now = new Date(now.getTime() + minutes * minute);
}

/** Creates a deployment now and walks it to `outcome`, `minutes` later. */
async function deploy(
  service: string,
  version: string,
  outcome: "SUCCEEDED" | "ROLLED_BACK" | "FAILED" | "IN_PROGRESS",
  minutes: number,
): Promise<Deployment> {
  const { deployment } = await stores.deployments.create({
    service,
    environment: "production",
    artifact: { uri: `repo/${service}@sha256:${version}`, digest: `sha256:${version}`, version },
    strategy: "canary",
  });
  await stores.deployments.transition(deployment.id, "IN_PROGRESS");
  advance(minutes);
  let final: Deployment;
  if (outcome === "ROLLED_BACK") {
    await stores.deployments.transition(deployment.id, "ROLLING_BACK", { statusReason: "alarm api-5xx" });
    final = await stores.deployments.transition(deployment.id, "ROLLED_BACK", {
      statusReason: "alarm api-5xx",
    });
  } else if (outcome === "FAILED") {
    final = await stores.deployments.transition(deployment.id, "FAILED", {
      statusReason: "task never healthy",
    });
  } else if (outcome === "SUCCEEDED") {
    final = await stores.deployments.transition(deployment.id, "SUCCEEDED");
  } else {
    final = (await stores.deployments.get(deployment.id)) ?? deployment;
  }
  advance(60);
  return final;
}

/**
 * Records a promotion pushed now whose production environment ends `minutes` later with `outcome` (still
 * there for IN_PROGRESS), as the promote step leaves it; the clock then moves on another hour.
 */
async function promote(
  service: string,
  version: string,
  outcome: "SUCCEEDED" | "ROLLED_BACK" | "FAILED" | "IN_PROGRESS",
  minutes: number,
): Promise<Promotion> {
  const pushed = now.toISOString();
  advance(minutes);
  const ended = outcome === "IN_PROGRESS" ? {} : { endedAt: now.toISOString() };
  const status: EnvironmentStatus = outcome;
  const promotion: Promotion = {
    id: promotionId({ service, digest: `sha256:${version}` }),
    service,
    artifact: { uri: `repo/${service}@sha256:${version}`, digest: `sha256:${version}`, version },
    publishedAt: pushed,
    status: outcome === "SUCCEEDED" ? "PROMOTED" : outcome === "IN_PROGRESS" ? "RUNNING" : "STOPPED",
    environments: [
      {
        name: "production",
        status,
        waves: [{ deploymentId: `d-${version}`, ...(outcome === "IN_PROGRESS" ? {} : { outcome }) }],
        enteredAt: pushed,
        ...ended,
      },
    ],
    hooks: [],
    current: "production",
    lock: outcome === "IN_PROGRESS" ? "holder" : "none",
    ...(outcome === "SUCCEEDED" || outcome === "IN_PROGRESS"
      ? {}
      : { reason: `${ErrorNames.AlarmFired}: api-5xx` }),
    createdAt: pushed,
    updatedAt: now.toISOString(),
    revision: 1,
  };
  await stores.promotions.create(promotion);
  advance(60);
  return promotion;
}

describe("glidepath history", () => {
  it("adds a region column when the environment deploys region waves", async () => {
    // Prepare
    const service = freshService();
    for (const region of ["eu-west-1", "us-east-1"]) {
      await stores.deployments.create({
        service,
        environment: "production",
        artifact: { uri: `repo/${service}@sha256:2.0.0`, digest: "sha256:2.0.0", version: "2.0.0" },
        strategy: "canary",
        region,
      });
      advance(1);
    }

    // Act
    await historyCommand({ service, env: "production", table: db.table().tableName }, dependencies(), print);

    // Assess
    const output = lines.join("\n").split("\n");
    expect(output[0]).toMatch(/^created\s+id\s+region\s+version\s+strategy\s+status\s+reason$/);
    expect(output.slice(2, 4).map((line) => line.split(/\s+/)[3])).toEqual(["us-east-1", "eu-west-1"]);
  });

  it("prints one page newest first as a table, and says when it is the last", async () => {
    // Prepare
    const service = freshService();
    const first = await deploy(service, "1.0.0", "SUCCEEDED", 10);
    const second = await deploy(service, "1.1.0", "ROLLED_BACK", 5);
    const third = await deploy(service, "1.2.0", "IN_PROGRESS", 1);

    // Act
    await historyCommand({ service, env: "production", table: db.table().tableName }, dependencies(), print);

    // Assess
    const output = lines.join("\n").split("\n");
    expect(output[0]).toMatch(/^created\s+id\s+version\s+strategy\s+status\s+reason$/);
    expect(output.slice(2)).toEqual([
      expect.stringMatching(
        new RegExp(`^2025-03-01 11:15:00Z\\s+${third.id}\\s+1\\.2\\.0\\s+canary\\s+IN_PROGRESS\\s+-$`),
      ),
      expect.stringMatching(
        new RegExp(
          `^2025-03-01 10:10:00Z\\s+${second.id}\\s+1\\.1\\.0\\s+canary\\s+ROLLED_BACK\\s+alarm api-5xx$`,
        ),
      ),
      expect.stringMatching(
        new RegExp(`^2025-03-01 09:00:00Z\\s+${first.id}\\s+1\\.0\\.0\\s+canary\\s+SUCCEEDED\\s+-$`),
      ),
      "(last page)",
    ]);
  });

  it("pages with the printed --cursor until the last page", async () => {
    // Prepare
    const service = freshService();
    const versions = ["1.0.0", "1.1.0", "1.2.0"];
    for (const version of versions) await deploy(service, version, "SUCCEEDED", 10);

    // Act
    await historyCommand(
      { service, env: "production", limit: "2", table: db.table().tableName },
      dependencies(),
      print,
    );
    const hint = lastLine();
    const cursor = hint.match(/--cursor (\S+)$/)?.[1] ?? "";
    lines = [];
    await historyCommand(
      { service, env: "production", limit: "2", cursor, table: db.table().tableName },
      dependencies(),
      print,
    );

    // Assess
    expect(hint).toBe(
      `next page: glidepath history --service ${service} --env production --limit 2 --table ${db.table().tableName} --cursor ${cursor}`,
    );
    const secondPage = lines.join("\n");
    expect(secondPage).toMatch(/\s1\.0\.0\s+canary\s+SUCCEEDED/);
    expect(secondPage).not.toContain("1.1.0");
    expect(lastLine()).toBe("(last page)");
  });

  it("--json prints { items, nextCursor } on the last line, and the cursor leads to the next page", async () => {
    // Prepare
    const service = freshService();
    const older = await deploy(service, "2.0.0", "FAILED", 3);
    const newer = await deploy(service, "2.1.0", "SUCCEEDED", 7);

    // Act
    await historyCommand(
      { service, env: "production", limit: "1", json: true, table: db.table().tableName },
      dependencies(),
      print,
    );
    const first = JSON.parse(lastLine()) as { items: Deployment[]; nextCursor: string | null };
    await historyCommand(
      { service, env: "production", limit: "1", json: true, cursor: first.nextCursor ?? "" },
      dependencies({ GLIDEPATH_TABLE: db.table().tableName }),
      print,
    );
    const second = JSON.parse(lastLine()) as { items: Deployment[]; nextCursor: string | null };

    // Assess
    expect(first.items).toEqual([newer]);
    expect(first.nextCursor).toEqual(expect.any(String));
    expect(second).toEqual({ items: [older], nextCursor: null });
  });

  it("says so when the service has no deployments there", async () => {
    // Act
    await historyCommand(
      { service: freshService(), env: "staging" },
      dependencies({ GLIDEPATH_TABLE: db.table().tableName }),
      print,
    );

    // Assess
    expect(lines).toEqual([expect.stringMatching(/^no deployments of history-\d+ in staging$/)]);
  });

  it("--promotions lists the service's promotions newest first with each environment's status", async () => {
    // Prepare
    const service = freshService();
    await promote(service, "1.0.0", "SUCCEEDED", 10);
    await promote(service, "1.1.0", "ROLLED_BACK", 5);

    // Act
    await historyCommand({ service, promotions: true, table: db.table().tableName }, dependencies(), print);

    // Assess
    const output = lines.join("\n").split("\n");
    expect(output[0]?.split(/\s{2,}/)).toEqual([
      "created",
      "id",
      "version",
      "status",
      "environments",
      "reason",
    ]);
    expect(output.slice(2, 4).map((line) => line.split(/\s{2,}/).slice(2))).toEqual([
      ["1.1.0", "STOPPED", "production:ROLLED_BACK", `${ErrorNames.AlarmFired}: api-5xx`],
      ["1.0.0", "PROMOTED", "production:SUCCEEDED", "-"],
    ]);
    expect(output.at(-1)).toBe("(last page)");
  });

  it("--releases lists the releases newest first: services at their versions, and what did not succeed in each environment", async () => {
    // Prepare: two releases, the newer stopped in staging where payments was rolled back.
    const [older, newer] = [freshService(), freshService()].map((suffix, index) => ({
      id: `r-${suffix.replace(/\D/g, "").padStart(20, "f")}`,
      name: `sale-${index}`,
      artifacts: {
        orders: { uri: "local://o", digest: "sha256:oooooooooooooooo", version: `2.${index}.0` },
        payments: { uri: "local://p", digest: "sha256:pppppppppppppppp", version: `1.${index}.0` },
      },
      groups: [["payments"], ["orders"]],
      publishedAt: now.toISOString(),
      status: index === 0 ? ("PROMOTED" as const) : ("STOPPED" as const),
      environments: [
        {
          name: "staging",
          status: index === 0 ? ("SUCCEEDED" as const) : ("FAILED" as const),
          services:
            index === 0
              ? { orders: "SUCCEEDED" as const, payments: "SUCCEEDED" as const }
              : { orders: "FAILED" as const, payments: "ROLLED_BACK" as const },
        },
      ],
      locks: [],
      hooks: [],
      ...(index === 0 ? {} : { reason: "orders failed in staging" }),
      createdAt: new Date(now.getTime() + index * minute).toISOString(),
      updatedAt: now.toISOString(),
      revision: 5,
    }));
    if (older === undefined || newer === undefined) throw new Error("two releases");
    await stores.releases.create(older);
    await stores.releases.create(newer);

    // Act
    await historyCommand({ releases: true, limit: "2", table: db.table().tableName }, dependencies(), print);

    // Assess
    const rows = lines.flatMap((line) => line.split("\n")).filter((line) => line.startsWith("20"));
    expect(rows[0]).toMatch(
      new RegExp(
        `^\\S+ \\S+\\s+${newer.id}\\s+sale-1\\s+payments@1\\.1\\.0 orders@2\\.1\\.0\\s+STOPPED\\s+staging:FAILED\\(orders:FAILED,payments:ROLLED_BACK\\)\\s+orders failed in staging$`,
      ),
    );
    expect(rows[1]).toMatch(
      new RegExp(
        `${older.id}\\s+sale-0\\s+payments@1\\.0\\.0 orders@2\\.0\\.0\\s+PROMOTED\\s+staging:SUCCEEDED\\s+-$`,
      ),
    );
  });

  it("--promotions pages with a cursor whose next command names --promotions", async () => {
    // Prepare
    const service = freshService();
    for (const version of ["1.0.0", "1.1.0", "1.2.0"]) await promote(service, version, "SUCCEEDED", 1);

    // Act
    await historyCommand(
      { service, promotions: true, limit: "2", table: db.table().tableName },
      dependencies(),
      print,
    );
    const next = lines.at(-1) ?? "";
    const cursor = next.split("--cursor ")[1] ?? "";
    lines = [];
    await historyCommand(
      { service, promotions: true, limit: "2", cursor, json: true, table: db.table().tableName },
      dependencies(),
      print,
    );

    // Assess
    expect(next).toBe(
      `next page: glidepath history --service ${service} --promotions --limit 2 --table ${db.table().tableName} --cursor ${cursor}`,
    );
    const page = JSON.parse(lastLine()) as { items: Promotion[]; nextCursor: string | null };
    expect(page.items.map((promotion) => promotion.artifact.version)).toEqual(["1.0.0"]);
    expect(page.nextCursor).toBeNull();
  });

  it.each([
    [
      "neither --env nor --promotions",
      {},
      /pass --env <name> for an environment's deployments, or --promotions/,
    ],
    ["both --env and --promotions", { env: "production", promotions: true }, /leave out --env/],
    [
      "--releases with --service",
      { releases: true },
      /--releases lists every release, of every service: leave out --service, --env and --promotions/,
    ],
    [
      "no --service without --releases",
      { service: undefined },
      /pass --service <name> \(with --env or --promotions\), or --releases for the releases/,
    ],
  ])("refuses %s with a usage error", async (_name, options, message) => {
    // Act
    const run = historyCommand(
      { service: freshService(), table: db.table().tableName, ...options },
      dependencies(),
      print,
    );

    // Assess
    await expect(run).rejects.toThrow(UsageError);
    await expect(run).rejects.toThrow(message);
  });

  it.each([
    ["no --table and no GLIDEPATH_TABLE", {}, {}, /--table NAME or set GLIDEPATH_TABLE.*`TableName` output/],
    ["an empty GLIDEPATH_TABLE", {}, { GLIDEPATH_TABLE: " " }, /GLIDEPATH_TABLE/],
    [
      "a limit that is not a positive integer",
      { limit: "0" },
      { GLIDEPATH_TABLE: "t" },
      /--limit must be a positive integer/,
    ],
    ["a cursor it did not print", { cursor: "bm9wZQ" }, { GLIDEPATH_TABLE: "t" }, /Invalid history cursor/],
  ])("refuses %s with a usage error", async (_name, options, env, message) => {
    // Prepare
    const deps: StateTableDependencies = { stores: () => stores, env };

    // Act
    const run = historyCommand({ service: freshService(), env: "production", ...options }, deps, print);

    // Assess
    await expect(run).rejects.toThrow(UsageError);
    await expect(run).rejects.toThrow(message);
    expect(lines).toEqual([]);
  });

  it("the CLI exits 2 and says where the table name comes from when none is given", async () => {
    // Prepare
    const root = fileURLToPath(new URL("../..", import.meta.url));
    const env = { ...process.env };
    delete env.GLIDEPATH_TABLE;

    // Act
    const result = await promisify(execFile)(
      process.execPath,
      ["cli/main.ts", "history", "--service", "checkout", "--env", "production"],
      { cwd: root, env },
    ).then(
      () => ({ code: 0, stderr: "" }),
      (error: { code: number; stderr: string }) => error,
    );

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("pass --table NAME or set GLIDEPATH_TABLE");
    expect(result.stderr).toContain("TableName");
  });
});

describe("glidepath stats", () => {
  /** Two successes (10m and 30m), a rollback restored 2h later, an old success outside a 1-day window. */
  async function history(service: string): Promise<void> {
    await promote(service, "0.9.0", "SUCCEEDED", 5);
    advance(2 * 24 * 60);
    await promote(service, "1.0.0", "SUCCEEDED", 10);
    await promote(service, "1.1.0", "ROLLED_BACK", 20); // ends, then 60m pause, then 1.2.0 runs 60m
    await promote(service, "1.2.0", "SUCCEEDED", 60);
    await promote(service, "1.3.0", "IN_PROGRESS", 1);
  }

  it("reads every page and prints the four metrics as JSON", async () => {
    // Prepare
    const service = freshService();
    await history(service);
    const pages: (string | undefined)[] = [];
    const twoPerPage: StateTableDependencies = {
      env: { GLIDEPATH_TABLE: db.table().tableName },
      stores: () => ({
        ...stores,
        promotions: {
          ...stores.promotions,
          history: (query) => {
            pages.push(query.cursor);
            return stores.promotions.history({ ...query, limit: 2 });
          },
        },
      }),
    };

    // Act
    await statsCommand({ service, days: "1", json: true }, { ...twoPerPage, now: () => now }, print);

    // Assess
    expect(pages).toEqual([undefined, expect.any(String), expect.any(String)]);
    expect(JSON.parse(lastLine())).toEqual({
      service,
      environment: "production",
      window: { from: "2025-03-02T15:36:00.000Z", to: "2025-03-03T15:36:00.000Z", days: 1 },
      finished: { succeeded: 2, failed: 0, rolledBack: 1, total: 3 },
      deploymentFrequency: { perDay: 2, perWeek: 14 },
      leadTime: { count: 2, medianSeconds: 2100, meanSeconds: 2100 },
      changeFailureRate: 1 / 3,
      timeToRestore: { count: 1, medianSeconds: 7200, meanSeconds: 7200, unrestored: 0 },
    });
  });

  it("prints a readable table, defaulting to production over 30 days", async () => {
    // Prepare
    const service = freshService();
    await history(service);

    // Act
    await statsCommand({ service }, dependencies({ GLIDEPATH_TABLE: db.table().tableName }), print);

    // Assess
    const output = lines.join("\n");
    expect(lines[0]).toBe(
      `${service} → production, last 30 days (2025-02-01T15:36:00.000Z → 2025-03-03T15:36:00.000Z), 4 finished changes`,
    );
    expect(output).toMatch(/^deployment frequency\s+0\.1\/day, 0\.7\/week \(3 succeeded\)$/m);
    expect(output).toMatch(/^lead time\s+median 10m, mean 25m \(3\)$/m);
    expect(output).toMatch(/^change failure rate\s+25% \(0 failed \+ 1 rolled back of 4\)$/m);
    expect(output).toMatch(/^time to restore\s+median 2h, mean 2h \(1\)$/m);
  });

  it("prints dashes, not NaN, for a service without promotions", async () => {
    // Act
    await statsCommand(
      { service: freshService(), env: "staging", table: db.table().tableName },
      dependencies(),
      print,
    );

    // Assess
    const output = lines.join("\n");
    expect(output).toMatch(/^deployment frequency\s+0\/day, 0\/week \(0 succeeded\)$/m);
    expect(output).toMatch(/^lead time\s+- \(no successful changes\)$/m);
    expect(output).toMatch(/^change failure rate\s+- \(no finished changes\)$/m);
    expect(output).toMatch(/^time to restore\s+- \(no failures\)$/m);
    expect(output).not.toContain("NaN");
  });

  it("stats counts a release that shipped the service: rolled back there when its release failed", async () => {
    // Prepare: a release of the service and another, failed in production 20 minutes after its push.
    const service = freshService();
    const endedAt = new Date(start.getTime() + 20 * minute).toISOString();
    await stores.releases.create({
      id: `r-${String(serviceCounter).padStart(20, "0")}`,
      artifacts: {
        [service]: { uri: "local://a", digest: "sha256:aaaaaaaaaaaaaaaa", version: "2.0.0" },
        other: { uri: "local://b", digest: "sha256:bbbbbbbbbbbbbbbb", version: "1.0.0" },
      },
      groups: [[service], ["other"]],
      publishedAt: start.toISOString(),
      status: "STOPPED",
      environments: [
        {
          name: "production",
          status: "FAILED",
          services: { [service]: "ROLLED_BACK", other: "FAILED" },
          endedAt,
        },
      ],
      locks: [],
      hooks: [],
      createdAt: start.toISOString(),
      updatedAt: endedAt,
      revision: 8,
    });
    advance(60);

    // Act
    await statsCommand(
      { service, days: "1", json: true },
      dependencies({ GLIDEPATH_TABLE: db.table().tableName }),
      print,
    );

    // Assess
    expect(JSON.parse(lastLine()).finished).toEqual({ succeeded: 0, failed: 0, rolledBack: 1, total: 1 });
  });

  it.each([
    ["no table", { service: "s" }, {}, /GLIDEPATH_TABLE/],
    [
      "a bad --days",
      { service: "s", days: "-3" },
      { GLIDEPATH_TABLE: "t" },
      /--days must be a positive integer/,
    ],
  ])("refuses %s with a usage error", async (_name, options, env, message) => {
    // Act
    const run = statsCommand(options, { stores: () => stores, env }, print);

    // Assess
    await expect(run).rejects.toThrow(UsageError);
    await expect(run).rejects.toThrow(message);
  });
});
