import { AppConfigClient } from "@aws-sdk/client-appconfig";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { ECSClient } from "@aws-sdk/client-ecs";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { AssumeRoleCommand, type Credentials, type STSClient } from "@aws-sdk/client-sts";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";
import { TargetAccessDeniedError } from "../../domain/errors.ts";
import type { WaveAccess } from "../../domain/ports/index.ts";
import { deployRoleArn, deploySessionSeconds } from "../../domain/target-access.ts";
import { awsClientConfig } from "./retry.ts";

export interface AwsTargetAccessProps {
  readonly sts: STSClient;
  /** The control plane's own account and region: a wave there needs no role. */
  readonly account: string;
  readonly region: string;
  /** What the deploy roles' trust policies require as `sts:ExternalId`. */
  readonly externalId: string;
  /** @default () => new Date() */
  readonly clock?: () => Date;
}

/** The clients of one wave: of its region, signing with its deploy role's session (or the function's own role). */
export interface WaveClients {
  readonly elb: ElasticLoadBalancingV2Client;
  readonly ecs: ECSClient;
  readonly cloudwatch: CloudWatchClient;
  readonly appconfig: AppConfigClient;
  readonly lambda: LambdaClient;
}

/** Sessions are renewed this long before they end, so no call is signed with credentials about to expire. */
const refreshMs = 5 * 60_000;

/** Sessions kept at once; a Lambda execution environment serves few deployments in its life. */
const maxSessions = 32;

/**
 * Reaches a wave where it is: the deploy role of its account (`glidepath-deploy-<region>`, from its
 * GlidepathTarget stack), assumed with the deployment id as the session name so that CloudTrail in the target
 * account names the deployment behind every call. Sessions are therefore kept per account, region and
 * deployment (not only per account and region: another deployment must not act under this one's name), and
 * renewed before they expire.
 */
export class AwsTargetAccess {
  readonly #props: AwsTargetAccessProps;
  readonly #sessions = new Map<string, WaveClients>();
  #own: WaveClients | undefined;

  constructor(props: AwsTargetAccessProps) {
    this.#props = props;
  }

  /** The wave's clients, made once per account, region and deployment (once in all in the control plane's own). */
  clientsFor(access: WaveAccess): WaveClients {
    if (access.account === this.#props.account && access.region === this.#props.region) {
      this.#own ??= clients({ region: access.region });
      return this.#own;
    }
    const key = `${access.account}/${access.region}/${access.deploymentId}`;
    let found = this.#sessions.get(key);
    if (found === undefined) {
      found = clients({ region: access.region, credentials: this.#session(access) });
      this.#sessions.set(key, found);
      const oldest = this.#sessions.keys().next().value;
      if (this.#sessions.size > maxSessions && oldest !== undefined) {
        const evicted = this.#sessions.get(oldest);
        this.#sessions.delete(oldest);
        // Their sockets would otherwise stay open for the life of the execution environment.
        for (const client of Object.values(evicted ?? {})) client.destroy();
      }
    }
    return found;
  }

  #session(access: WaveAccess): AwsCredentialIdentityProvider {
    const roleArn = deployRoleArn(access);
    const now = () => (this.#props.clock ?? (() => new Date()))().getTime();
    let current: AwsCredentialIdentity | undefined;
    let pending: Promise<AwsCredentialIdentity> | undefined;
    const assume = async (): Promise<AwsCredentialIdentity> => {
      try {
        const { Credentials: issued } = await this.#props.sts.send(
          new AssumeRoleCommand({
            RoleArn: roleArn,
            RoleSessionName: access.deploymentId,
            ExternalId: this.#props.externalId,
            DurationSeconds: deploySessionSeconds,
          }),
        );
        return identity(issued, roleArn);
      } catch (error) {
        throw new TargetAccessDeniedError(
          `cannot assume ${roleArn} to act in account ${access.account}, region ${access.region}: ${(error as Error).message}. Deploy the GlidepathTarget-${access.account}-${access.region} stack in that account with its credentials, and redeploy the control plane after adding the account (README, "Deploying to AWS").`,
        );
      }
    };
    return async () => {
      const fresh = current?.expiration !== undefined && current.expiration.getTime() - refreshMs > now();
      if (current !== undefined && fresh) return current;
      // Calls of one step in parallel share one AssumeRole.
      pending ??= assume().finally(() => {
        pending = undefined;
      });
      current = await pending;
      return current;
    };
  }
}

function clients(config: { region: string; credentials?: AwsCredentialIdentityProvider }): WaveClients {
  const options = { ...awsClientConfig, ...config };
  return {
    elb: new ElasticLoadBalancingV2Client(options),
    ecs: new ECSClient(options),
    cloudwatch: new CloudWatchClient(options),
    appconfig: new AppConfigClient(options),
    lambda: new LambdaClient(options),
  };
}

function identity(issued: Credentials | undefined, roleArn: string): AwsCredentialIdentity {
  if (
    issued?.AccessKeyId === undefined ||
    issued.SecretAccessKey === undefined ||
    issued.SessionToken === undefined ||
    issued.Expiration === undefined
  ) {
    throw new Error(`STS answered AssumeRole of ${roleArn} without credentials`);
  }
  return {
    accessKeyId: issued.AccessKeyId,
    secretAccessKey: issued.SecretAccessKey,
    sessionToken: issued.SessionToken,
    expiration: issued.Expiration,
  };
}
