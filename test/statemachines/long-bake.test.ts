import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bakeEvaluations } from "../../functions/domain/bake-schedule.ts";
import { Strategy, type StrategyInput, type StrategyType } from "../../functions/domain/config/index.ts";
import { historyLimit, planHistoryEvents } from "../../functions/domain/history-budget.ts";
import { awsHistoryEvents } from "../../local/history-events.ts";
import type { RenderedStateMachine } from "../../local/render-asl.ts";
import { type LocalTable, startDynalite } from "../helpers/dynalite.ts";
import { FakeAws } from "../helpers/fake-aws.ts";
import { useTestApps } from "../helpers/synth.ts";
import { deploy, synthesizeMachines } from "./harness.ts";
import "../helpers/sdk-mock.ts";

const day = 86_400;

/**
 * Each ECS strategy with 24 hours of bakes in all, and the bakes it makes, in order: a canary's and a linear
 * deployment's last shift, to 100%, is evaluated once with no bake.
 */
const longBakes: Record<string, { strategy: StrategyInput; bakes: readonly number[] }> = {
  "all-at-once": { strategy: Strategy.allAtOnce({ bakeSeconds: day }), bakes: [day] },
  rolling: {
    strategy: Strategy.rolling({ batch: { percent: 25 }, bakeSeconds: day / 4 }),
    bakes: [day / 4, day / 4, day / 4, day / 4],
  },
  "blue-green": { strategy: Strategy.blueGreen({ bakeSeconds: day, retireDelaySeconds: 0 }), bakes: [day] },
  canary: {
    strategy: Strategy.canary({ steps: [{ setWeight: 10 }, { bake: { seconds: day } }] }),
    bakes: [day, 0],
  },
  linear: {
    strategy: Strategy.linear({ stepPercent: 10, intervalSeconds: day / 9 }),
    bakes: [...Array.from({ length: 9 }, () => day / 9), 0],
  },
};

/**
 * The default analysis, with no traffic to judge (so no bake ends early) and too little data counting as
 * healthy at a bake's end (so none is extended): every bake lasts exactly as planned.
 */
const analysis = { intervalSeconds: 30, minRequests: 100, missingData: "notBreaching" } as const;

let machines: Map<StrategyType, RenderedStateMachine>;
let table: LocalTable;
const apps = useTestApps();
const figures: string[] = [];

beforeAll(async () => {
  machines = synthesizeMachines(apps());
  table = await startDynalite();
});

afterAll(async () => {
  await table.close();
  console.log(`AWS history events of 24 hours of bakes (limit ${historyLimit}):\n  ${figures.join("\n  ")}`);
});

/**
 * Runs `strategy` on its synthesized machine with the real handlers. Waits pass at once but the bake timer,
 * which takes 5 ms so the gate is open when it rings (it always is on AWS, where it waits 30 s or more).
 */
async function run(strategy: StrategyInput, settings: Record<string, unknown> = {}) {
  const machine = machines.get(strategy.type as StrategyType);
  if (machine === undefined) throw new Error(`no ${strategy.type} state machine`);
  const waits = Object.keys(machine.states).filter((name) => machine.states[name] === "Wait");
  const aws = new FakeAws({ requestsPerWindow: 0 });
  try {
    const result = await deploy({
      machines,
      table,
      strategy,
      analysis: { ...analysis, ...settings },
      waitMs: Object.fromEntries(waits.map((name) => [name, name === "Bake timer" ? 5 : 0])),
    });
    return {
      ...result,
      historyEvents: awsHistoryEvents(machine, result.result.events),
      evaluations: result.states.filter((state) => state === "Evaluate alarms").length,
    };
  } finally {
    aws.restore();
  }
}

describe("a 24-hour bake on the synthesized machines", () => {
  it.each(Object.entries(longBakes))(
    "%s: succeeds with the growing looks' evaluations, inside half of Step Functions' 25,000 history events and the config's estimate",
    { timeout: 120_000 },
    async (type, { strategy, bakes }) => {
      // Arrange
      const settings = { intervalSeconds: 30, maxIntervalSeconds: 600 };

      // Act
      const bake = await run(strategy);

      // Assess
      expect(bake.result.status).toBe("SUCCEEDED");
      expect(bake.evaluations).toBe(
        bakes.reduce((sum, seconds) => sum + bakeEvaluations(seconds, settings), 0),
      );
      expect(bake.historyEvents).toBeLessThanOrEqual(historyLimit / 2);
      // The config's estimate, with the bakes as planned, is from above and close.
      const estimate = planHistoryEvents(bake.request.plan, settings, 1);
      expect(estimate).toBeGreaterThanOrEqual(bake.historyEvents);
      expect(estimate).toBeLessThanOrEqual(bake.historyEvents * 1.1);
      figures.push(
        `${type}: ${bake.historyEvents} events, ${bake.evaluations} evaluations, ${bake.states.length} state transitions`,
      );
    },
  );

  it("would not fit with evenly spaced 30-second looks: a canary's interval costs what 2,880 of them exceed", {
    timeout: 120_000,
  }, async () => {
    // Arrange: two evenly spaced bakes, 10 and 20 minutes, whose difference is 20 intervals.
    const even = { maxIntervalSeconds: 30 };
    const canary = (seconds: number) =>
      Strategy.canary({ steps: [{ setWeight: 10 }, { bake: { seconds } }] });

    // Act
    const short = await run(canary(600), even);
    const long = await run(canary(1200), even);

    // Assess
    const perInterval = (long.historyEvents - short.historyEvents) / (long.evaluations - short.evaluations);
    expect(long.evaluations - short.evaluations).toBe(20);
    expect(perInterval).toBeGreaterThan(historyLimit / (day / 30));
    figures.push(
      `canary with evenly spaced looks: ${perInterval} events per interval, ${Math.round(perInterval * (day / 30))} for 24 hours`,
    );
  });
});
