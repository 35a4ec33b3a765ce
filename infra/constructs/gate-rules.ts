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
  /** Alarms that deployments watch; CloudWatch sends their state changes to the account's default bus. */
  readonly alarmNames: readonly string[];
}

/**
 * The EventBridge rules that resolve gates: human decisions on the Glidepath bus, and alarms going into ALARM
 * on the default bus (where CloudWatch puts them), each filtered to what Glidepath consumes. Events the
 * function could not take after EventBridge's retries land in a dead-letter queue instead of vanishing.
 */
export class GateRules extends Construct {
  readonly decisions: Rule;
  readonly alarms?: Rule;
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
    const alarmNames = [...new Set(props.alarmNames)];
    if (alarmNames.length > 0) {
      this.alarms = new Rule(this, "Alarms", {
        description: "A watched alarm going into ALARM fails the open gate of every deployment watching it",
        eventPattern: {
          source: [AlarmStateChangeSource],
          detailType: [AlarmStateChangeDetailType],
          detail: { alarmName: alarmNames, state: { value: ["ALARM"] } },
        },
        targets: [target()],
      });
    }
  }
}
