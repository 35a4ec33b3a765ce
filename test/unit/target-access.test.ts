import {
  DescribeListenersCommand,
  ElasticLoadBalancingV2Client,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { AssumeRoleCommand, STSClient, STSServiceException } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { awsPorts } from "../../functions/adapters/aws/ports.ts";
import { AwsTargetAccess } from "../../functions/adapters/aws/target-access.ts";
import { ErrorNames } from "../../functions/domain/errors.ts";
import { createDeployHandler } from "../../functions/handlers/deploy.ts";
import { serviceError } from "../helpers/sdk-mock.ts";

const controlPlane = { account: "111122223333", region: "eu-west-1" };
const wave = { account: "444455556666", region: "eu-central-1", deploymentId: "d-0123456789abcdef0123" };

/** STS's answer to an AssumeRole, with a session that ends at `expiration`. */
function issued(accessKeyId: string, expiration: Date) {
  return {
    Credentials: {
      AccessKeyId: accessKeyId,
      SecretAccessKey: "secret",
      SessionToken: "token",
      Expiration: expiration,
    },
  };
}

function accessWith(sts: STSClient, clock = () => new Date("2026-12-01T10:00:00Z")) {
  return new AwsTargetAccess({ sts, ...controlPlane, externalId: "glidepath-acme", clock });
}

afterEach(() => {
  mockClient(ElasticLoadBalancingV2Client).restore();
});

describe("AwsTargetAccess", () => {
  it("assumes the wave's deploy role with the deployment id as session name, the external id and 900 s", async () => {
    // Prepare
    const sts = new STSClient({ region: "eu-west-1" });
    const stsMock = mockClient(sts);
    stsMock.on(AssumeRoleCommand).resolves(issued("ASIAWAVE", new Date("2026-12-01T10:15:00Z")));

    // Act
    const credentials = await accessWith(sts).clientsFor(wave).elb.config.credentials();

    // Assess
    expect(stsMock.commandCalls(AssumeRoleCommand).map((call) => call.args[0].input)).toEqual([
      {
        RoleArn: "arn:aws:iam::444455556666:role/glidepath-deploy-eu-central-1",
        RoleSessionName: "d-0123456789abcdef0123",
        ExternalId: "glidepath-acme",
        DurationSeconds: 900,
      },
    ]);
    expect(credentials).toMatchObject({ accessKeyId: "ASIAWAVE", sessionToken: "token" });
  });

  it("gives the wave's ELBv2, ECS and CloudWatch clients its region and the assumed credentials", async () => {
    // Prepare
    const sts = new STSClient({ region: "eu-west-1" });
    mockClient(sts)
      .on(AssumeRoleCommand)
      .resolves(issued("ASIAWAVE", new Date("2026-12-01T10:15:00Z")));
    const clients = accessWith(sts).clientsFor(wave);

    // Act
    const seen = await Promise.all(
      [clients.elb, clients.ecs, clients.cloudwatch].map(async (client) => [
        await client.config.region(),
        (await client.config.credentials()).accessKeyId,
      ]),
    );

    // Assess
    expect(seen).toEqual([
      ["eu-central-1", "ASIAWAVE"],
      ["eu-central-1", "ASIAWAVE"],
      ["eu-central-1", "ASIAWAVE"],
    ]);
  });

  it("assumes nothing for a wave in the control plane's own account and region, and shares its clients", async () => {
    // Prepare
    const sts = new STSClient({ region: "eu-west-1" });
    const stsMock = mockClient(sts);
    const access = accessWith(sts);

    // Act
    const first = access.clientsFor({ ...controlPlane, deploymentId: "d-0123456789abcdef0123" });
    const second = access.clientsFor({ ...controlPlane, deploymentId: "d-99999999999999999999" });

    // Assess
    expect(await first.elb.config.region()).toBe("eu-west-1");
    expect(second).toBe(first);
    expect(stsMock.calls()).toHaveLength(0);
  });

  it("reuses a deployment's session, renews it five minutes before it ends, and gives another deployment its own", async () => {
    // Prepare
    let now = new Date("2026-12-01T10:00:00Z");
    const sts = new STSClient({ region: "eu-west-1" });
    const stsMock = mockClient(sts);
    stsMock
      .on(AssumeRoleCommand)
      .resolvesOnce(issued("ASIA1", new Date("2026-12-01T10:15:00Z")))
      .resolvesOnce(issued("ASIA2", new Date("2026-12-01T10:25:00Z")))
      .resolvesOnce(issued("ASIA3", new Date("2026-12-01T10:30:00Z")));
    const access = accessWith(sts, () => now);
    const keyOf = async (deploymentId: string) =>
      (await access.clientsFor({ ...wave, deploymentId }).ecs.config.credentials()).accessKeyId;

    // Act
    const atStart = await keyOf(wave.deploymentId);
    now = new Date("2026-12-01T10:09:59Z");
    const beforeRenewal = await keyOf(wave.deploymentId);
    now = new Date("2026-12-01T10:10:01Z");
    const renewed = await keyOf(wave.deploymentId);
    const other = await keyOf("d-99999999999999999999");

    // Assess
    expect([atStart, beforeRenewal, renewed, other]).toEqual(["ASIA1", "ASIA1", "ASIA2", "ASIA3"]);
    expect(stsMock.commandCalls(AssumeRoleCommand).map((call) => call.args[0].input.RoleSessionName)).toEqual(
      ["d-0123456789abcdef0123", "d-0123456789abcdef0123", "d-99999999999999999999"],
    );
  });
});

describe("AwsTargetAccess's sessions", () => {
  it("keeps the clients of the 32 latest deployments, making new ones for an older deployment", () => {
    // Prepare
    const access = accessWith(new STSClient({ region: "eu-west-1" }));
    const ids = Array.from({ length: 33 }, (_, index) => `d-${index.toString(16).padStart(20, "0")}`);
    const first = access.clientsFor({ ...wave, deploymentId: ids[0] ?? "" });
    const latest = ids.slice(1).map((deploymentId) => access.clientsFor({ ...wave, deploymentId }));

    // Act
    const again = access.clientsFor({ ...wave, deploymentId: ids[0] ?? "" });

    // Assess
    expect(again).not.toBe(first);
    expect(access.clientsFor({ ...wave, deploymentId: ids[32] ?? "" })).toBe(latest.at(-1));
  });
});

describe("a wave whose deploy role cannot be assumed", () => {
  it("fails the deploy step's prepare with TargetAccessDeniedError naming the role, before traffic moves", async () => {
    // Prepare
    const sts = new STSClient({ region: "eu-west-1" });
    mockClient(sts)
      .on(AssumeRoleCommand)
      .rejects(
        serviceError(
          STSServiceException,
          "AccessDenied",
          403,
          "User: arn:aws:sts::111122223333:assumed-role/glidepath-deploy-step-eu-west-1/x is not authorized to perform: sts:AssumeRole",
        ),
      );
    const elb = mockClient(ElasticLoadBalancingV2Client);
    // As the SDK does before it sends anything: resolve the credentials to sign with.
    elb.on(DescribeListenersCommand).callsFake(async (_input, getClient) => {
      await getClient().config.credentials();
      throw new Error("DescribeListeners must not be sent without credentials");
    });
    const ports = awsPorts({ tableName: "glidepath", ...controlPlane, sts });
    const listenerArn = `arn:aws:elasticloadbalancing:eu-central-1:444455556666:listener/app/shop/ab/cd`;

    // Act
    const prepared = createDeployHandler(ports)({
      action: "prepare",
      ...wave,
      target: {
        type: "ecs",
        cluster: "shop",
        services: { blue: "web-blue", green: "web-green" },
        listenerArn,
        targetGroups: {
          blue: "arn:aws:elasticloadbalancing:eu-central-1:444455556666:targetgroup/web-blue/ab",
          green: "arn:aws:elasticloadbalancing:eu-central-1:444455556666:targetgroup/web-green/cd",
        },
      },
      alarms: [],
      alarmDefinitions: [],
      artifact: { uri: "444455556666.dkr.ecr.eu-central-1.amazonaws.com/web@sha256:ab", version: "2.0.0" },
      startEmpty: false,
    });

    // Assess
    await expect(prepared).rejects.toMatchObject({
      name: ErrorNames.TargetAccessDenied,
      message: expect.stringMatching(
        /^cannot assume arn:aws:iam::444455556666:role\/glidepath-deploy-eu-central-1 to act in account 444455556666, region eu-central-1: User: .* is not authorized to perform: sts:AssumeRole\. Deploy the GlidepathTarget-444455556666-eu-central-1 stack/,
      ),
    });
    expect(elb.calls().map((call) => call.args[0].constructor.name)).toEqual(["DescribeListenersCommand"]);
  });
});
