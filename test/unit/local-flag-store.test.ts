import { afterEach, describe, expect, it } from "vitest";
import { LocalFlagRouter } from "../../functions/adapters/local/local-flag-router.ts";
import { withSplit } from "../../functions/domain/flags.ts";
import { type LocalFlagStore, startFlagStore } from "../../local/flag-store.ts";

const rollout = { flag: "new-checkout", splitKey: "userId", rollbackTo: "off" } as const;
const weights = (green: number) => ({ blue: 100 - green, green });
let store: LocalFlagStore | undefined;

afterEach(async () => {
  await store?.stop();
  store = undefined;
});

const ask = async (userId: string) => {
  const response = await fetch(`${store?.url}/flags/new-checkout`, {
    headers: { context: `userId=${userId}` },
  });
  return (await response.json()) as { enabled: boolean; variant?: string };
};

/** Calls setWeights until it settles, as the state machine's Wait → shift loop does. */
async function shift(router: LocalFlagRouter, green: number) {
  for (let look = 0; look < 50; look++) {
    const result = await router.setWeights(weights(green));
    if (result.settled) return { ...result, looks: look + 1 };
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("the shift never settled");
}

describe("the local flag store and LocalFlagRouter, over HTTP", () => {
  it("answers off before any deployment, and the split only once the deployment completed", async () => {
    // Prepare
    store = await startFlagStore({ deployMs: 100 });
    const router = new LocalFlagRouter({ url: store.url, rollout, deploymentId: "d-1" });

    // Act
    const before = await ask("user-1");
    const started = await router.setWeights(weights(100));
    const during = await ask("user-1");
    const settled = await shift(router, 100);
    const after = await ask("user-1");

    // Assess
    expect(before).toEqual({ enabled: false });
    expect(started.settled).toBe(false);
    expect(during).toEqual({ enabled: false });
    expect(settled.looks).toBeGreaterThan(1);
    expect(after).toEqual({ enabled: true, variant: "treatment" });
  });

  it("splits its users by userId as the rollout grows, starting one deployment per weight", async () => {
    // Prepare
    store = await startFlagStore({ deployMs: 10 });
    const router = new LocalFlagRouter({ url: store.url, rollout, deploymentId: "d-1" });
    const users = Array.from({ length: 400 }, (_, index) => `user-${index}`);
    const treated = async () =>
      (await Promise.all(users.map(ask))).filter((answer) => answer.variant === "treatment").length;

    // Act
    await shift(router, 10);
    const atTen = await treated();
    await shift(router, 50);
    const atFifty = await treated();
    const deployments = (await (await fetch(`${store.url}/deployments`)).json()) as {
      items: { description: string }[];
    };

    // Assess
    expect(atTen / users.length).toBeGreaterThan(0.04);
    expect(atTen / users.length).toBeLessThan(0.16);
    expect(atFifty / users.length).toBeGreaterThan(0.42);
    expect(atFifty / users.length).toBeLessThan(0.58);
    expect(deployments.items.map((item) => item.description)).toEqual([
      "glidepath d-1: new-checkout at 50%",
      "glidepath d-1: new-checkout at 10%",
    ]);
  });

  it("refuses a second deployment while one runs (409), as AppConfig allows one at a time", async () => {
    // Prepare
    store = await startFlagStore({ deployMs: 1000 });
    const body = (description: string) =>
      JSON.stringify({
        description,
        document: withSplit({ version: "1", flags: {}, values: {} }, rollout, 10),
      });
    const post = (description: string) =>
      fetch(`${store?.url}/deployments`, { method: "POST", body: body(description) });

    // Act
    const first = await post("first");
    const second = await post("second");

    // Assess
    expect([first.status, second.status]).toEqual([201, 409]);
  });

  it("rolls back to the document that was live before this deployment when rollbackTo is previous", async () => {
    // Prepare
    store = await startFlagStore({ deployMs: 10 });
    const before = new LocalFlagRouter({ url: store.url, rollout, deploymentId: "d-0" });
    await shift(before, 100);
    const router = new LocalFlagRouter({
      url: store.url,
      rollout: { ...rollout, rollbackTo: "previous" },
      deploymentId: "d-1",
    });
    await shift(router, 10);

    // Act
    await shift(router, 0);

    // Assess
    expect(await ask("any-user")).toEqual({ enabled: true, variant: "treatment" });
  });
});
