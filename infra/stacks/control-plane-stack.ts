import { CfnOutput, Duration, Stack, type StackProps } from "aws-cdk-lib";
import type { Table } from "aws-cdk-lib/aws-dynamodb";
import { EventBus } from "aws-cdk-lib/aws-events";
import { AccountPrincipal, PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { Construct } from "constructs";
import type { GlidepathConfig } from "../../functions/domain/config/index.ts";
import { GateRules } from "../constructs/gate-rules.ts";
import { SlackCallback } from "../constructs/slack-callback.ts";
import { StateTable } from "../constructs/state-table.ts";
import { StrategyStateMachines } from "../constructs/strategy-state-machines.ts";
import { Triggers } from "../constructs/triggers.ts";
import { controlPlanePlace, samePlace, targetPlaces } from "../target-places.ts";

export interface ControlPlaneStackProps extends StackProps {
  /** The parsed config (`parseConfig`); the stack never sees unvalidated input. */
  readonly config: GlidepathConfig;
}

/**
 * The control plane: the state table and the event bus that every gate, timer, alarm and Slack event goes
 * through, one state machine per deployment strategy with the Lambda steps its states invoke, and the trigger
 * that starts deployments from artifact events.
 */
export class ControlPlaneStack extends Stack {
  readonly config: GlidepathConfig;
  readonly table: Table;
  readonly bus: EventBus;
  readonly strategies: StrategyStateMachines;
  readonly gateRules: GateRules;
  /** Artifact events (ECR pushes, ArtifactPublished) start deployments. */
  readonly triggers: Triggers;
  /** Present when the config names a Slack channel. */
  readonly slackCallback?: SlackCallback;

  constructor(scope: Construct, id: string, props: ControlPlaneStackProps) {
    super(scope, id, props);
    this.config = props.config;

    this.table = new StateTable(this, "State").table;

    const home = controlPlanePlace(this.config);
    const places = targetPlaces(this.config);
    // The accounts whose events reach this bus besides its own: forwarded alarms and ECR pushes.
    const accounts = [...new Set(places.map((place) => place.account))].filter(
      (account) => account !== home?.account,
    );

    this.bus = new EventBus(this, "Bus", { eventBusName: "glidepath" });
    // Keeps a month of events so a gate resolution lost to a bug can be replayed; handlers are idempotent.
    this.bus.archive("Archive", {
      description: "Every event on the glidepath bus, for replay",
      eventPattern: { account: [this.account, ...accounts] },
      retention: Duration.days(30),
    });

    this.strategies = new StrategyStateMachines(this, "Strategies", {
      table: this.table,
      config: this.config,
    });
    this.gateRules = new GateRules(this, "GateRules", {
      bus: this.bus,
      resolveGate: this.strategies.functions.resolveGate.fn,
      alarms: places.map((place) => ({
        account: place.account,
        region: place.region,
        names: place.watchedAlarms,
        forwarded: !samePlace(place, home),
      })),
    });
    // The target stacks' forwarding rules, and CI in an artifact account, put events on this bus: exactly the
    // configured accounts may.
    if (accounts.length > 0) {
      this.bus.addToResourcePolicy(
        new PolicyStatement({
          sid: "GlidepathTargetAccounts",
          principals: accounts.map((account) => new AccountPrincipal(account)),
          actions: ["events:PutEvents"],
          resources: [this.bus.eventBusArn],
        }),
      );
    }
    this.triggers = new Triggers(this, "Triggers", { table: this.table, bus: this.bus, config: this.config });
    const slack = this.config.notifications.slack;
    if (slack !== undefined) {
      this.slackCallback = new SlackCallback(this, "Slack", {
        table: this.table,
        bus: this.bus,
        signingSecretArn: slack.signingSecretArn,
      });
    }
    for (const [type, machine] of Object.entries(this.strategies.stateMachines)) {
      new CfnOutput(this, `${machine.node.id}StateMachineArn`, {
        value: machine.stateMachineArn,
        description: `Glidepath ${type} state machine`,
      });
    }

    new CfnOutput(this, "PipelineStateMachineArn", {
      value: this.strategies.pipeline.stateMachineArn,
      description: "Glidepath promotion pipeline state machine",
    });
    new CfnOutput(this, "ReleasePipelineStateMachineArn", {
      value: this.strategies.releasePipeline.stateMachineArn,
      description: "Glidepath release pipeline state machine",
    });
    new CfnOutput(this, "TableName", { value: this.table.tableName, description: "Glidepath state table" });
    new CfnOutput(this, "EventBusName", { value: this.bus.eventBusName, description: "Glidepath event bus" });
    new CfnOutput(this, "EventBusArn", {
      value: this.bus.eventBusArn,
      description: "Glidepath event bus ARN",
    });
  }
}
