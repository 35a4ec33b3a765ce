import { randomUUID } from "node:crypto";
import {
  type AlarmStateChange,
  AlarmStateChangeDetailType,
  AlarmStateChangeSource,
} from "../../domain/alarm-state-change.ts";
import { GateDecisionDetailType, type GateDecisionEvent, GateDecisionSource } from "../../domain/gates.ts";
import type { DecisionBus } from "../../domain/ports/gates.ts";

export interface LocalBusProps {
  /** The account the events come from, as EventBridge stamps them. */
  readonly account: string;
  readonly region: string;
  /** Where the bus delivers: the trigger or resolve-gate, as the EventBridge rules do on AWS. */
  readonly deliver: (event: unknown) => Promise<unknown>;
  readonly clock?: () => Date;
}

/**
 * The local Glidepath bus: it wraps gate decisions and alarm state changes in the same EventBridge envelopes
 * AWS delivers ("Glidepath Gate Decision", "CloudWatch Alarm State Change") and hands them to the same
 * handler the rules target, so the local path is the AWS path.
 */
export class LocalBus implements DecisionBus {
  readonly #props: LocalBusProps;

  constructor(props: LocalBusProps) {
    this.#props = props;
  }

  async putDecision(decision: GateDecisionEvent): Promise<void> {
    await this.#props.deliver(this.#envelope(GateDecisionSource, GateDecisionDetailType, [], decision));
  }

  /** Delivers an alarm's state change, as CloudWatch puts it on the default bus. Returns resolve-gate's answer. */
  putAlarmChange(change: AlarmStateChange): Promise<unknown> {
    const arn = `arn:aws:cloudwatch:${this.#props.region}:${this.#props.account}:alarm:${change.alarmName}`;
    return this.#props.deliver(
      this.#envelope(AlarmStateChangeSource, AlarmStateChangeDetailType, [arn], change),
    );
  }

  /** Puts any event on the bus, as `PutEvents` does: an artifact event for the trigger, say. */
  put(source: string, detailType: string, detail: unknown): Promise<unknown> {
    return this.#props.deliver(this.#envelope(source, detailType, [], detail));
  }

  #envelope(source: string, detailType: string, resources: string[], detail: unknown) {
    return {
      version: "0",
      id: randomUUID(),
      "detail-type": detailType,
      source,
      account: this.#props.account,
      time: (this.#props.clock?.() ?? new Date()).toISOString(),
      region: this.#props.region,
      resources,
      detail,
    };
  }
}
