import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import { type IEventBus, Rule } from "aws-cdk-lib/aws-events";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { Queue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import type { GlidepathConfig } from "../../functions/domain/config/index.ts";
import { ReleasePublishedDetailType } from "../../functions/domain/release/manifest.ts";
import { RollbackRequestedDetailType } from "../../functions/domain/rollback.ts";
import {
  ArtifactPublishedDetailType,
  CliEventSource,
  DeployRequestedDetailType,
  EcrImageActionDetailType,
  EcrSource,
} from "../../functions/domain/triggers.ts";
import { controlPlanePlace, samePlace, targetPlaces } from "../target-places.ts";
import { DeadLetterTargets } from "./dead-letter-targets.ts";
import { GlidepathFunction } from "./glidepath-function.ts";
import { bundledConfigDefine, grantHistoryQuery, grantStartExecution } from "./strategy-state-machines.ts";

export interface TriggersProps {
  readonly table: ITable;
  /** The Glidepath bus: CI systems put ArtifactPublished events here, and `supersede` puts its aborts here. */
  readonly bus: IEventBus;
  readonly config: GlidepathConfig;
}

const entry = new URL("../../functions/handlers/lambda/trigger.ts", import.meta.url).pathname;

/**
 * The trigger: artifact events start deployments. ECR pushes arrive on the account's default bus (where ECR puts
 * them), ArtifactPublished events on the Glidepath bus; each rule exists only when a service takes such
 * artifacts and matches only the repositories and sources the config names. Events the function could not take
 * after EventBridge's retries (malformed ones included) land in a dead-letter queue.
 */
export class Triggers extends Construct {
  readonly function: GlidepathFunction;
  readonly deadLetters: Queue;
  /** Present when a service deploys ECR images. */
  readonly ecrPushes?: Rule;
  /** One per artifact account+region besides the control plane's own, on the Glidepath bus. */
  readonly forwardedEcrPushes: readonly Rule[];
  /** Present when a service takes `custom` artifacts. */
  readonly artifactsPublished?: Rule;
  /** ReleasePublished events on the Glidepath bus, from any source: releases of several services. */
  readonly releasesPublished: Rule;
  /** DeployRequested events, from `glidepath deploy`. */
  readonly deployRequests: Rule;
  /** RollbackRequested events, from `glidepath rollback`. */
  readonly rollbackRequests: Rule;

  constructor(scope: Construct, id: string, props: TriggersProps) {
    super(scope, id);
    this.function = new GlidepathFunction(this, "Trigger", {
      entry,
      description:
        "Glidepath trigger: artifact events start, queue or supersede deployments; release events start releases",
      define: bundledConfigDefine(props.config),
      environment: { TABLE_NAME: props.table.tableName, BUS_NAME: props.bus.eventBusName },
    });
    const fn = this.function.fn;
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"],
        resources: [props.table.tableArn],
      }),
    );
    // The `supersede` policy aborts the running deployment with a gate decision on the bus.
    fn.addToRolePolicy(
      new PolicyStatement({ actions: ["events:PutEvents"], resources: [props.bus.eventBusArn] }),
    );
    grantStartExecution(this.function);
    // A rollback looks through the environment's deployment history for the artifact to go back to.
    grantHistoryQuery(this.function, props.table);

    const targets = new DeadLetterTargets(this, "DeadLetters", { fn: fn, purpose: "trigger" });
    this.deadLetters = targets.queue;
    const target = () => targets.target();

    const home = controlPlanePlace(props.config);
    // Repositories in the control plane's own account+region push to its default bus; the others' pushes are
    // forwarded to the Glidepath bus by their account's target stack.
    const repositories = unique(
      props.config.services.flatMap(({ artifact }) =>
        artifact.type === "ecr" &&
        (artifact.account === undefined ||
          samePlace({ account: artifact.account, region: artifact.region ?? "" }, home))
          ? [artifact.repository]
          : [],
      ),
    );
    if (repositories.length > 0) {
      this.ecrPushes = new Rule(this, "EcrPushes", {
        description: "Successful pushes to the ECR repositories of Glidepath services start deployments",
        eventPattern: {
          source: [EcrSource],
          detailType: [EcrImageActionDetailType],
          detail: { "action-type": ["PUSH"], result: ["SUCCESS"], "repository-name": repositories },
        },
        targets: [target()],
      });
    }
    this.forwardedEcrPushes = targetPlaces(props.config)
      .filter((place) => place.repositories.length > 0 && !samePlace(place, home))
      .map(
        (place) =>
          new Rule(this, `EcrPushes-${place.account}-${place.region}`, {
            description: `Successful pushes to the ECR repositories of Glidepath services in ${place.account} ${place.region}, forwarded, start deployments`,
            eventBus: props.bus,
            eventPattern: {
              source: [EcrSource],
              detailType: [EcrImageActionDetailType],
              account: [place.account],
              region: [place.region],
              detail: {
                "action-type": ["PUSH"],
                result: ["SUCCESS"],
                "repository-name": [...place.repositories],
              },
            },
            targets: [target()],
          }),
      );
    const sources = unique(
      props.config.services.flatMap((service) =>
        service.artifact.type === "custom" ? [service.artifact.source] : [],
      ),
    );
    if (sources.length > 0) {
      this.artifactsPublished = new Rule(this, "ArtifactsPublished", {
        description: "ArtifactPublished events from the sources of Glidepath services start deployments",
        eventBus: props.bus,
        eventPattern: { source: sources, detailType: [ArtifactPublishedDetailType] },
        targets: [target()],
      });
    }
    // A deployment a human asks for (`glidepath deploy`) names its service: the bus's policy says who may.
    this.deployRequests = new Rule(this, "DeployRequests", {
      description: "DeployRequested events (glidepath deploy) start a promotion of the service they name",
      eventBus: props.bus,
      eventPattern: { source: [CliEventSource], detailType: [DeployRequestedDetailType] },
      targets: [target()],
    });
    // A rollback a human asks for (`glidepath rollback`): back to a good artifact, all at once.
    this.rollbackRequests = new Rule(this, "RollbackRequests", {
      description: "RollbackRequested events (glidepath rollback) put an environment back on a good artifact",
      eventBus: props.bus,
      eventPattern: { source: [CliEventSource], detailType: [RollbackRequestedDetailType] },
      targets: [target()],
    });
    // A release names services, not a source: a release manifest may come from any CI that may put events
    // on the Glidepath bus (its policy says who may).
    this.releasesPublished = new Rule(this, "ReleasesPublished", {
      description: "ReleasePublished events start releases of several Glidepath services",
      eventBus: props.bus,
      eventPattern: { detailType: [ReleasePublishedDetailType] },
      targets: [target()],
    });
  }
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}
