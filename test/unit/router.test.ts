import { Agent, createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { ColourWeights } from "../../functions/domain/ports/traffic-router.ts";
import { WeightedRouter, type WeightedRouterProps } from "../../local/router.ts";
import { startTraffic } from "../../local/traffic.ts";

interface Upstream {
  readonly url: string;
  readonly hits: () => number;
  readonly close: () => Promise<void>;
}

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

/** A tiny version: `/fail` answers 500, `/slow` never answers, `/echo` returns what it received. */
async function startUpstream(name: string): Promise<Upstream> {
  let hits = 0;
  const server = createServer((request, response) => {
    hits += 1;
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      if (request.url === "/slow") return;
      const body =
        request.url?.startsWith("/echo") === true
          ? {
              name,
              method: request.method,
              url: request.url,
              headers: request.headers,
              body: Buffer.concat(chunks).toString(),
            }
          : { name };
      response.writeHead(request.url === "/fail" ? 500 : 200, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  cleanups.push(close);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits: () => hits, close };
}

async function startRouter(
  props: WeightedRouterProps = {},
): Promise<{ router: WeightedRouter; base: string }> {
  const router = new WeightedRouter(props);
  const port = await router.start();
  cleanups.push(() => router.stop());
  return { router, base: `http://127.0.0.1:${port}` };
}

/** Random numbers that walk through [0, 1) in 100 even steps: weights are honoured exactly every 100 draws. */
function evenRandom(): () => number {
  let draw = 0;
  return () => ((draw++ % 100) + 0.5) / 100;
}

async function getMany(url: string, count: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let batch = 0; batch < count; batch += 50) {
    const responses = await Promise.all(
      Array.from({ length: Math.min(50, count - batch) }, async () => {
        const response = await fetch(url);
        await response.arrayBuffer();
        return response.status;
      }),
    );
    statuses.push(...responses);
  }
  return statuses;
}

describe("WeightedRouter", () => {
  it.each<[ColourWeights]>([
    [{ blue: 100, green: 0 }],
    [{ blue: 90, green: 10 }],
    [{ blue: 33, green: 67 }],
    [{ blue: 0, green: 100 }],
  ])("sends each colour its share of requests at %j", async (weights) => {
    // Prepare
    const [blue, green] = await Promise.all([startUpstream("blue"), startUpstream("green")]);
    const { router, base } = await startRouter({ random: evenRandom() });
    router.setUpstream("blue", blue.url);
    router.setUpstream("green", green.url);
    router.setWeights(weights);

    // Act
    const statuses = await getMany(`${base}/`, 200);

    // Assess
    expect(statuses.every((status) => status === 200)).toBe(true);
    expect({ blue: blue.hits(), green: green.hits() }).toEqual({
      blue: weights.blue * 2,
      green: weights.green * 2,
    });
    expect(router.totals()).toEqual({
      blue: { requests: weights.blue * 2, errors: 0 },
      green: { requests: weights.green * 2, errors: 0 },
    });
  });

  it("never sends a request to a colour at weight 0, with real randomness", async () => {
    // Prepare
    const [blue, green] = await Promise.all([startUpstream("blue"), startUpstream("green")]);
    const { router, base } = await startRouter();
    router.setUpstream("blue", blue.url);
    router.setUpstream("green", green.url);
    router.setWeights({ blue: 0, green: 100 });

    // Act
    await getMany(`${base}/`, 300);

    // Assess
    expect({ blue: blue.hits(), green: green.hits() }).toEqual({ blue: 0, green: 300 });
  });

  it("sends everything to the only colour with an upstream, whatever the weights", async () => {
    // Prepare
    const green = await startUpstream("green");
    const { router, base } = await startRouter();
    router.setUpstream("green", green.url);
    router.setWeights({ blue: 90, green: 10 });

    // Act
    const statuses = await getMany(`${base}/`, 50);

    // Assess
    expect(statuses.every((status) => status === 200)).toBe(true);
    expect(green.hits()).toBe(50);
  });

  it("proxies the method, path, query, headers and body, and names the colour that answered", async () => {
    // Prepare
    const blue = await startUpstream("blue");
    const { router, base } = await startRouter();
    router.setUpstream("blue", blue.url);

    // Act
    const response = await fetch(`${base}/echo/orders?limit=5`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": "req-1" },
      body: JSON.stringify({ sku: "a-1", quantity: 2 }),
    });
    const echoed = (await response.json()) as Record<string, unknown> & { headers: Record<string, string> };

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get("x-glidepath-colour")).toBe("blue");
    expect(echoed).toMatchObject({
      name: "blue",
      method: "POST",
      url: "/echo/orders?limit=5",
      body: '{"sku":"a-1","quantity":2}',
    });
    expect(echoed.headers).toMatchObject({
      "content-type": "application/json",
      "x-request-id": "req-1",
      "x-forwarded-for": "127.0.0.1",
    });
  });

  it("counts the requests completed in a window per colour, 5xx as errors", async () => {
    // Prepare
    let now = Date.parse("2026-11-26T14:00:00Z");
    const [blue, green] = await Promise.all([startUpstream("blue"), startUpstream("green")]);
    let draw = 0;
    const alternate = () => (draw++ % 2 === 0 ? 0.25 : 0.75);
    const { router, base } = await startRouter({ clock: () => now, random: alternate });
    router.setUpstream("blue", blue.url);
    router.setUpstream("green", green.url);
    router.setWeights({ blue: 50, green: 50 });
    const first = { start: now, end: now + 60_000 };

    // Act
    await getMany(`${base}/`, 6);
    await getMany(`${base}/fail`, 4);
    now += 60_000;
    await getMany(`${base}/fail`, 2);
    const blueFirst = router.metrics("blue", first);
    const blueSecond = router.metrics("blue", { start: first.end, end: first.end + 60_000 });

    // Assess
    expect({ requests: blueFirst.requests, errors: blueFirst.errors }).toEqual({ requests: 5, errors: 2 });
    expect(blueFirst.latenciesMs).toHaveLength(5);
    expect(blueFirst.latenciesMs.every((ms) => ms >= 0 && ms < 5000)).toBe(true);
    expect(router.metrics("green", first)).toMatchObject({ requests: 5, errors: 2 });
    expect(blueSecond).toMatchObject({ requests: 1, errors: 1 });
    expect(router.totals()).toEqual({ blue: { requests: 6, errors: 3 }, green: { requests: 6, errors: 3 } });
  });

  it("forgets requests older than 15 minutes but keeps them in the totals", async () => {
    // Prepare
    let now = Date.parse("2026-11-26T14:00:00Z");
    const blue = await startUpstream("blue");
    const { router, base } = await startRouter({ clock: () => now });
    router.setUpstream("blue", blue.url);
    const everything = { start: 0, end: Number.MAX_SAFE_INTEGER };
    await getMany(`${base}/`, 3);

    // Act
    now += 15 * 60_000 + 1;
    await getMany(`${base}/`, 1);

    // Assess
    expect(router.metrics("blue", everything).requests).toBe(1);
    expect(router.totals().blue.requests).toBe(4);
  });

  it("answers 502 and counts an error when the upstream is gone", async () => {
    // Prepare
    const blue = await startUpstream("blue");
    await blue.close();
    const { router, base } = await startRouter();
    router.setUpstream("blue", blue.url);

    // Act
    const response = await fetch(`${base}/`);
    const body = (await response.json()) as { message: string };

    // Assess
    expect(response.status).toBe(502);
    expect(body.message).toMatch(/^upstream blue failed: connect ECONNREFUSED/);
    expect(router.totals().blue).toEqual({ requests: 1, errors: 1 });
  });

  it("answers 504 when the upstream does not answer in time", async () => {
    // Prepare
    const blue = await startUpstream("blue");
    const { router, base } = await startRouter({ upstreamTimeoutMs: 100 });
    router.setUpstream("blue", blue.url);

    // Act
    const response = await fetch(`${base}/slow`);
    await response.arrayBuffer();

    // Assess
    expect(response.status).toBe(504);
    expect(router.totals().blue).toEqual({ requests: 1, errors: 1 });
  });

  it("does not count a request whose client went away before the answer", async () => {
    // Prepare
    const blue = await startUpstream("blue");
    const { router, base } = await startRouter();
    router.setUpstream("blue", blue.url);

    // Act
    const abandoned = fetch(`${base}/slow`, { signal: AbortSignal.timeout(50) });
    await expect(abandoned).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 20));

    // Assess
    expect(blue.hits()).toBe(1);
    expect(router.totals().blue).toEqual({ requests: 0, errors: 0 });
  });

  it.each<[string, "blue" | undefined]>([
    ["no colour has an upstream", undefined],
    ["the only upstream is at weight 0", "blue"],
  ])("answers 503 when %s", async (_, upstreamColour) => {
    // Prepare
    const { router, base } = await startRouter();
    if (upstreamColour !== undefined) {
      router.setUpstream(upstreamColour, (await startUpstream(upstreamColour)).url);
      router.setWeights({ blue: 0, green: 100 });
    }

    // Act
    const response = await fetch(`${base}/`);
    await response.arrayBuffer();

    // Assess
    expect(response.status).toBe(503);
    expect(router.totals()).toEqual({ blue: { requests: 0, errors: 0 }, green: { requests: 0, errors: 0 } });
  });

  it.each<[ColourWeights]>([
    [{ blue: 50, green: 40 }],
    [{ blue: 50.5, green: 49.5 }],
    [{ blue: -10, green: 110 }],
    [{ blue: 101, green: -1 }],
    [{ blue: Number.NaN, green: 100 }],
  ])("rejects weights %j and keeps the previous ones", (weights) => {
    // Prepare
    const router = new WeightedRouter();
    router.setWeights({ blue: 80, green: 20 });

    // Act
    const act = () => router.setWeights(weights);

    // Assess
    expect(act).toThrow(RangeError);
    expect(router.weights()).toEqual({ blue: 80, green: 20 });
  });

  it("stops with a keep-alive connection open and frees its port", async () => {
    // Prepare
    const blue = await startUpstream("blue");
    const router = new WeightedRouter();
    const port = await router.start();
    router.setUpstream("blue", blue.url);
    const agent = new Agent({ keepAlive: true });
    cleanups.push(async () => agent.destroy());
    await new Promise<void>((resolve, reject) => {
      httpRequest({ host: "127.0.0.1", port, path: "/", agent }, (response) => {
        response.resume();
        response.once("end", resolve);
      })
        .once("error", reject)
        .end();
    });

    // Act
    const started = performance.now();
    await router.stop();
    const stoppedInMs = performance.now() - started;
    const again = createServer();
    await new Promise<void>((resolve, reject) => {
      again.once("error", reject);
      again.listen(port, "127.0.0.1", resolve);
    });
    await new Promise<void>((resolve) => again.close(() => resolve()));

    // Assess
    expect(stoppedInMs).toBeLessThan(1000);
    await expect(router.stop()).resolves.toBeUndefined();
  });
});

describe("startTraffic", () => {
  it("sends a steady rate through the router and stops by itself", async () => {
    // Prepare
    const blue = await startUpstream("blue");
    const { router, base } = await startRouter();
    router.setUpstream("blue", blue.url);

    // Act
    const traffic = startTraffic({ url: `${base}/`, rps: 200, maxSeconds: 0.3 });
    await new Promise((resolve) => setTimeout(resolve, 450));
    const counts = await traffic.stop();

    // Assess
    expect(counts.sent + counts.skipped).toBe(60);
    expect(counts).toMatchObject({ ok: counts.sent, failed: 0 });
    expect(router.totals().blue.requests).toBe(counts.sent);
  });

  it("counts network errors as failed instead of throwing", async () => {
    // Prepare
    const gone = await startUpstream("gone");
    await gone.close();

    // Act
    const traffic = startTraffic({ url: `${gone.url}/`, rps: 100, maxSeconds: 0.1 });
    await new Promise((resolve) => setTimeout(resolve, 150));
    const counts = await traffic.stop();

    // Assess
    expect(counts.sent).toBeGreaterThan(0);
    expect(counts).toMatchObject({ ok: 0, failed: counts.sent });
  });

  it("skips requests beyond maxInFlight rather than queueing them", async () => {
    // Prepare
    const blue = await startUpstream("blue");

    // Act
    const traffic = startTraffic({ url: `${blue.url}/slow`, rps: 200, maxSeconds: 5, maxInFlight: 5 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await blue.close();
    const counts = await traffic.stop();

    // Assess
    expect(counts.sent).toBe(5);
    expect(counts.skipped).toBeGreaterThan(10);
    expect(counts).toMatchObject({ ok: 0, failed: 5 });
  });

  it.each<[string, Parameters<typeof startTraffic>[0]]>([
    ["a zero rate", { url: "http://127.0.0.1:1/", rps: 0, maxSeconds: 1 }],
    ["a zero duration", { url: "http://127.0.0.1:1/", rps: 1, maxSeconds: 0 }],
    ["an https URL", { url: "https://127.0.0.1:1/", rps: 1, maxSeconds: 1 }],
  ])("rejects %s", (_, props) => {
    // Act
    const act = () => startTraffic(props);

    // Assess
    expect(act).toThrow(RangeError);
  });
});
