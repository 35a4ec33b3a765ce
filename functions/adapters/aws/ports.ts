import { SFNClient } from "@aws-sdk/client-sfn";
import { STSClient } from "@aws-sdk/client-sts";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Ports, TargetConfig } from "../../domain/ports/index.ts";
import type { Notifier } from "../../domain/ports/notifier.ts";
import { defaultExternalId } from "../../domain/target-access.ts";
import { logger } from "../../shared/logger.ts";
import { FlagDeployTarget } from "../flag-deploy-target.ts";
import { LineNotifier } from "../log-notifier.ts";
import { AppConfigFlagRouter } from "./appconfig-flag-router.ts";
import { loadBalancerDimension } from "./arns.ts";
import { CloudWatchHealthSignals } from "./cloudwatch-health-signals.ts";
import { dynamoDbStores } from "./dynamodb-stores.ts";
import { createDocumentClient } from "./dynamodb-table.ts";
import { EcsDeployTarget } from "./ecs-deploy-target.ts";
import { ElbTrafficRouter } from "./elb-traffic-router.ts";
import { LambdaAliasRouter } from "./lambda-alias-router.ts";
import { LambdaDeployTarget } from "./lambda-deploy-target.ts";
import { deploymentVersions } from "./lambda-versions.ts";
import { awsClientConfig } from "./retry.ts";
import { SfnTaskCallbacks } from "./sfn-task-callbacks.ts";
import { AwsTargetAccess } from "./target-access.ts";

type EcsTarget = Extract<TargetConfig, { type: "ecs" }>;
type FlagTarget = Extract<TargetConfig, { type: "flag" }>;
type LambdaTarget = Extract<TargetConfig, { type: "lambda" }>;

function ecs(target: TargetConfig): EcsTarget {
  if (target.type !== "ecs") {
    throw new Error(
      target.type === "appconfig"
        ? "an 'appconfig' target takes the feature-flag strategy"
        : `a '${target.type}' target runs only in the local runtime (npm start), not on AWS`,
    );
  }
  return target;
}

function appConfigFlag(target: FlagTarget) {
  const { store } = target;
  if (store.type !== "appconfig") {
    throw new Error(
      `a flag in a '${store.type}' store runs only in the local runtime (npm start), not on AWS`,
    );
  }
  return store;
}

function lambdaOf(target: LambdaTarget, access: { readonly deploymentId: string }) {
  return { functionName: target.functionName, alias: target.alias, deploymentId: access.deploymentId };
}

export interface AwsPortsProps {
  readonly tableName: string;
  /** The control plane's account: resolve-gate accepts gate decisions from it, and its waves need no role. */
  readonly account: string;
  /** The control plane's region (the function's `AWS_REGION`): its waves in `account` need no role. */
  readonly region: string;
  /** What the deploy roles require as `sts:ExternalId`. @default "glidepath" */
  readonly externalId?: string;
  /** @default a client of the function's region, retrying throttling */
  readonly sts?: STSClient;
  /** Where humans hear about gates. @default one log line per gate event */
  readonly notifier?: Notifier;
  /** @default a client of the Lambda's region, retrying throttling */
  readonly documentClient?: DynamoDBDocumentClient;
}

/** The ports on AWS. Clients are created once per execution environment and shared by every invocation. */
export function awsPorts(props: AwsPortsProps): Ports {
  const targets = new AwsTargetAccess({
    sts: props.sts ?? new STSClient(awsClientConfig),
    account: props.account,
    region: props.region,
    externalId: props.externalId ?? defaultExternalId,
  });
  const stores = dynamoDbStores({
    client: props.documentClient ?? createDocumentClient(),
    tableName: props.tableName,
  });
  const router = (target: EcsTarget) =>
    target.listenerArn === undefined
      ? { listenerRuleArn: target.listenerRuleArn }
      : { listenerArn: target.listenerArn };
  const callbacks = new SfnTaskCallbacks({ client: new SFNClient(awsClientConfig) });
  return {
    ...stores,
    callbacks,
    notifier: props.notifier ?? new LineNotifier((line) => logger.info(line)),
    account: props.account,
    executionUrl: consoleExecutionUrl,
    clock: () => new Date(),
    trafficRouter: (config, access) => {
      if (config.type === "lambda") {
        return new LambdaAliasRouter({
          client: targets.clientsFor(access).lambda,
          ...lambdaOf(config, access),
        });
      }
      if (config.type === "flag") {
        return new AppConfigFlagRouter({
          client: targets.clientsFor(access).appconfig,
          store: appConfigFlag(config),
          rollout: config,
          deploymentId: access.deploymentId,
        });
      }
      const target = ecs(config);
      const { elb } = targets.clientsFor(access);
      return new ElbTrafficRouter({
        client: elb,
        ...router(target),
        targetGroups: target.targetGroups,
        ...(target.experimentRouting === undefined ? {} : { experimentRouting: target.experimentRouting }),
        deploymentId: access.deploymentId,
      });
    },
    deployTarget: (config, access) => {
      if (config.type === "flag") return new FlagDeployTarget(config.flag);
      if (config.type === "lambda") {
        return new LambdaDeployTarget({
          client: targets.clientsFor(access).lambda,
          ...lambdaOf(config, access),
        });
      }
      const target = ecs(config);
      const { ecs: ecsClient, elb } = targets.clientsFor(access);
      return new EcsDeployTarget({
        client: ecsClient,
        elb,
        cluster: target.cluster,
        services: target.services,
        targetGroups: target.targetGroups,
        ...(target.containerName === undefined ? {} : { containerName: target.containerName }),
      });
    },
    healthSignals: (config, access) => {
      if (config.type === "lambda") {
        const { cloudwatch, lambda } = targets.clientsFor(access);
        const { functionName, alias, deploymentId } = lambdaOf(config, access);
        return new CloudWatchHealthSignals({
          client: cloudwatch,
          lambda: {
            functionName,
            alias,
            versions: async () => {
              const versions = await deploymentVersions(lambda, functionName, alias, deploymentId);
              if (versions === undefined) {
                throw new Error(`deployment ${deploymentId} has no new version of ${functionName} yet`);
              }
              return { blue: versions.replaces, green: versions.version };
            },
          },
        });
      }
      if (config.type === "flag") {
        return new CloudWatchHealthSignals({
          client: targets.clientsFor(access).cloudwatch,
          variants: config.metrics,
        });
      }
      const target = ecs(config);
      return new CloudWatchHealthSignals({
        client: targets.clientsFor(access).cloudwatch,
        loadBalancer: loadBalancerDimension(target.listenerArn ?? target.listenerRuleArn ?? ""),
        targetGroups: target.targetGroups,
      });
    },
  };
}

/** The execution's page in the Step Functions console of its own region. */
export function consoleExecutionUrl(executionArn: string): string {
  const region = executionArn.split(":")[3] ?? "us-east-1";
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${encodeURIComponent(executionArn)}`;
}
