import { type IEventBus, Rule } from "aws-cdk-lib/aws-events";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import type { Queue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import {
  AlarmStateChangeDetailType,
  AlarmStateChangeSource,
} from "../../functions/domain/alarm-state-change.ts";
import { GateDecisionDetailType, GateDecisionSource } from "../../functions/domain/gates.ts";
import { DeadLetterTargets } from "./dead-letter-targets.ts";

export interface GateRulesProps {
  /** The Glidepath bus, where Slack callbacks and the CLI put gate decisions. */
  readonly bus: IEventBus;
  readonly resolveGate: IFunction;
  /**
   * Alarms that deployments watch, by the account and region they are in. CloudWatch puts their state changes
   * on that account's default bus in that region; from any other account+region than the control plane's own
   * the target stack forwards them to the Glidepath bus.
   */
  readonly alarms: readonly WatchedAlarms[];
}

export interface WatchedAlarms {
  readonly account: string;
  readonly region: string;
  readonly names: readonly string[];
  /** Forwarded to the Glidepath bus by the account's target stack, rather than on this account's default bus. */
  readonly forwarded: boolean;
}

/**
 * The EventBridge rules that resolve gates: human decisions on the Glidepath bus, and alarms going into ALARM
 * on the default bus (where CloudWatch puts them), each filtered to what Glidepath consumes. Events the
 * function could not take after EventBridge's retries land in a dead-letter queue instead of vanishing.
 */
export class GateRules extends Construct {
  readonly decisions: Rule;
  /** One rule per account+region whose alarms deployments watch. */
  readonly alarms: readonly Rule[];
  readonly deadLetters: Queue;

  constructor(scope: Construct, id: string, props: GateRulesProps) {
    super(scope, id);
    const targets = new DeadLetterTargets(this, "DeadLetters", { fn: props.resolveGate, purpose: "gate" });
    this.deadLetters = targets.queue;
    const target = () => targets.target();
    this.decisions = new Rule(this, "Decisions", {
      description: "Gate decisions from Slack and the CLI resolve the open gate",
      eventBus: props.bus,
      eventPattern: { source: [GateDecisionSource], detailType: [GateDecisionDetailType] },
      targets: [target()],
    });
    this.alarms = props.alarms
      .filter((watched) => watched.names.length > 0)
      .map(
        (watched) =>
          new Rule(this, `Alarms-${watched.account}-${watched.region}`, {
            description: `A watched alarm of ${watched.account} ${watched.region} going into ALARM fails the open gate of every deployment watching it`,
            ...(watched.forwarded ? { eventBus: props.bus } : {}),
            eventPattern: {
              source: [AlarmStateChangeSource],
              detailType: [AlarmStateChangeDetailType],
              account: [watched.account],
              region: [watched.region],
              detail: { alarmName: [...new Set(watched.names)].sort(), state: { value: ["ALARM"] } },
            },
            targets: [target()],
          }),
      );
  }
}
