import {
  type Deployment,
  DescribeServicesCommand,
  type DescribeServicesCommandOutput,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ECSServiceException,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  type Service,
  type Tag,
  type TaskDefinition,
  UpdateServiceCommand,
} from "@aws-sdk/client-ecs";
import {
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  type TargetHealthStateEnum,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import {
  EcsDeployTarget,
  type EcsDeployTargetProps,
} from "../../functions/adapters/aws/ecs-deploy-target.ts";
import { awsClientConfig } from "../../functions/adapters/aws/retry.ts";
import { DeployFailedError, ErrorNames } from "../../functions/domain/errors.ts";
import type { PrepareInput } from "../../functions/domain/ports/deploy-target.ts";
import { serviceError } from "../helpers/sdk-mock.ts";

const account = "123456789012";
const cluster = "prod";
const blueTg = `arn:aws:elasticloadbalancing:eu-west-1:${account}:targetgroup/checkout-blue/73e2d6bc24d8a067`;
const greenTg = `arn:aws:elasticloadbalancing:eu-west-1:${account}:targetgroup/checkout-green/2453ed029918f21f`;
const taskDefinitionArn = (revision: number) =>
  `arn:aws:ecs:eu-west-1:${account}:task-definition/checkout:${revision}`;
const liveImage = `${account}.dkr.ecr.eu-west-1.amazonaws.com/team/checkout@sha256:1f0e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0`;
const newImage = `${account}.dkr.ecr.eu-west-1.amazonaws.com/team/checkout@sha256:9a8b7c6d5e4f30211203f4e5d6c7b8a99a8b7c6d5e4f30211203f4e5d6c7b8a9`;

/** A Fargate task definition as DescribeTaskDefinition returns it: an app behind a FireLens log router. */
const baseDefinition: TaskDefinition = {
  taskDefinitionArn: taskDefinitionArn(41),
  family: "checkout",
  revision: 41,
  status: "ACTIVE",
  taskRoleArn: `arn:aws:iam::${account}:role/checkout-task`,
  executionRoleArn: `arn:aws:iam::${account}:role/checkout-execution`,
  networkMode: "awsvpc",
  containerDefinitions: [
    {
      name: "app",
      image: liveImage,
      cpu: 0,
      essential: true,
      portMappings: [
        { containerPort: 8080, hostPort: 8080, protocol: "tcp", name: "http", appProtocol: "http" },
      ],
      environment: [{ name: "PORT", value: "8080" }],
      secrets: [
        {
          name: "DB_PASSWORD",
          valueFrom: `arn:aws:secretsmanager:eu-west-1:${account}:secret:checkout/db-AbCdEf`,
        },
      ],
      mountPoints: [],
      volumesFrom: [],
      dependsOn: [{ containerName: "log-router", condition: "START" }],
      logConfiguration: {
        logDriver: "awsfirelens",
        options: { Name: "cloudwatch_logs", region: "eu-west-1" },
      },
      healthCheck: {
        command: ["CMD-SHELL", "curl -f http://localhost:8080/health || exit 1"],
        interval: 10,
        timeout: 5,
        retries: 3,
        startPeriod: 20,
      },
      systemControls: [],
    },
    {
      name: "log-router",
      image: "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable",
      cpu: 0,
      memoryReservation: 50,
      essential: true,
      portMappings: [],
      environment: [],
      mountPoints: [],
      volumesFrom: [],
      user: "0",
      firelensConfiguration: { type: "fluentbit" },
      systemControls: [],
    },
  ],
  volumes: [],
  placementConstraints: [],
  requiresAttributes: [
    { name: "com.amazonaws.ecs.capability.ecr-auth" },
    { name: "ecs.capability.firelens.fluentbit" },
    { name: "com.amazonaws.ecs.capability.task-iam-role" },
    { name: "ecs.capability.secrets.asm.environment-variables" },
  ],
  compatibilities: ["EC2", "FARGATE"],
  requiresCompatibilities: ["FARGATE"],
  cpu: "512",
  memory: "1024",
  runtimePlatform: { cpuArchitecture: "ARM64", operatingSystemFamily: "LINUX" },
  ephemeralStorage: { sizeInGiB: 30 },
  pidMode: "task",
  registeredAt: new Date("2030-02-20T09:14:03.000Z"),
  registeredBy: `arn:aws:sts::${account}:assumed-role/glidepath-deploy/glidepath`,
  enableFaultInjection: false,
};

const baseTags: Tag[] = [
  { key: "team", value: "payments" },
  { key: "glidepath:version", value: "1.3.0" },
];

function deployment(overrides: Partial<Deployment> = {}): Deployment {
  return {
    id: "ecs-svc/4718298371658291843",
    status: "PRIMARY",
    taskDefinition: taskDefinitionArn(41),
    desiredCount: 4,
    pendingCount: 0,
    runningCount: 4,
    failedTasks: 0,
    createdAt: new Date("2030-03-01T09:58:00.000Z"),
    updatedAt: new Date("2030-03-01T10:02:41.000Z"),
    launchType: "FARGATE",
    platformVersion: "1.4.0",
    platformFamily: "Linux",
    rolloutState: "COMPLETED",
    rolloutStateReason: "ECS deployment ecs-svc/4718298371658291843 completed.",
    ...overrides,
  };
}

function service(name: string, overrides: Partial<Service> = {}): Service {
  return {
    serviceArn: `arn:aws:ecs:eu-west-1:${account}:service/${cluster}/${name}`,
    serviceName: name,
    clusterArn: `arn:aws:ecs:eu-west-1:${account}:cluster/${cluster}`,
    loadBalancers: [
      { targetGroupArn: name.endsWith("blue") ? blueTg : greenTg, containerName: "app", containerPort: 8080 },
    ],
    status: "ACTIVE",
    desiredCount: 4,
    runningCount: 4,
    pendingCount: 0,
    launchType: "FARGATE",
    platformVersion: "LATEST",
    taskDefinition: taskDefinitionArn(41),
    deploymentConfiguration: {
      deploymentCircuitBreaker: { enable: true, rollback: true },
      maximumPercent: 200,
      minimumHealthyPercent: 100,
    },
    deployments: [deployment()],
    events: [
      {
        id: "6c1f6a7e-3d2b-4e8f-9a0b-1c2d3e4f5a6b",
        createdAt: new Date("2030-03-01T10:02:41.000Z"),
        message: `(service ${name}) has reached a steady state.`,
      },
    ],
    schedulingStrategy: "REPLICA",
    ...overrides,
  };
}

const servicesOutput = (services: Service[]): DescribeServicesCommandOutput => ({
  $metadata: { httpStatusCode: 200 },
  services,
  failures: [],
});

function targets(...states: TargetHealthStateEnum[]) {
  return {
    TargetHealthDescriptions: states.map((State, index) => ({
      Target: { Id: `10.0.1.${10 + index}`, Port: 8080, AvailabilityZone: "eu-west-1a" },
      HealthCheckPort: "8080",
      TargetHealth: { State },
    })),
  };
}

const client = new ECSClient({ region: "eu-west-1", ...awsClientConfig });
const elbClient = new ElasticLoadBalancingV2Client({ region: "eu-west-1", ...awsClientConfig });
const ecs = mockClient(client);
const elb = mockClient(elbClient);

const target = (overrides: Partial<EcsDeployTargetProps> = {}) =>
  new EcsDeployTarget({
    client,
    elb: elbClient,
    cluster,
    services: { blue: "checkout-blue", green: "checkout-green" },
    targetGroups: { blue: blueTg, green: greenTg },
    containerName: "app",
    ...overrides,
  });

const prepareInput: PrepareInput = {
  colour: "green",
  artifactUri: newImage,
  version: "1.4.0",
  baseRevision: taskDefinitionArn(41),
  desiredCount: 4,
};

beforeEach(() => {
  ecs.reset();
  elb.reset();
});

describe("EcsDeployTarget", () => {
  describe("prepare", () => {
    beforeEach(() => {
      ecs
        .on(DescribeTaskDefinitionCommand, { taskDefinition: taskDefinitionArn(41) })
        .resolves({ taskDefinition: baseDefinition, tags: baseTags });
      ecs.on(RegisterTaskDefinitionCommand).callsFake((input: RegisterTaskDefinitionCommandInput) => ({
        taskDefinition: {
          ...input,
          taskDefinitionArn: taskDefinitionArn(42),
          revision: 42,
          status: "ACTIVE",
        },
        tags: input.tags,
      }));
      ecs.on(UpdateServiceCommand).resolves({});
    });

    it("registers a copy of the base revision with the artifact as the app's image and its colour as GLIDEPATH_VARIANT, then updates the idle service", async () => {
      // Prepare
      ecs
        .on(DescribeServicesCommand)
        .resolves(servicesOutput([service("checkout-green", { desiredCount: 0 })]));

      // Act
      const result = await target().prepare(prepareInput);

      // Assess
      expect(result).toEqual({ revision: taskDefinitionArn(42), desiredCount: 4 });
      expect(ecs).toHaveReceivedCommandWith(DescribeTaskDefinitionCommand, {
        taskDefinition: taskDefinitionArn(41),
        include: ["TAGS"],
      });
      expect(ecs).toHaveReceivedCommandExactlyOnceWith(DescribeServicesCommand, {
        cluster,
        services: ["checkout-green"],
      });
      const [app, logRouter] = baseDefinition.containerDefinitions ?? [];
      expect(ecs.commandCalls(RegisterTaskDefinitionCommand).map((call) => call.args[0].input)).toStrictEqual(
        [
          {
            family: "checkout",
            taskRoleArn: `arn:aws:iam::${account}:role/checkout-task`,
            executionRoleArn: `arn:aws:iam::${account}:role/checkout-execution`,
            networkMode: "awsvpc",
            containerDefinitions: [
              {
                ...app,
                image: newImage,
                environment: [...(app?.environment ?? []), { name: "GLIDEPATH_VARIANT", value: "green" }],
              },
              logRouter,
            ],
            volumes: [],
            placementConstraints: [],
            requiresCompatibilities: ["FARGATE"],
            cpu: "512",
            memory: "1024",
            runtimePlatform: { cpuArchitecture: "ARM64", operatingSystemFamily: "LINUX" },
            ephemeralStorage: { sizeInGiB: 30 },
            pidMode: "task",
            enableFaultInjection: false,
            tags: [
              { key: "team", value: "payments" },
              { key: "glidepath:version", value: "1.4.0" },
            ],
          },
        ],
      );
      expect(ecs.commandCalls(UpdateServiceCommand).map((call) => call.args[0].input)).toStrictEqual([
        {
          cluster,
          service: "checkout-green",
          taskDefinition: taskDefinitionArn(42),
          desiredCount: 4,
          forceNewDeployment: false,
        },
      ]);
    });

    it("copies every field RegisterTaskDefinition accepts and none that only DescribeTaskDefinition returns", async () => {
      // Prepare
      const ec2Definition: TaskDefinition = {
        ...baseDefinition,
        networkMode: "bridge",
        requiresCompatibilities: ["EC2"],
        volumes: [{ name: "scratch", host: { sourcePath: "/mnt/scratch" } }],
        placementConstraints: [{ type: "memberOf", expression: "attribute:ecs.instance-type =~ m7g.*" }],
        ipcMode: "task",
        inferenceAccelerators: [{ deviceName: "device1", deviceType: "eia2.medium" }],
        proxyConfiguration: {
          type: "APPMESH",
          containerName: "envoy",
          properties: [{ name: "AppPorts", value: "8080" }],
        },
      };
      ecs
        .on(DescribeTaskDefinitionCommand, { taskDefinition: taskDefinitionArn(41) })
        .resolves({ taskDefinition: ec2Definition });
      ecs.on(DescribeServicesCommand).resolves(servicesOutput([service("checkout-green")]));

      // Act
      await target().prepare(prepareInput);

      // Assess
      const registered = ecs.commandCalls(RegisterTaskDefinitionCommand)[0]?.args[0].input;
      const describeOnly = [
        "taskDefinitionArn",
        "revision",
        "status",
        "requiresAttributes",
        "compatibilities",
        "registeredAt",
        "registeredBy",
        "deregisteredAt",
        "deleteRequestedAt",
      ];
      const { containerDefinitions: _containers, ...copied } = registered ?? {};
      for (const [field, value] of Object.entries(ec2Definition)) {
        if (field === "containerDefinitions" || describeOnly.includes(field)) continue;
        expect(copied, field).toHaveProperty(field, value);
      }
      expect(Object.keys(copied).filter((field) => describeOnly.includes(field))).toEqual([]);
      expect(registered?.tags).toEqual([{ key: "glidepath:version", value: "1.4.0" }]);
    });

    it("replaces the only container's image when no containerName is given", async () => {
      // Prepare
      const [app] = baseDefinition.containerDefinitions ?? [];
      const single: TaskDefinition = { ...baseDefinition, containerDefinitions: [{ ...app, dependsOn: [] }] };
      ecs
        .on(DescribeTaskDefinitionCommand, { taskDefinition: taskDefinitionArn(41) })
        .resolves({ taskDefinition: single, tags: [] });
      ecs.on(DescribeServicesCommand).resolves(servicesOutput([service("checkout-green")]));

      // Act
      await target({ containerName: undefined }).prepare(prepareInput);

      // Assess
      expect(ecs).toHaveReceivedCommandWith(RegisterTaskDefinitionCommand, {
        containerDefinitions: [
          {
            ...app,
            dependsOn: [],
            image: newImage,
            environment: [...(app?.environment ?? []), { name: "GLIDEPATH_VARIANT", value: "green" }],
          },
        ],
      });
    });

    it.each([
      [
        "several containers and no containerName",
        undefined,
        "has 2 containers (app, log-router): name the one that runs the artifact with containerName.",
      ],
      [
        "a containerName the base does not have",
        "web",
        "has no container named web (it has app, log-router)",
      ],
    ])("refuses %s", async (_label, containerName, message) => {
      // Prepare
      ecs.on(DescribeServicesCommand).resolves(servicesOutput([service("checkout-green")]));

      // Act
      const prepare = target({ containerName }).prepare(prepareInput);

      // Assess
      await expect(prepare).rejects.toThrow(DeployFailedError);
      await expect(prepare).rejects.toThrow(message);
      expect(ecs).toHaveReceivedCommandTimes(RegisterTaskDefinitionCommand, 0);
      expect(ecs).toHaveReceivedCommandTimes(UpdateServiceCommand, 0);
    });

    it("registers nothing when the idle service already runs the artifact (a redelivered prepare)", async () => {
      // Prepare
      const [app, logRouter] = baseDefinition.containerDefinitions ?? [];
      const prepared: TaskDefinition = {
        ...baseDefinition,
        taskDefinitionArn: taskDefinitionArn(42),
        revision: 42,
        containerDefinitions: [{ ...app, image: newImage }, logRouter ?? {}],
      };
      ecs
        .on(DescribeTaskDefinitionCommand, { taskDefinition: taskDefinitionArn(42) })
        .resolves({ taskDefinition: prepared });
      ecs.on(DescribeServicesCommand).resolves(
        servicesOutput([
          service("checkout-green", {
            taskDefinition: taskDefinitionArn(42),
            deployments: [deployment({ taskDefinition: taskDefinitionArn(42), rolloutState: "IN_PROGRESS" })],
          }),
        ]),
      );

      // Act
      const result = await target().prepare(prepareInput);

      // Assess
      expect(result).toEqual({ revision: taskDefinitionArn(42), desiredCount: 4 });
      expect(ecs).toHaveReceivedCommandWith(DescribeTaskDefinitionCommand, {
        taskDefinition: taskDefinitionArn(42),
      });
      expect(ecs).toHaveReceivedCommandTimes(RegisterTaskDefinitionCommand, 0);
      expect(ecs).toHaveReceivedCommandTimes(UpdateServiceCommand, 0);
    });

    it("only scales back up a retired service that still runs the artifact", async () => {
      // Prepare
      ecs
        .on(DescribeServicesCommand)
        .resolves(servicesOutput([service("checkout-green", { desiredCount: 0, runningCount: 0 })]));

      // Act
      const result = await target().prepare({ ...prepareInput, artifactUri: liveImage });

      // Assess
      expect(result).toEqual({ revision: taskDefinitionArn(41), desiredCount: 4 });
      expect(ecs).toHaveReceivedCommandTimes(RegisterTaskDefinitionCommand, 0);
      expect(ecs.commandCalls(UpdateServiceCommand).map((call) => call.args[0].input)).toStrictEqual([
        { cluster, service: "checkout-green", desiredCount: 4 },
      ]);
    });

    it("throws a ClientException from RegisterTaskDefinition at once", async () => {
      // Prepare
      ecs.on(DescribeServicesCommand).resolves(servicesOutput([service("checkout-green")]));
      ecs
        .on(RegisterTaskDefinitionCommand)
        .rejects(
          serviceError(
            ECSServiceException,
            "ClientException",
            400,
            "Too many revisions for family checkout.",
          ),
        );

      // Act
      const prepare = target().prepare(prepareInput);

      // Assess
      await expect(prepare).rejects.toThrow("Too many revisions for family checkout.");
      expect(ecs).toHaveReceivedCommandTimes(RegisterTaskDefinitionCommand, 1);
      expect(ecs).toHaveReceivedCommandTimes(UpdateServiceCommand, 0);
    });
  });

  describe("scale", () => {
    it("sets the colour's desired count", async () => {
      // Prepare
      ecs.on(UpdateServiceCommand).resolves({});

      // Act
      await target().scale("blue", 0);

      // Assess
      expect(ecs.commandCalls(UpdateServiceCommand).map((call) => call.args[0].input)).toStrictEqual([
        { cluster, service: "checkout-blue", desiredCount: 0 },
      ]);
    });
  });

  describe("status", () => {
    const failedRollout = "ECS deployment circuit breaker: tasks failed to start.";

    it.each<{
      case: string;
      service: Partial<Service>;
      targets: TargetHealthStateEnum[];
      expected: { stable: boolean; failed: boolean; reason?: string };
    }>([
      {
        case: "rollout COMPLETED and every target healthy",
        service: {},
        targets: ["healthy", "healthy", "healthy", "healthy"],
        expected: { stable: true, failed: false },
      },
      {
        case: "rollout IN_PROGRESS",
        service: {
          deployments: [
            deployment({
              rolloutState: "IN_PROGRESS",
              runningCount: 2,
              pendingCount: 2,
              rolloutStateReason: "ECS deployment ecs-svc/4718298371658291843 in progress.",
            }),
          ],
        },
        targets: ["healthy", "healthy", "initial", "initial"],
        expected: {
          stable: false,
          failed: false,
          reason:
            "rollout IN_PROGRESS: 2/4 tasks running, 2/4 targets healthy; latest event: (service checkout-green) has reached a steady state.",
        },
      },
      {
        case: "rollout COMPLETED but targets still unhealthy",
        service: {},
        targets: ["healthy", "healthy", "healthy", "unhealthy"],
        expected: {
          stable: false,
          failed: false,
          reason: expect.stringContaining("3/4 targets healthy, 1 unhealthy"),
        },
      },
      {
        case: "draining and unused targets, which do not count as healthy",
        service: {},
        targets: ["healthy", "healthy", "draining", "unused"],
        expected: { stable: false, failed: false, reason: expect.stringContaining("2/4 targets healthy") },
      },
      {
        case: "no rolloutState, one deployment with running == desired",
        service: { deployments: [deployment({ rolloutState: undefined, rolloutStateReason: undefined })] },
        targets: ["healthy", "healthy", "healthy", "healthy"],
        expected: { stable: true, failed: false },
      },
      {
        case: "no rolloutState, an old deployment still running",
        service: {
          deployments: [
            deployment({ rolloutState: undefined, rolloutStateReason: undefined }),
            deployment({
              id: "ecs-svc/1",
              status: "ACTIVE",
              taskDefinition: taskDefinitionArn(40),
              rolloutState: undefined,
            }),
          ],
        },
        targets: ["healthy", "healthy", "healthy", "healthy"],
        expected: { stable: false, failed: false, reason: expect.stringContaining("4/4 tasks running") },
      },
      {
        case: "rollout FAILED",
        service: {
          deployments: [
            deployment({
              rolloutState: "FAILED",
              runningCount: 0,
              failedTasks: 6,
              rolloutStateReason: failedRollout,
            }),
          ],
        },
        targets: [],
        expected: { stable: false, failed: true, reason: failedRollout },
      },
      {
        case: "the circuit breaker rolling back a failed deployment",
        service: {
          deployments: [
            deployment({
              id: "ecs-svc/2",
              taskDefinition: taskDefinitionArn(40),
              rolloutState: "IN_PROGRESS",
              rolloutStateReason: "ECS deployment detected failure. Rolling back to previous deployment.",
            }),
            deployment({
              status: "ACTIVE",
              rolloutState: "FAILED",
              runningCount: 0,
              failedTasks: 4,
              rolloutStateReason: failedRollout,
            }),
          ],
        },
        targets: ["healthy", "healthy", "healthy", "healthy"],
        expected: { stable: false, failed: true, reason: failedRollout },
      },
      {
        case: "a DRAINING service",
        service: { status: "DRAINING" },
        targets: [],
        expected: { stable: false, failed: true, reason: "service checkout-green is DRAINING" },
      },
    ])("$case", async ({ service: overrides, targets: states, expected }) => {
      // Prepare
      ecs.on(DescribeServicesCommand).resolves(servicesOutput([service("checkout-green", overrides)]));
      elb.on(DescribeTargetHealthCommand).resolves(targets(...states));

      // Act
      const status = await target().status("green");

      // Assess
      expect(status).toMatchObject({ colour: "green", ...expected });
      if (expected.reason === undefined) expect(status.reason).toBeUndefined();
      expect(elb).toHaveReceivedCommandExactlyOnceWith(DescribeTargetHealthCommand, {
        TargetGroupArn: greenTg,
      });
    });

    it("reports the PRIMARY deployment's revision and counts", async () => {
      // Prepare
      ecs.on(DescribeServicesCommand).resolves(
        servicesOutput([
          service("checkout-blue", {
            desiredCount: 6,
            runningCount: 7,
            taskDefinition: taskDefinitionArn(42),
            deployments: [
              deployment({
                taskDefinition: taskDefinitionArn(42),
                desiredCount: 6,
                runningCount: 3,
                rolloutState: "IN_PROGRESS",
              }),
              deployment({ id: "ecs-svc/1", status: "ACTIVE", desiredCount: 4, runningCount: 4 }),
            ],
          }),
        ]),
      );
      elb
        .on(DescribeTargetHealthCommand)
        .resolves(targets("healthy", "healthy", "healthy", "healthy", "healthy", "unhealthy", "initial"));

      // Act
      const status = await target().status("blue");

      // Assess
      expect(status).toEqual({
        colour: "blue",
        revision: taskDefinitionArn(42),
        desiredCount: 6,
        runningCount: 3,
        healthyTargets: 5,
        unhealthyTargets: 1,
        stable: false,
        failed: false,
        reason:
          "rollout IN_PROGRESS: 3/6 tasks running, 5/6 targets healthy, 1 unhealthy; latest event: (service checkout-blue) has reached a steady state.",
      });
      expect(ecs).toHaveReceivedCommandWith(DescribeServicesCommand, {
        cluster,
        services: ["checkout-blue"],
      });
    });

    it("throws DeployFailedError naming the service and cluster when the service is missing", async () => {
      // Prepare
      ecs.on(DescribeServicesCommand).resolves({
        services: [],
        failures: [
          { arn: `arn:aws:ecs:eu-west-1:${account}:service/${cluster}/checkout-green`, reason: "MISSING" },
        ],
      });

      // Act
      const error = await target()
        .status("green")
        .catch((caught: unknown) => caught);

      // Assess
      expect(error).toBeInstanceOf(DeployFailedError);
      expect(error).toMatchObject({
        name: ErrorNames.DeployFailed,
        cluster,
        service: "checkout-green",
        message:
          "Deploy failed on ECS service checkout-green in cluster prod: it does not exist. Create the green service, or fix target.cluster and target.services.green in the Glidepath config.",
      });
      expect(elb).not.toHaveReceivedAnyCommand();
    });

    it("throws a ClusterNotFoundException at once", async () => {
      // Prepare
      ecs
        .on(DescribeServicesCommand)
        .rejects(serviceError(ECSServiceException, "ClusterNotFoundException", 400, "Cluster not found."));

      // Act
      const status = target().status("green");

      // Assess
      await expect(status).rejects.toMatchObject({ name: "ClusterNotFoundException" });
      expect(ecs).toHaveReceivedCommandTimes(DescribeServicesCommand, 1);
    });
  });
});
