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

  /**
   * Delivers an alarm's state change from the account and region it happened in, as CloudWatch puts it on that
   * account's default bus and the target stack's rule forwards it here. Returns resolve-gate's answer.
   */
  putAlarmChange(
    change: AlarmStateChange,
    origin: { readonly account: string; readonly region: string } = this.#props,
  ): Promise<unknown> {
    const arn = `arn:aws:cloudwatch:${origin.region}:${origin.account}:alarm:${change.alarmName}`;
    return this.#props.deliver(
      this.#envelope(AlarmStateChangeSource, AlarmStateChangeDetailType, [arn], change, origin),
    );
  }

  /** Puts any event on the bus, as `PutEvents` does: an artifact event for the trigger, say. */
  put(source: string, detailType: string, detail: unknown): Promise<unknown> {
    return this.#props.deliver(this.#envelope(source, detailType, [], detail));
  }

  #envelope(
    source: string,
    detailType: string,
    resources: string[],
    detail: unknown,
    origin: { readonly account: string; readonly region: string } = this.#props,
  ) {
    return {
      version: "0",
      id: randomUUID(),
      "detail-type": detailType,
      source,
      account: origin.account,
      time: (this.#props.clock?.() ?? new Date()).toISOString(),
      region: origin.region,
      resources,
      detail,
    };
  }
}
