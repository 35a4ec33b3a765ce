import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { DecisionSortKeyPrefix } from "../../functions/adapters/aws/dynamodb-keys.ts";
import { TableSchema } from "../../functions/adapters/aws/table-schema.ts";
import { SlackNotifier } from "../../functions/adapters/slack/slack-notifier.ts";
import { logger } from "../../functions/shared/logger.ts";
import { loadConfig } from "../../infra/load-config.ts";
import { progressPrinter } from "../../local/progress.ts";
import { runLocalDeployment } from "../../local/runtime.ts";
import { readSavedTable } from "../../local/saved-table.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** A local task token, as LocalTaskCallbacks issues them; on AWS a token is an opaque string as secret. */
const tokenPattern = /local-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** Everything process.stdout and process.stderr are given while `run` runs, as it is also written. */
async function capturingOutput<T>(run: () => Promise<T>): Promise<{ result: T; output: string }> {
  const chunks: string[] = [];
  const writes = { out: process.stdout.write, err: process.stderr.write };
  const tee =
    (write: typeof process.stdout.write, stream: NodeJS.WriteStream) =>
    (chunk: unknown, ...rest: unknown[]) => {
      chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8"));
      return (write as (...args: unknown[]) => boolean).call(stream, chunk, ...rest);
    };
  process.stdout.write = tee(writes.out, process.stdout) as typeof process.stdout.write;
  process.stderr.write = tee(writes.err, process.stderr) as typeof process.stderr.write;
  try {
    return { result: await run(), output: chunks.join("") };
  } finally {
    process.stdout.write = writes.out;
    process.stderr.write = writes.err;
  }
}

afterEach(() => {
  logger.setLogLevel("WARN");
});

describe("a full local promotion, scanned for task tokens", () => {
  it("issues task tokens and writes none of them to a log line, a Slack message, the terminal or the decision log", {
    timeout: 240_000,
  }, async () => {
    // Prepare
    const config = await loadConfig(`${root}examples/glidepath.config.ts`);
    const service = config.services.find((candidate) => candidate.name === "sample");
    if (service === undefined) throw new Error("the sample config has no sample service");
    const slackBodies: string[] = [];
    const slack = new SlackNotifier({
      botToken: async () => "xoxb-local-test",
      channel: "C0GLIDEPATH",
      fetch: async (url, init) => {
        slackBodies.push(`${String(url)} ${String(init?.body ?? "")}`);
        return new Response(JSON.stringify({ ok: true, channel: "C0GLIDEPATH", ts: "1773310502.000100" }), {
          headers: { "content-type": "application/json" },
        });
      },
    });
    const terminal: string[] = [];
    logger.setLogLevel("DEBUG");

    // Act
    const { result, output } = await capturingOutput(() =>
      runLocalDeployment({
        config,
        service,
        scenario: "good",
        speed: 20,
        rps: 300,
        autoApprove: true,
        alsoNotify: slack,
        onEvent: progressPrinter((line) => terminal.push(line)),
      }),
    );

    // Assess
    expect(result.status).toBe("SUCCEEDED");
    const items = readSavedTable().items;
    // The gate records hold the tokens, as the state table on AWS does: the only place they may be.
    const issued = items.flatMap((item) => (item.taskToken?.S === undefined ? [] : [item.taskToken.S]));
    expect(issued.length).toBeGreaterThanOrEqual(5);
    expect(issued.every((token) => token.match(tokenPattern)?.[0] === token)).toBe(true);
    const decisionLog = items.filter((item) =>
      item[TableSchema.sortKey]?.S?.startsWith(DecisionSortKeyPrefix),
    );
    expect(decisionLog.length).toBeGreaterThan(0);
    // Every handler's line at DEBUG, as JSON; no handler may have had to drop a key.
    const logLines = output.split("\n").filter((line) => line.startsWith('{"level":'));
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.filter((line) => line.includes("reserved key"))).toEqual([]);
    expect(slackBodies.some((body) => body.includes("chat.postMessage"))).toBe(true);
    const scanned = {
      "log lines": output,
      "Slack requests": slackBodies.join("\n"),
      "terminal lines": terminal.join("\n"),
      "decision log": JSON.stringify(decisionLog),
      "records other than the gates' taskToken": JSON.stringify(
        items.map(({ taskToken: _token, ...rest }) => rest),
      ),
    };
    const leaks = Object.entries(scanned).flatMap(([where, text]) =>
      [...text.matchAll(tokenPattern), ...issued.filter((token) => text.includes(token))].map(
        (match) => `${where}: ${typeof match === "string" ? match : match[0]}`,
      ),
    );
    expect(leaks).toEqual([]);
  });
});
