import { type EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import {
  GateDecisionDetailType,
  type GateDecisionEvent,
  GateDecisionEventSchema,
  GateDecisionSource,
} from "../../domain/gates.ts";
import type { DecisionBus } from "../../domain/ports/gates.ts";
import { isRetryable, type RetryOptions, withRetry } from "./retry.ts";

export interface EventBridgeDecisionBusProps {
  /** Created once at module scope with `awsClientConfig`. */
  readonly client: EventBridgeClient;
  /** Name or ARN of the Glidepath bus. */
  readonly busName: string;
  /**
   * A Slack callback must answer within 3 s: give it fewer attempts than the default.
   * @default withRetry's defaults
   */
  readonly retry?: RetryOptions;
}

/**
 * PutEvents answers 200 even when it rejected an entry; the entry's ErrorCode says why. Throttling and internal
 * failures are marked retryable so that `withRetry` tries again.
 */
export class DecisionNotPublishedError extends Error {
  override readonly name = "DecisionNotPublishedError";
  readonly errorCode: string;
  readonly $retryable: { readonly throttling: boolean } | undefined;

  constructor(decision: GateDecisionEvent, errorCode: string, errorMessage: string) {
    const gate = decision.gateId === undefined ? "its open gate" : `gate ${decision.gateId}`;
    super(
      `EventBridge did not accept the ${decision.action} of ${decision.deploymentId} (${gate}): ${errorCode}: ${errorMessage}`,
    );
    this.errorCode = errorCode;
    this.$retryable = isRetryable({ name: errorCode })
      ? { throttling: errorCode.toLowerCase().includes("throttl") }
      : undefined;
  }
}

/** Puts gate decisions on the Glidepath bus, where a rule sends them to resolve-gate. */
export class EventBridgeDecisionBus implements DecisionBus {
  readonly #client: EventBridgeClient;
  readonly #busName: string;
  readonly #retry: RetryOptions | undefined;

  constructor(props: EventBridgeDecisionBusProps) {
    this.#client = props.client;
    this.#busName = props.busName;
    this.#retry = props.retry;
  }

  async putDecision(decision: GateDecisionEvent): Promise<void> {
    // A malformed decision would only fail later in resolve-gate, far from whoever sent it.
    const detail = GateDecisionEventSchema.parse(decision);
    await withRetry(async () => {
      const output = await this.#client.send(
        new PutEventsCommand({
          Entries: [
            {
              Source: GateDecisionSource,
              DetailType: GateDecisionDetailType,
              EventBusName: this.#busName,
              Detail: JSON.stringify(detail),
            },
          ],
        }),
      );
      if ((output.FailedEntryCount ?? 0) === 0) return;
      const entry = output.Entries?.[0];
      throw new DecisionNotPublishedError(
        detail,
        entry?.ErrorCode ?? "UnknownError",
        entry?.ErrorMessage ?? "no error message",
      );
    }, this.#retry);
  }
}
