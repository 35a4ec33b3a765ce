import { describe, expect, it } from "vitest";
import { emfRecord, SampleMetrics } from "../../examples/sample-service/server.ts";
import { variantMetricsSource } from "../../functions/adapters/local/local-health-signals.ts";
import { LocalMetricStore } from "../../functions/adapters/local/local-metric-store.ts";

const window = { start: 1_000, end: 2_000 };
const metric = (name: string, Variant: string) => ({
  namespace: SampleMetrics.namespace,
  name,
  dimensions: { Service: SampleMetrics.service, Variant },
});

describe("LocalMetricStore", () => {
  it("sums the sample service's EMF records per metric and exact dimension set, within the window", () => {
    // Prepare
    const store = new LocalMetricStore();
    for (const [at, variant, started, completed] of [
      [1_000, "green", 10, 4],
      [1_500, "green", 20, 6],
      [1_600, "blue", 100, 50],
      [2_000, "green", 99, 99],
      [999, "green", 99, 99],
    ] as const) {
      store.put(emfRecord({ at, variant, started, completed }));
    }

    // Act
    const sums = {
      greenStarted: store.sum(metric(SampleMetrics.started, "green"), window),
      greenCompleted: store.sum(metric(SampleMetrics.completed, "green"), window),
      blueStarted: store.sum(metric(SampleMetrics.started, "blue"), window),
      withoutService: store.sum(
        { namespace: SampleMetrics.namespace, name: SampleMetrics.started, dimensions: { Variant: "green" } },
        window,
      ),
    };

    // Assess
    expect(sums).toEqual({ greenStarted: 30, greenCompleted: 10, blueStarted: 100, withoutService: 0 });
  });

  it.each([
    ["a log line that is not EMF", { level: "info", message: "started" }],
    ["an EMF record without a timestamp", { _aws: { CloudWatchMetrics: [] }, checkout_started: 1 }],
  ])("ignores %s", (_name, record) => {
    // Prepare
    const store = new LocalMetricStore();

    // Act
    const stored = store.put(record);

    // Assess
    expect(stored).toBe(false);
  });

  it("skips a dimension set whose value the record lacks, as CloudWatch does", () => {
    // Prepare
    const store = new LocalMetricStore();
    const { Variant: _variant, ...withoutVariant } = emfRecord({
      at: 1_500,
      variant: "green",
      started: 5,
      completed: 1,
    });

    // Act
    store.put(withoutVariant);

    // Assess
    expect(store.sum(metric(SampleMetrics.started, "green"), window)).toBe(0);
  });
});

describe("variantMetricsSource", () => {
  it("reads an arm as its flag variant's Requests, Errors and every Latency value (an EMF array)", () => {
    // Prepare
    const store = new LocalMetricStore();
    store.put(
      emfRecord({
        at: 1_100,
        variant: "treatment",
        started: 2,
        completed: 1,
        requests: 3,
        errors: 1,
        latenciesMs: [10, 30, 20],
      }),
    );
    store.put(
      emfRecord({
        at: 1_200,
        variant: "control",
        started: 5,
        completed: 2,
        requests: 5,
        errors: 0,
        latenciesMs: [5],
      }),
    );
    const source = variantMetricsSource(
      store,
      { namespace: SampleMetrics.namespace, dimensions: { Service: SampleMetrics.service } },
      (colour) => (colour === "green" ? "treatment" : "control"),
    );

    // Act
    const green = source.metrics("green", window);
    const blue = source.metrics("blue", window);

    // Assess
    expect({ green, blue }).toEqual({
      green: { requests: 3, errors: 1, latenciesMs: [10, 30, 20] },
      blue: { requests: 5, errors: 0, latenciesMs: [5] },
    });
  });
});
