import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsCommandInput,
  type PutEventsCommandOutput,
} from "@aws-sdk/client-eventbridge";
import {
  GateDecisionDetailType,
  type GateDecisionEvent,
  GateDecisionEventSchema,
  GateDecisionSource,
} from "../../domain/gates.ts";
import type { DecisionBus } from "../../domain/ports/gates.ts";
import { failOutputs, retryable } from "./retry.ts";

export interface EventBridgeDecisionBusProps {
  /** Created once at module scope with `awsClientConfig`, whose retry strategy also retries a failed entry. */
  readonly client: EventBridgeClient;
  /** Name or ARN of the Glidepath bus. */
  readonly busName: string;
}

/** PutEvents' entry error codes worth another attempt (EventBridge's PutEventsResultEntry reference). */
const retryableEntryErrors: Readonly<Record<string, { readonly throttling: boolean }>> = {
  ThrottlingException: { throttling: true },
  InternalFailure: { throttling: false },
};

/**
 * PutEvents answers 200 even when it rejected an entry; the entry's ErrorCode says why. Throttling and internal
 * failures are marked retryable, so that the SDK's retry strategy tries again.
 */
export class DecisionNotPublishedError extends Error {
  override readonly name = "DecisionNotPublishedError";
  readonly errorCode: string;

  constructor(decision: GateDecisionEvent, errorCode: string, errorMessage: string) {
    const gate = decision.gateId === undefined ? "its open gate" : `gate ${decision.gateId}`;
    super(
      `EventBridge did not accept the ${decision.action} of ${decision.deploymentId} (${gate}): ${errorCode}: ${errorMessage}`,
    );
    this.errorCode = errorCode;
    const retry = retryableEntryErrors[errorCode];
    if (retry !== undefined) retryable(this, retry.throttling);
  }
}

/** Puts gate decisions on the Glidepath bus, where a rule sends them to resolve-gate. */
export class EventBridgeDecisionBus implements DecisionBus {
  readonly #client: EventBridgeClient;
  readonly #busName: string;

  constructor(props: EventBridgeDecisionBusProps) {
    this.#client = props.client;
    this.#busName = props.busName;
  }

  async putDecision(decision: GateDecisionEvent): Promise<void> {
    // A malformed decision would only fail later in resolve-gate, far from whoever sent it.
    const detail = GateDecisionEventSchema.parse(decision);
    const command = new PutEventsCommand({
      Entries: [
        {
          Source: GateDecisionSource,
          DetailType: GateDecisionDetailType,
          EventBusName: this.#busName,
          Detail: JSON.stringify(detail),
        },
      ],
    });
    command.middlewareStack.use(
      failOutputs<PutEventsCommandInput, PutEventsCommandOutput>((output) => {
        if ((output.FailedEntryCount ?? 0) === 0) return undefined;
        const entry = output.Entries?.[0];
        return new DecisionNotPublishedError(
          detail,
          entry?.ErrorCode ?? "UnknownError",
          entry?.ErrorMessage ?? "no error message",
        );
      }),
    );
    await this.#client.send(command);
  }
}
