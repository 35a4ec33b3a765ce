import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { describe, expect, it } from "vitest";
import { dynamoDbStores } from "../../functions/adapters/aws/dynamodb-stores.ts";
import type { Decision } from "../../functions/domain/deployment.ts";
import type { ExposureValues } from "../../functions/domain/exposure.ts";
import { openSavedTable, savedTableFile } from "../../local/saved-table.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const output = `${root}test-results/report`;
const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Runs `glidepath <args>` as a terminal would; resolves with its exit code and output. */
function cli(...args: string[]) {
  return new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(process.execPath, ["cli/main.ts", ...args], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let text = "";
    child.stdout.on("data", (chunk: Buffer) => (text += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (text += chunk.toString()));
    child.on("close", (code) => resolve({ code, output: text }));
  });
}

interface Summary {
  readonly status: string;
  readonly requests: { readonly old: number; readonly new: number };
  readonly errorsServedByNew: number;
  readonly deploymentId: string;
  readonly promotions: readonly { readonly id: string }[];
}

/** `npm start` on staging alone (one wave), then the decision log the run left (.glidepath/table.json). */
async function stagingRun(scenario: "good" | "bad") {
  const run = await cli(
    "demo",
    "--env",
    "staging",
    "--scenario",
    scenario,
    "--speed",
    "20",
    "--rps",
    "300",
    "--json",
  );
  expect(run.code, run.output.slice(-3000)).toBe(0);
  const summary = JSON.parse(run.output.trimEnd().split("\n").at(-1) ?? "") as Summary;
  const table = await openSavedTable(`${root}${savedTableFile}`);
  if (table === undefined) throw new Error("the run left no table");
  try {
    const decisions = await dynamoDbStores({
      client: table.client,
      tableName: table.tableName,
    }).decisions.list(summary.deploymentId);
    return { summary, decisions, promotionId: summary.promotions[0]?.id ?? "", printed: run.output };
  } finally {
    await table.close();
  }
}

const exposureOf = (decisions: readonly Decision[]) =>
  decisions.find((decision) => decision.action === "exposure")?.values as ExposureValues | undefined;

/** The decision that rolled back (the evaluation's, with its values), if any. */
const rollbackOf = (decisions: readonly Decision[]) =>
  decisions.find((decision) => decision.action === "rollback" && decision.actor !== "state-machine");

describe("glidepath report, after real local runs", () => {
  it("bad: the Markdown holds the rollback's numbers from the decision log, and its exposure, printed at the promotion's end, equals the router's counts", {
    timeout: 120_000,
  }, async () => {
    // Prepare
    const { summary, decisions, promotionId, printed } = await stagingRun("bad");

    // Act
    const report = await cli("report", promotionId);

    // Assess
    expect(report.code, report.output).toBe(0);
    expect(summary.status).toBe("ROLLED_BACK");
    const exposure = exposureOf(decisions);
    // What the run's router counted for the new version, to the request; the promotion's end says it too.
    expect(exposure).toMatchObject({ requests: summary.requests.new, errors: summary.errorsServedByNew });
    expect(printed).toContain(
      `  exposure: the new version served ${summary.requests.new} requests and ${summary.errorsServedByNew} errors (1 of 1 waves recorded)`,
    );
    expect(printed).toContain(
      `  full report: npx glidepath report ${promotionId} --format html --out report.html`,
    );
    expect(report.output).toContain(
      `| staging eu-west-1 | ${summary.deploymentId} | ${summary.requests.new} | ${summary.errorsServedByNew} |`,
    );
    const rollback = rollbackOf(decisions);
    const values = rollback?.values as {
      new: { requests: number; errors: number };
      analysis: {
        errorRateComparison: { applicable: boolean; failEValue: number; failBound: number };
        errorRateLimit: { eValue: number; bound: number };
      };
    };
    const { errorRateComparison: comparison, errorRateLimit: limit } = values.analysis;
    // The evaluation that rolled back, as its row of the Evaluations table.
    const row = report.output
      .split("\n")
      .find((line) => line.startsWith(`| ${rollback?.at} |`) && line.includes("| rollback |"));
    expect(row, report.output).toContain(`| ${values.new.requests} | ${values.new.errors} |`);
    expect(row).toContain(
      comparison.applicable
        ? `| ${comparison.failEValue} of ${comparison.failBound} |`
        : "| not applicable |",
    );
    expect(row).toContain(`: ${limit.eValue} of ${limit.bound} |`);
    expect(report.output).toContain(rollback?.reason);
  });

  it("good: the Markdown has every evaluation's counts, the HTML report's exposure equals the decision log's, and it opens in Chromium with no request leaving the file", {
    timeout: 120_000,
  }, async () => {
    // Prepare
    const { summary, decisions, promotionId } = await stagingRun("good");
    mkdirSync(output, { recursive: true });
    const file = join(mkdtempSync(join(tmpdir(), "glidepath-report-")), "report.html");

    // Act
    const markdown = await cli("report", promotionId);
    const written = await cli("report", promotionId, "--format", "html", "--out", file);
    const browser = await chromium.launch({
      executablePath,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    const requests: string[] = [];
    let charts = 0;
    let rows: string[] = [];
    try {
      const page = await browser.newPage();
      page.on("request", (request) => requests.push(request.url()));
      await page.goto(pathToFileURL(file).href);
      charts = await page.locator("svg").count();
      rows = await page.locator("tr", { hasText: summary.deploymentId }).allTextContents();
      await page.screenshot({ path: `${output}/report.png`, fullPage: true });
    } finally {
      await browser.close();
    }

    // Assess
    expect(written.code, written.output).toBe(0);
    expect(written.output.trim()).toBe(file);
    expect(summary.status).toBe("SUCCEEDED");
    const exposure = exposureOf(decisions);
    expect(exposure?.requests).toBeGreaterThan(0);
    // The router counts on after the deployment ended (the new version serves everything): never fewer.
    expect(exposure?.requests).toBeLessThanOrEqual(summary.requests.new);
    // The exposure table's row: the wave, its deployment, then requests and errors.
    expect(rows).toContainEqual(
      expect.stringContaining(`${summary.deploymentId}${exposure?.requests}${exposure?.errors}`),
    );
    // Every evaluation of the log is a row of the Markdown's Evaluations table, with the new arm's counts.
    const evaluations = decisions.filter((decision) => decision.actor === "analysis");
    expect(evaluations.length).toBeGreaterThan(3);
    for (const evaluation of evaluations) {
      const arm = (evaluation.values as { new: { requests: number; errors: number } }).new;
      const row = markdown.output
        .split("\n")
        .find((line) => line.startsWith(`| ${evaluation.at} |`) && line.includes(`| ${evaluation.action} |`));
      expect(row, evaluation.reason).toContain(`| ${arm.requests} | ${arm.errors} |`);
    }
    expect(requests).toEqual([pathToFileURL(file).href]);
    expect(charts).toBeGreaterThanOrEqual(3);
  });
});
