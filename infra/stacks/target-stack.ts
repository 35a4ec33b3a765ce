import { Duration, Stack, type StackProps, Validations } from "aws-cdk-lib";
import { EventBus, Rule, type RuleProps } from "aws-cdk-lib/aws-events";
import { EventBus as EventBusTarget } from "aws-cdk-lib/aws-events-targets";
import { AccountPrincipal, PolicyDocument, Role } from "aws-cdk-lib/aws-iam";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";
import {
  AlarmStateChangeDetailType,
  AlarmStateChangeSource,
} from "../../functions/domain/alarm-state-change.ts";
import type { WavePlace } from "../../functions/domain/config/waves.ts";
import { deployRoleName, stepRoleName, TargetSteps } from "../../functions/domain/target-access.ts";
import { EcrImageActionDetailType, EcrSource } from "../../functions/domain/triggers.ts";
import { targetStatements, targetWildcards, wildcardReason } from "../constructs/target-permissions.ts";
import { deploysHere, type TargetPlace } from "../target-places.ts";

/** The name of the control plane's bus: the forwarding rules put events there. */
export const controlPlaneBusName = "glidepath";

export interface TargetStackProps extends StackProps {
  /** The account+region this stack serves, and every resource its waves touch there. */
  readonly place: TargetPlace;
  readonly controlPlane: WavePlace;
  /** What the deploy role requires as `sts:ExternalId`. */
  readonly externalId: string;
}

/** `GlidepathTarget-<account>-<region>`: one stack per account+region that Glidepath deploys to. */
export function targetStackId(place: WavePlace): string {
  return `GlidepathTarget-${place.account}-${place.region}`;
}

/**
 * What a target account+region needs for the control plane to deploy there: the deploy role the control
 * plane's deploy, shift-traffic and evaluate steps assume, allowed exactly the configured resources, and rules
 * that forward the state changes of the watched alarms (so the alarm fast lane works across accounts) and the
 * pushes to the services' ECR repositories there (an artifact account) to the control plane's bus. Deployed
 * with that account's credentials, in that region.
 */
export class TargetStack extends Stack {
  /** Present when waves deploy here: an artifact account's stack only forwards its ECR pushes. */
  readonly deployRole?: Role;
  readonly alarmForwarding?: Rule;
  readonly ecrForwarding?: Rule;

  constructor(scope: Construct, id: string, props: TargetStackProps) {
    super(scope, id, { ...props, env: { account: props.place.account, region: props.place.region } });
    const { place } = props;
    if (deploysHere(place)) this.deployRole = this.#deployRole(props);
    const forward = this.#forwarding(props);
    if (place.watchedAlarms.length > 0) {
      this.alarmForwarding = forward("AlarmForwarding", {
        description:
          "State changes of the alarms Glidepath deployments watch here, to the control plane's bus",
        eventPattern: {
          source: [AlarmStateChangeSource],
          detailType: [AlarmStateChangeDetailType],
          detail: { alarmName: [...place.watchedAlarms], state: { value: ["ALARM"] } },
        },
      });
    }
    if (place.repositories.length > 0) {
      this.ecrForwarding = forward("EcrForwarding", {
        description:
          "Successful pushes to the ECR repositories of Glidepath services, to the control plane's bus",
        eventPattern: {
          source: [EcrSource],
          detailType: [EcrImageActionDetailType],
          detail: {
            "action-type": ["PUSH"],
            result: ["SUCCESS"],
            "repository-name": [...place.repositories],
          },
        },
      });
    }
  }

  #deployRole(props: TargetStackProps): Role {
    const { place, controlPlane } = props;
    const statements = targetStatements(place);
    const stepRoles = TargetSteps.map(
      (step) =>
        `arn:${place.partition}:iam::${controlPlane.account}:role/${stepRoleName(step, controlPlane.region)}`,
    );
    // The principal is the control plane's account, narrowed to its four target step roles by a PrincipalArn
    // condition: IAM refuses a trust policy that names a role not created yet, so naming the roles as principals
    // would force the control plane to be deployed first, and would silently break if one were ever recreated.
    const role = new Role(this, "DeployRole", {
      roleName: deployRoleName(place.region),
      description: `Glidepath deploys here: assumed by the control plane's step roles in ${controlPlane.account} ${controlPlane.region}`,
      assumedBy: new AccountPrincipal(controlPlane.account).withConditions({
        ArnEquals: { "aws:PrincipalArn": stepRoles },
        StringEquals: { "sts:ExternalId": props.externalId, "aws:PrincipalAccount": controlPlane.account },
      }),
      maxSessionDuration: Duration.hours(1),
      inlinePolicies: {
        Deploy: new PolicyDocument({
          statements: [
            ...statements.deploy,
            ...statements.shiftTraffic,
            ...statements.evaluate,
            ...statements.record,
          ],
        }),
      },
    });
    Validations.of(role).acknowledge({ id: "AwsSolutions-IAM5[Resource::*]", reason: wildcardReason });
    for (const { arn, reason } of targetWildcards(place))
      Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[Resource::${arn}]`, reason });
    return role;
  }

  /** Makes rules to the control plane's bus, sharing one dead-letter queue for what EventBridge could not deliver. */
  #forwarding(props: TargetStackProps): (id: string, rule: Omit<RuleProps, "targets">) => Rule {
    const { place, controlPlane } = props;
    let target: EventBusTarget | undefined;
    const targetOnce = () => {
      const deadLetters = new Queue(this, "ForwardingDeadLetters", {
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      });
      Validations.of(deadLetters).acknowledge({
        id: "AwsSolutions-SQS3",
        reason:
          "This queue is the dead-letter queue of the forwarding rules' target (EventBridge DLQs are not SQS redrive policies, which cdk-nag looks for).",
      });
      const bus = EventBus.fromEventBusArn(
        this,
        "ControlPlaneBus",
        `arn:${place.partition}:events:${controlPlane.region}:${controlPlane.account}:event-bus/${controlPlaneBusName}`,
      );
      return new EventBusTarget(bus, { deadLetterQueue: deadLetters });
    };
    return (id, rule) => {
      target ??= targetOnce();
      return new Rule(this, id, { ...rule, targets: [target] });
    };
  }
}
