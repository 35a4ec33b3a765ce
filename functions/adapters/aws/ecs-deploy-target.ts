import {
  type ContainerDefinition,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  type ECSClient,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  type Service,
  type Tag,
  type TaskDefinition,
  UpdateServiceCommand,
} from "@aws-sdk/client-ecs";
import {
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { VariantEnvironmentVariable } from "../../domain/config/check-schema.ts";
import { DeployFailedError } from "../../domain/errors.ts";
import type {
  DeployTarget,
  PrepareInput,
  PrepareResult,
  TargetStatus,
} from "../../domain/ports/deploy-target.ts";
import type { Colour } from "../../domain/ports/traffic-router.ts";

export interface EcsDeployTargetProps {
  /** Created once at module scope with `awsClientConfig`. */
  readonly client: ECSClient;
  /** Reads each colour's target health. */
  readonly elb: ElasticLoadBalancingV2Client;
  readonly cluster: string;
  /** ECS service name (or ARN) per colour. */
  readonly services: Readonly<Record<Colour, string>>;
  /** Target group ARN per colour, the one its service registers its tasks in. */
  readonly targetGroups: Readonly<Record<Colour, string>>;
  /**
   * The container whose image is the artifact.
   * @default the task definition's only container
   */
  readonly containerName?: string;
}

/** Tag on every task definition Glidepath registers, naming the version it runs. */
export const versionTagKey = "glidepath:version";

/**
 * Runs a version on a colour's ECS service: a new task definition revision copied from the live colour's with
 * the artifact as the image of one container, then UpdateService. ECS rolls it out; `status` reports progress
 * from the service's PRIMARY deployment and from the colour's target group.
 */
export class EcsDeployTarget implements DeployTarget {
  readonly #client: ECSClient;
  readonly #elb: ElasticLoadBalancingV2Client;
  readonly #cluster: string;
  readonly #services: Readonly<Record<Colour, string>>;
  readonly #targetGroups: Readonly<Record<Colour, string>>;
  readonly #containerName: string | undefined;

  constructor(props: EcsDeployTargetProps) {
    this.#client = props.client;
    this.#elb = props.elb;
    this.#cluster = props.cluster;
    this.#services = props.services;
    this.#targetGroups = props.targetGroups;
    this.#containerName = props.containerName;
  }

  /**
   * A redelivered prepare finds the colour already running the artifact and registers nothing; it only puts
   * back the desired count, which differs when the colour was retired (scaled to 0) while running it.
   */
  async prepare(input: PrepareInput): Promise<PrepareResult> {
    const { colour, artifactUri, version, baseRevision, desiredCount } = input;
    const service = this.#services[colour];
    const base = await this.#client.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: baseRevision, include: ["TAGS"] }),
    );
    const baseDefinition = base.taskDefinition;
    if (baseDefinition === undefined) {
      throw new DeployFailedError(
        `ECS returned no task definition for ${baseRevision}.`,
        this.#where(service),
      );
    }
    const container = this.#artifactContainer(baseDefinition, service);

    const current = await this.#describeService(colour);
    const runningArn = current.taskDefinition;
    if (
      runningArn !== undefined &&
      (await this.#imageOf(runningArn, container, baseDefinition)) === artifactUri
    ) {
      if (current.desiredCount !== desiredCount) await this.scale(colour, desiredCount);
      return { revision: runningArn, desiredCount };
    }

    const registered = await this.#client.send(
      new RegisterTaskDefinitionCommand(
        registration(baseDefinition, base.tags, { name: container, colour }, artifactUri, version),
      ),
    );
    const revision = registered.taskDefinition?.taskDefinitionArn;
    if (revision === undefined) {
      throw new DeployFailedError(
        "RegisterTaskDefinition returned no task definition ARN.",
        this.#where(service),
      );
    }
    await this.#client.send(
      new UpdateServiceCommand({
        cluster: this.#cluster,
        service,
        taskDefinition: revision,
        desiredCount,
        forceNewDeployment: false,
      }),
    );
    return { revision, desiredCount };
  }

  async scale(colour: Colour, desiredCount: number): Promise<void> {
    await this.#client.send(
      new UpdateServiceCommand({ cluster: this.#cluster, service: this.#services[colour], desiredCount }),
    );
  }

  async status(colour: Colour): Promise<TargetStatus> {
    const service = await this.#describeService(colour);
    const targets = await this.#elb.send(
      new DescribeTargetHealthCommand({ TargetGroupArn: this.#targetGroups[colour] }),
    );
    const states = (targets.TargetHealthDescriptions ?? []).map((target) => target.TargetHealth?.State);
    const healthyTargets = states.filter((state) => state === "healthy").length;
    const unhealthyTargets = states.filter(
      (state) => state === "unhealthy" || state === "unavailable",
    ).length;

    const deployments = service.deployments ?? [];
    const primary = deployments.find((deployment) => deployment.status === "PRIMARY");
    const desiredCount = primary?.desiredCount ?? service.desiredCount ?? 0;
    const runningCount = primary?.runningCount ?? service.runningCount ?? 0;
    const revision = primary?.taskDefinition ?? service.taskDefinition;
    const rolloutState = primary?.rolloutState;
    // ECS's circuit breaker marks the failed deployment and makes the rollback the PRIMARY one.
    const failedDeployment = deployments.find((deployment) => deployment.rolloutState === "FAILED");
    const inactive = service.status !== "ACTIVE";

    const rolledOut =
      rolloutState === undefined
        ? runningCount === desiredCount && deployments.length <= 1
        : rolloutState === "COMPLETED";
    const failed = inactive || failedDeployment !== undefined;
    const stable = !failed && rolledOut && healthyTargets >= desiredCount;

    const latestEvent = service.events?.[0]?.message;
    let reason: string | undefined;
    if (inactive) {
      reason = `service ${service.serviceName ?? this.#services[colour]} is ${service.status ?? "not ACTIVE"}`;
    } else if (failedDeployment !== undefined) {
      reason = failedDeployment.rolloutStateReason ?? latestEvent ?? "the ECS deployment failed";
    } else if (!stable) {
      const progress =
        `${runningCount}/${desiredCount} tasks running, ${healthyTargets}/${desiredCount} targets healthy` +
        (unhealthyTargets > 0 ? `, ${unhealthyTargets} unhealthy` : "");
      const rollout = rolloutState === undefined ? "" : `rollout ${rolloutState}: `;
      reason = `${rollout}${progress}${latestEvent === undefined ? "" : `; latest event: ${latestEvent}`}`;
    }

    return {
      colour,
      ...(revision === undefined ? {} : { revision }),
      desiredCount,
      runningCount,
      healthyTargets,
      unhealthyTargets,
      stable,
      failed,
      ...(reason === undefined ? {} : { reason }),
    };
  }

  async #describeService(colour: Colour): Promise<Service> {
    const name = this.#services[colour];
    const output = await this.#client.send(
      new DescribeServicesCommand({ cluster: this.#cluster, services: [name] }),
    );
    const service = output.services?.[0];
    if (service === undefined) {
      const failure = output.failures?.[0];
      const why =
        failure?.reason === "MISSING"
          ? "it does not exist"
          : `ECS reports ${failure?.reason ?? "nothing"}${failure?.detail ? ` (${failure.detail})` : ""}`;
      throw new DeployFailedError(
        `${why}. Create the ${colour} service, or fix target.cluster and target.services.${colour} in the Glidepath config.`,
        this.#where(name),
      );
    }
    return service;
  }

  #where(service: string): { readonly cluster: string; readonly service: string } {
    return { cluster: this.#cluster, service };
  }

  /** The image the named container runs in a task definition; the base one is already at hand. */
  async #imageOf(
    taskDefinitionArn: string,
    container: string,
    base: TaskDefinition,
  ): Promise<string | undefined> {
    const definition =
      taskDefinitionArn === base.taskDefinitionArn
        ? base
        : (await this.#client.send(new DescribeTaskDefinitionCommand({ taskDefinition: taskDefinitionArn })))
            .taskDefinition;
    return definition?.containerDefinitions?.find((candidate) => candidate.name === container)?.image;
  }

  #artifactContainer(definition: TaskDefinition, service: string): string {
    const names = (definition.containerDefinitions ?? []).map((container) => container.name ?? "");
    const where = `task definition ${definition.taskDefinitionArn}`;
    if (this.#containerName !== undefined) {
      if (names.includes(this.#containerName)) return this.#containerName;
      throw new DeployFailedError(
        `${where} has no container named ${this.#containerName} (it has ${names.join(", ") || "none"}). ` +
          "Fix containerName, or the base revision.",
        this.#where(service),
      );
    }
    const [only, ...others] = names;
    if (only !== undefined && others.length === 0) return only;
    throw new DeployFailedError(
      names.length === 0
        ? `${where} has no containers.`
        : `${where} has ${names.length} containers (${names.join(", ")}): name the one that runs the artifact with containerName.`,
      this.#where(service),
    );
  }
}

/**
 * Every field RegisterTaskDefinition accepts, copied from the base. The mapped type makes a field added to the
 * SDK a compile error here instead of a field silently dropped from new revisions.
 */
function registration(
  base: TaskDefinition,
  baseTags: readonly Tag[] | undefined,
  container: { readonly name: string; readonly colour: Colour },
  artifactUri: string,
  version: string,
): RegisterTaskDefinitionCommandInput {
  // The application tags its business metrics with its arm (the `Variant` dimension) from this variable.
  const variant = { name: VariantEnvironmentVariable, value: container.colour };
  const containerDefinitions = (base.containerDefinitions ?? []).map(
    (definition): ContainerDefinition =>
      definition.name === container.name
        ? {
            ...definition,
            image: artifactUri,
            environment: [
              ...(definition.environment ?? []).filter((entry) => entry.name !== variant.name),
              variant,
            ],
          }
        : definition,
  );
  const tags: Tag[] = [
    ...(baseTags ?? []).filter((tag) => tag.key !== versionTagKey),
    { key: versionTagKey, value: version },
  ];
  const fields: {
    [K in keyof Required<RegisterTaskDefinitionCommandInput>]: RegisterTaskDefinitionCommandInput[K];
  } = {
    family: base.family,
    containerDefinitions,
    taskRoleArn: base.taskRoleArn,
    executionRoleArn: base.executionRoleArn,
    networkMode: base.networkMode,
    volumes: base.volumes,
    placementConstraints: base.placementConstraints,
    requiresCompatibilities: base.requiresCompatibilities,
    cpu: base.cpu,
    memory: base.memory,
    tags,
    pidMode: base.pidMode,
    ipcMode: base.ipcMode,
    proxyConfiguration: base.proxyConfiguration,
    inferenceAccelerators: base.inferenceAccelerators,
    ephemeralStorage: base.ephemeralStorage,
    runtimePlatform: base.runtimePlatform,
    enableFaultInjection: base.enableFaultInjection,
  };
  return definedOnly(fields);
}

/** Drops the fields the base does not set, so the request carries no `key: undefined` noise. */
function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}
