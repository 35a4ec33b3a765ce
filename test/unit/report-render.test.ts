import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type ReportDependencies, reportCommand } from "../../cli/commands/report.ts";
import { renderHtml } from "../../cli/report/html.ts";
import { renderMarkdown } from "../../cli/report/markdown.ts";
import { reportModel } from "../../cli/report/model.ts";
import type { ReportSnapshot } from "../../cli/report/read.ts";
import { lineChartSvg } from "../../cli/report/svg-chart.ts";
import { UsageError } from "../../cli/usage-error.ts";
import type { ExperimentVerdict } from "../../functions/domain/analysis/experiment.ts";
import type { Decision, Deployment } from "../../functions/domain/deployment.ts";
import type { EvaluationValues } from "../../functions/domain/evaluation-values.ts";
import type { Promotion } from "../../functions/domain/promotion/record.ts";

const deploymentId = "d-bbbbbbbbbbbbbbbbbbbb";
const hostileReason = `alarm said <script>alert("x")</script> | and more`;

/** `09:mm:ss` on the day of the fixtures. */
const at = (time: string) => `2026-03-02T09:${time}.000Z`;

/** An evaluation as the evaluate step logs it, at 25% with a 60 s bake. */
function evaluation(input: {
  readonly at: string;
  readonly action: Decision["action"];
  readonly elapsedSeconds: number;
  readonly old: { readonly requests: number; readonly errors: number; readonly p95Ms: number };
  readonly new: { readonly requests: number; readonly errors: number; readonly p95Ms: number };
  readonly failEValue: number;
  readonly limitEValue: number;
}): Decision {
  const arm = (counts: typeof input.old) => ({ ...counts, errorRate: counts.errors / counts.requests });
  const values = {
    alarms: [{ name: "checkout-5xx", state: "OK", reason: "Threshold Crossed" }],
    missingAlarms: [],
    old: arm(input.old),
    new: arm(input.new),
    thresholds: {
      minRequests: 100,
      maxErrorRate: 0.01,
      maxErrorRateRatio: 2,
      maxLatencyRatio: 1.5,
      alpha: 0.01,
      phaseAlpha: 0.005,
      beta: 0.05,
      missingData: "inconclusive",
    },
    analysis: {
      verdict: input.action === "rollback" ? "fail" : "continue",
      failedBy: input.action === "rollback" ? "error-rate-limit" : null,
      enoughRequests: true,
      leansToDegradation: false,
      errorRateComparison: {
        verdict: "continue",
        applicable: true,
        requestShare: 0.25,
        errorShare: 0.9,
        errors: input.old.errors + input.new.errors,
        failEValue: input.failEValue,
        failBound: 200,
        failRatios: [2, 4, 8, 16],
        likeliestRatio: 16,
        passEValue: 0.0148,
        passBound: 20,
        passRatio: 2,
      },
      errorRateLimit: {
        verdict: "continue",
        limit: 0.01,
        requests: input.new.requests,
        errors: input.new.errors,
        eValue: input.limitEValue,
        bound: 200,
      },
      latency: {
        verdict: "pass",
        ratio: input.new.p95Ms / input.old.p95Ms,
        limit: 1.5,
        oldP95Ms: input.old.p95Ms,
        newP95Ms: input.new.p95Ms,
        oldP99Ms: null,
        newP99Ms: null,
      },
    },
    bake: { elapsedSeconds: input.elapsedSeconds, bakeSeconds: 60 },
    checks: [{ check: "errors", onFail: "rollback", failing: false, since: null, failed: false }],
    businessMetrics: [],
    targetHealth: null,
    pause: null,
  } satisfies EvaluationValues;
  return {
    deploymentId,
    id: `phase-1-at-${input.elapsedSeconds}s`,
    at: input.at,
    action: input.action,
    actor: "analysis",
    reason: input.action === "rollback" ? hostileReason : "healthy so far",
    values: { ...values, phase: { index: 0, weight: 25, bakeSeconds: 60, gates: [] }, newColour: "green" },
  };
}

/** Shifted to 25% at 09:00:00, failed by the analysis at 09:01:00, traffic back at 09:01:05. */
const log: Decision[] = [
  evaluation({
    at: at("00:30"),
    action: "continue",
    elapsedSeconds: 30,
    old: { requests: 900, errors: 1, p95Ms: 80 },
    new: { requests: 300, errors: 12, p95Ms: 95.25 },
    failEValue: 31.6,
    limitEValue: 40.2,
  }),
  evaluation({
    at: at("01:00"),
    action: "rollback",
    elapsedSeconds: 60,
    old: { requests: 1800, errors: 2, p95Ms: 81 },
    new: { requests: 610, errors: 37, p95Ms: 99 },
    failEValue: 8730,
    limitEValue: 1328,
  }),
  {
    deploymentId,
    id: "exposure",
    at: at("01:05"),
    action: "exposure",
    actor: "record",
    reason:
      "the new version served 640 requests and 39 errors from its first shift until the deployment ended",
    values: { colour: "green", from: at("00:00"), to: at("01:05"), requests: 640, errors: 39 },
  },
];

const deployment: Deployment = {
  id: deploymentId,
  service: "checkout",
  environment: "production",
  region: "eu-west-1",
  artifact: { uri: "local://checkout@sha256:ab", digest: `sha256:${"ab".repeat(32)}`, version: "1.4.1" },
  strategy: "canary",
  status: "ROLLED_BACK",
  weights: { old: 100, new: 0 },
  createdAt: "2026-03-02T08:59:00.000Z",
  updatedAt: at("01:05"),
  statusReason: hostileReason,
  approvals: [],
  attempt: 1,
};

function snapshot(decisions: readonly Decision[] = log): ReportSnapshot {
  return {
    readAt: at("30:00"),
    deploymentId,
    deployments: { [deploymentId]: deployment },
    decisions: { [deploymentId]: decisions },
  };
}

const withoutExposure = () => snapshot(log.filter((decision) => decision.action !== "exposure"));

describe("renderMarkdown", () => {
  it("the exposure row has the recorded requests, errors and rate, the detection, 1m to detection and 1m 5s to traffic back", () => {
    // Act
    const markdown = renderMarkdown(reportModel(snapshot()));

    // Assess
    expect(markdown).toContain(
      `| production eu-west-1 | ${deploymentId} | 640 | 39 | 6.09% | ${at("00:00")} | ${at("01:00")} by analysis | 1m | ${at("01:05")} | 1m 5s |`,
    );
  });

  it("without an exposure decision the exposure cells say not recorded and no served numbers appear", () => {
    // Act
    const markdown = renderMarkdown(reportModel(withoutExposure()));

    // Assess
    expect(markdown).toContain(
      `| production eu-west-1 | ${deploymentId} | not recorded | not recorded | not recorded | ${at("00:00")} | ${at("01:00")} by analysis | 1m | not recorded | not recorded |`,
    );
    expect(markdown).not.toContain("640");
  });

  it("an evaluation's row has each arm's requests, errors, 5xx rate and p95, the e-values against their bounds and the alarms", () => {
    // Act
    const markdown = renderMarkdown(reportModel(snapshot()));

    // Assess
    expect(markdown).toContain(
      `| ${at("01:00")} | 1 | 25% | 1m of 1m | rollback | 1800 | 2 | 0.11% | 81 ms | 610 | 37 | 6.07% | 99 ms | 8730 of 200 | 0.0148 of 20 | 1%: 1328 of 200 | checkout-5xx OK |`,
    );
    expect(markdown).toContain(`| 1 | 25% | ${at("00:00")} | 1m of 1m | 2 | rollback at ${at("01:00")} |`);
  });

  it("a reason with <script> and | is escaped: no raw tag, the pipe does not end the table cell", () => {
    // Act
    const markdown = renderMarkdown(reportModel(snapshot()));

    // Assess
    expect(markdown).not.toContain("<script>");
    expect(markdown).toContain('alarm said &lt;script&gt;alert("x")&lt;/script&gt; \\| and more');
  });

  it("a promotion's exposure has a total row of the recorded waves and says how many waves have none recorded", () => {
    // Prepare: production's second wave (us-east-1) rolled back too, with no exposure recorded
    const second = "d-cccccccccccccccccccc";
    const promotion: Promotion = {
      id: "p-0123456789abcdef0123",
      service: "checkout",
      artifact: deployment.artifact,
      publishedAt: "2026-03-02T08:00:00.000Z",
      status: "STOPPED",
      environments: [
        {
          name: "production",
          status: "ROLLED_BACK",
          waves: [
            { deploymentId, region: "eu-west-1", outcome: "ROLLED_BACK" },
            { deploymentId: second, region: "us-east-1", outcome: "ROLLED_BACK" },
          ],
        },
      ],
      hooks: [],
      lock: "none",
      createdAt: "2026-03-02T08:29:00.000Z",
      updatedAt: at("01:11"),
      revision: 4,
    };

    // Act
    const markdown = renderMarkdown(
      reportModel({
        readAt: at("30:00"),
        promotion,
        deployments: {
          [deploymentId]: deployment,
          [second]: { ...deployment, id: second, region: "us-east-1" },
        },
        decisions: { [deploymentId]: log, [second]: withoutExposure().decisions[deploymentId] ?? [] },
      }),
    );

    // Assess
    expect(markdown).toContain("| Total (2 waves) |  | 640 | 39 | 6.09% |");
    expect(markdown).toContain("1 of 2 waves have no exposure recorded: the total leaves them out.");
  });

  it("users affected: the experiment verdict's treatment and control counts, and no such line without a verdict", () => {
    // Prepare
    const verdict: Decision = {
      deploymentId,
      id: "experiment-verdict",
      at: at("01:00"),
      action: "verdict",
      actor: "experiment",
      reason: "control won",
      values: {
        verdict: {
          winner: "control",
          metric: "checkout-conversion",
          confidence: 0.95,
          enoughSamples: true,
          minSamples: 200,
          control: { numerator: 120, denominator: 1180, rate: 120 / 1180, interval: [0.08, 0.12] },
          treatment: { numerator: 80, denominator: 1210, rate: 80 / 1210, interval: [0.05, 0.08] },
          lift: -0.35,
          liftInterval: [-0.5, -0.1],
        } satisfies ExperimentVerdict,
      },
    };

    // Act
    const withVerdict = renderMarkdown(reportModel(snapshot([...log, verdict])));
    const without = renderMarkdown(reportModel(snapshot()));

    // Assess
    expect(withVerdict).toContain(
      "Users affected: production eu-west-1: 1210 on the new version (treatment), 1180 on the old (control), counted by checkout-conversion.",
    );
    expect(without).not.toContain("Users affected");
  });
});

describe("renderHtml", () => {
  it("is self-contained: no URL, src, href, url(), @import, script, link, img or iframe, and a CSP that forbids loading anything", () => {
    // Act
    const html = renderHtml(reportModel(snapshot()));

    // Assess
    for (const forbidden of [
      "http://",
      "https://",
      "src=",
      "href=",
      "url(",
      "@import",
      "<script",
      "<link",
      "<img",
      "<iframe",
    ]) {
      expect(html, forbidden).not.toContain(forbidden);
    }
    expect(html).toContain(
      `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    );
    expect(html).toMatch(/^<!DOCTYPE html>/);
  });

  it("a reason with <script> appears escaped", () => {
    // Act
    const html = renderHtml(reportModel(snapshot()));

    // Assess
    expect(html).toContain("alarm said &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; | and more");
  });

  it("has the exposure's numbers and three inline SVG charts (weight, 5xx rate, p95) for the wave", () => {
    // Act
    const html = renderHtml(reportModel(snapshot()));

    // Assess
    expect(html).toContain(`<td>${deploymentId}</td><td>640</td><td>39</td><td>6.09%</td>`);
    expect(html.match(/<svg /g)).toHaveLength(3);
    expect(html).toContain("<title>Weight of the new version (%)</title>");
    expect(html).toContain("<title>new version: 6.07% at 09:01:00Z</title>");
    expect(html).toContain("<title>old version: 81 ms at 09:01:00Z</title>");
  });
});

describe("lineChartSvg", () => {
  it("escapes the title and the series' names, and a null point breaks the line in two", () => {
    // Act
    const svg = lineChartSvg({
      title: `<b>"rate"</b>`,
      series: [
        {
          name: "a & b",
          colour: "#000",
          points: [
            { x: 0, y: 1 },
            { x: 1, y: 2 },
            { x: 2, y: null },
            { x: 3, y: 1 },
            { x: 4, y: 3 },
          ],
        },
      ],
      formatX: String,
      formatY: String,
    });

    // Assess
    expect(svg).not.toContain("<b>");
    expect(svg).toContain("<title>&lt;b&gt;&quot;rate&quot;&lt;/b&gt;</title>");
    expect(svg).toContain(">a &amp; b</text>");
    expect(svg.match(/<polyline /g)).toHaveLength(2);
    expect(svg.match(/<circle /g)).toHaveLength(4);
  });

  it("says nothing was measured when no series has a point", () => {
    // Act
    const svg = lineChartSvg({ title: "p95", series: [], formatX: String, formatY: String });

    // Assess
    expect(svg).toContain("nothing measured");
    expect(svg).not.toContain("<polyline");
  });
});

/** The fixture's table, read through the `status` reads, counting closes. */
function dependencies(): ReportDependencies & { closed: () => number; reads: () => number } {
  let closed = 0;
  let reads = 0;
  const decisions = snapshot().decisions;
  return {
    stores: () => ({
      promotions: { get: async () => undefined },
      deployments: {
        get: async (id) => {
          reads += 1;
          return id === deploymentId ? deployment : undefined;
        },
      },
      gates: { getOpen: async () => undefined },
      decisions: { list: async (id) => decisions[id] ?? [] },
    }),
    env: { GLIDEPATH_TABLE: "glidepath-test" },
    close: async () => {
      closed += 1;
    },
    closed: () => closed,
    reads: () => reads,
  };
}

describe("reportCommand", () => {
  it("prints the Markdown report by default, exits 0 and closes the table", async () => {
    // Prepare
    const lines: string[] = [];
    const deps = dependencies();

    // Act
    const code = await reportCommand(deploymentId, {}, deps, (line) => lines.push(line));

    // Assess
    expect(code).toBe(0);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^# Glidepath report: deployment ${deploymentId}\n`));
    expect(deps.closed()).toBe(1);
  });

  it("--format html --out FILE writes the page there (no temporary file left) and prints the file's path", async () => {
    // Prepare
    const directory = mkdtempSync(join(tmpdir(), "glidepath-report-"));
    const out = join(directory, "report.html");
    const lines: string[] = [];

    // Act
    const code = await reportCommand(deploymentId, { format: "html", out }, dependencies(), (line) =>
      lines.push(line),
    );

    // Assess
    expect(code).toBe(0);
    expect(lines).toEqual([out]);
    expect(readdirSync(directory)).toEqual(["report.html"]);
    const html = readFileSync(out, "utf8");
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain(`<td>${deploymentId}</td><td>640</td><td>39</td>`);
  });

  it("--out in a directory that does not exist is a UsageError naming the path", async () => {
    // Prepare
    const out = join(tmpdir(), "glidepath-report-missing-directory", "report.md");

    // Act
    const run = reportCommand(deploymentId, { out }, dependencies(), () => {});

    // Assess
    await expect(run).rejects.toThrow(UsageError);
    await expect(run).rejects.toThrow(`cannot write the report to ${out} (ENOENT)`);
  });

  it("--format pdf is a UsageError naming the value, before anything is read", async () => {
    // Prepare
    const deps = dependencies();

    // Act
    const run = reportCommand(deploymentId, { format: "pdf" }, deps, () => {});

    // Assess
    await expect(run).rejects.toThrow(new UsageError("--format must be md or html, got 'pdf'"));
    expect(deps.reads()).toBe(0);
  });
});
