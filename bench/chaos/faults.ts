import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { retryable } from "../../functions/adapters/aws/retry.ts";
import { mulberry32, seedOf, type Uniform } from "../blast-radius/random.ts";

/**
 * The faults the chaos benchmark injects, each at its own rate:
 * - `dynamodb`: a throttle or a 500 on one attempt of a DynamoDB call, below the SDK's retry (a real one: the
 *   stores' client retries it with its standard strategy, as on AWS);
 * - `elbv2`, `ecs`, `cloudwatch`: a throttle or a 5xx from the traffic router, the deploy target or the health
 *   signals that the SDK's five attempts did not absorb, so it reaches the step;
 * - `callback`: SendTaskSuccess or SendTaskFailure failing the same way, in resolve-gate;
 * - `step-crash`: a step whose work is done crashes before it answers (`Lambda.ServiceException`), and Step
 *   Functions delivers it again as the Task's Retry says;
 * - `duplicate-event`: an artifact, alarm or decision event delivered twice (EventBridge delivers at least
 *   once); artifact events are also reordered;
 * - `kill`: the new version's process dies mid-bake (its alarm goes into ALARM);
 * - `decision-twice`: a human's decision posted twice at once.
 */
export const FaultKinds = [
  "dynamodb",
  "elbv2",
  "ecs",
  "cloudwatch",
  "callback",
  "step-crash",
  "duplicate-event",
  "kill",
  "decision-twice",
] as const;
export type FaultKind = (typeof FaultKinds)[number];

export type FaultRates = Readonly<Record<FaultKind, number>>;

/** Per call (or per event, per deployment for `kill` and `decision-twice`). */
export const defaultRates: FaultRates = {
  dynamodb: 0.05,
  elbv2: 0.01,
  ecs: 0.01,
  cloudwatch: 0.01,
  callback: 0.05,
  "step-crash": 0.03,
  "duplicate-event": 0.2,
  kill: 0.2,
  "decision-twice": 0.2,
};

/** Seeded draws, one stream per fault kind (so one kind's calls never shift another's), and their count. */
export class Faults {
  readonly rates: FaultRates;
  readonly injected: Record<FaultKind, number>;
  readonly #streams: Map<FaultKind, Uniform>;

  constructor(seed: number, rates: FaultRates = defaultRates) {
    this.rates = rates;
    this.injected = Object.fromEntries(FaultKinds.map((kind) => [kind, 0])) as Record<FaultKind, number>;
    this.#streams = new Map(FaultKinds.map((kind, index) => [kind, mulberry32(seedOf(seed, 101, index))]));
  }

  /** Whether this call gets the fault; counted when it does. */
  strike(kind: FaultKind): boolean {
    const hit = (this.#streams.get(kind)?.() ?? 1) < this.rates[kind];
    if (hit) this.injected[kind] += 1;
    return hit;
  }
}

/** An AWS service error as the SDK throws it: a throttle (400) or an internal error (500). */
export function serviceError(service: string, throttle: boolean): Error {
  const error = new Error(
    throttle
      ? `${service}: Rate exceeded (injected)`
      : `${service}: We encountered an internal error (injected)`,
  );
  error.name = throttle ? "ThrottlingException" : "InternalFailure";
  return Object.assign(error, {
    $metadata: { httpStatusCode: throttle ? 400 : 500 },
    $fault: throttle ? "client" : "server",
  });
}

/**
 * Fails one attempt in `rate` of every DynamoDB call below the SDK's retry middleware (at `finalizeRequest`,
 * after it): the client's standard strategy retries it as it retries a real throttle.
 */
export function injectDynamoFaults(client: DynamoDBDocumentClient, faults: Faults): void {
  let calls = 0;
  client.middlewareStack.add(
    (next) => async (args) => {
      if (faults.strike("dynamodb")) {
        calls += 1;
        throw retryable(serviceError("DynamoDB", calls % 2 === 0), calls % 2 === 0);
      }
      return next(args);
    },
    { step: "finalizeRequest", priority: "low", name: "chaosDynamoFaults" },
  );
}

/** The object with each of its methods failing one call in `rate` before it acts, as `kind`. */
export function faulty<T extends object>(port: T, kind: FaultKind, faults: Faults, service: string): T {
  let calls = 0;
  return new Proxy(port, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      return async (...args: unknown[]) => {
        if (faults.strike(kind)) {
          calls += 1;
          throw serviceError(service, calls % 2 === 1);
        }
        return value.apply(target, args);
      };
    },
  });
}
