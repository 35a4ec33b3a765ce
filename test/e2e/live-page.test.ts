import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalRunState } from "../../local/callback-server.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
/** Where the browser tests leave what they saw. */
const output = `${root}test-results/live-page`;
/** Debian's Chromium, which `.ci/run` installs (`apt-get install chromium`). */
const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

let browser: Browser;

beforeAll(async () => {
  if (!existsSync(executablePath)) {
    throw new Error(
      `no Chromium at ${executablePath}: install Debian's package (apt-get install chromium), as .ci/run does, or set CHROMIUM_PATH`,
    );
  }
  mkdirSync(output, { recursive: true });
  // This machine's network is closed: no background connections, no first-run work.
  browser = await chromium.launch({
    executablePath,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
});

afterAll(async () => {
  await browser?.close();
});

/** Runs `glidepath demo` as `npm start` does, resolving the page's URL once it is printed. */
function demo(args: string[]) {
  const child: ChildProcess = spawn(process.execPath, ["cli/main.ts", "demo", ...args], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let text = "";
  let announced: (url: string) => void = () => undefined;
  const pageUrl = new Promise<string>((resolve) => {
    announced = resolve;
  });
  const collect = (chunk: Buffer) => {
    text += chunk.toString();
    const url = /live page: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(text)?.[1];
    if (url !== undefined) announced(url);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const ended = new Promise<{ code: number | null; output: string }>((resolve) =>
    child.on("close", (code) => resolve({ code, output: text })),
  );
  return { pageUrl, ended, output: () => text, stop: () => child.kill("SIGINT") };
}

describe("the live page of the local run, in Chromium", () => {
  it("shows the weight change; its pause button pauses the deployment and resume lets it finish; a POST without the token changes nothing", {
    timeout: 180_000,
  }, async () => {
    // Prepare
    // Staging: one wave, linear 25% steps, so the page's wave is the one paused until it ends.
    const run = demo(["--env", "staging", "--speed", "10", "--rps", "200"]);
    try {
      const url = await run.pageUrl;
      const state = JSON.parse(readFileSync(`${root}.glidepath/local.json`, "utf8")) as LocalRunState;
      const page = await browser.newPage();
      const requests: string[] = [];
      page.on("request", (request) => requests.push(request.url()));
      await page.goto(url);
      const textOf = (selector: string) => page.locator(selector).textContent();
      const until = (selector: string, expected: string) =>
        page
          .locator(selector)
          .filter({ hasText: new RegExp(`^${expected}$`) })
          .waitFor({ timeout: 60_000 })
          .catch(async (error: Error) => {
            throw new Error(
              `${selector} never read '${expected}' (it reads '${await textOf(selector)}'): ${error.message}\n${run.output().slice(-3000)}`,
            );
          });

      // Act
      await until("#weight", "25%");
      const weightBefore = await textOf("#weight");
      const deploymentId = (await textOf("#wave"))?.match(/d-[0-9a-f]{20}/)?.[0] ?? "";
      // Forged: a POST without the token, and one from another origin with it.
      const forged = await fetch(`${state.url}/decide`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ deploymentId, action: "abort" }),
      });
      const foreign = await fetch(`${state.url}/decide`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          origin: "http://evil.example",
          "x-glidepath-token": state.token,
        },
        body: JSON.stringify({ deploymentId, action: "abort" }),
      });
      await page.locator("button[data-action=pause]").click();
      await until("#deployment-status", "PAUSED");
      await page.screenshot({ path: `${output}/paused.png`, fullPage: true });
      await page.locator("button[data-action=resume]").click();
      await until("#deployment-status", "SUCCEEDED");
      await until("#weight", "100%");
      await page.screenshot({ path: `${output}/succeeded.png`, fullPage: true });
      const actions = await page.locator("#log td:nth-child(2)").allTextContents();
      const actors = await page.locator("#log td:nth-child(3)").allTextContents();
      const { code, output: printed } = await run.ended;

      // Assess
      expect(weightBefore).toBe("25%");
      expect([forged.status, foreign.status]).toEqual([403, 403]);
      expect(actions[actors.indexOf("slack:ULOCALOPS")]).toBe("pause");
      // No abort: the forged decisions changed nothing.
      expect(actions).not.toContain("abort");
      expect(code, printed.slice(-3000)).toBe(0);
      expect(printed).toContain("Result: SUCCEEDED");
      expect(printed).toMatch(/gate decided: pause at \d+%: resume by slack:ULOCALOPS/);
      // Nothing but the endpoint itself: the page loads nothing from anywhere else.
      expect(requests.filter((request) => !request.startsWith(state.url))).toEqual([]);
      expect(statSync(`${output}/succeeded.png`).size).toBeGreaterThan(10_000);
    } finally {
      run.stop();
      await run.ended;
    }
  });
});
