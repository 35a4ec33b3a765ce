import { LambdaClient } from "@aws-sdk/client-lambda";
import { LambdaAliasRouter } from "../functions/adapters/aws/lambda-alias-router.ts";
import { LambdaDeployTarget } from "../functions/adapters/aws/lambda-deploy-target.ts";
import { versionsOf } from "../functions/adapters/aws/lambda-versions.ts";
import { awsClientConfig } from "../functions/adapters/aws/retry.ts";
import { LocalHealthSignals } from "../functions/adapters/local/local-health-signals.ts";
import { LocalMetricStore } from "../functions/adapters/local/local-metric-store.ts";
import type { VersionBehaviour } from "../functions/adapters/local/process-deploy-target.ts";
import type { TargetConfig } from "../functions/domain/ports/index.ts";
import type { Colour } from "../functions/domain/ports/traffic-router.ts";
import type { Fleet, FleetProps } from "./fleet.ts";
import type { LocalFunction } from "./lambda-function.ts";
import { startLambdaService } from "./lambda-service.ts";
import { localZip, zipVersion } from "./local-bucket.ts";
import { behaviourOf, liveVersion } from "./scenarios.ts";
import { startTraffic } from "./traffic.ts";

type LocalLambdaTarget = Extract<TargetConfig, { type: "local-lambda" }>;

/**
 * Starts a wave's fleet for a function: the local Lambda service with the function's live version published as
 * version 1 behind its alias, invocations through the alias at `rps`, and the same LambdaDeployTarget and
 * LambdaAliasRouter as on AWS, with a LambdaClient whose endpoint is the local service. Health comes from the
 * service's records of each version's invocations (errors as 5xx, invocations as requests, durations as
 * latency), as CloudWatch's `AWS/Lambda` metrics per `ExecutedVersion`.
 */
export async function startFunctionFleet(
  props: FleetProps,
  target: LocalLambdaTarget,
  stops: (() => Promise<unknown>)[],
  stop: () => Promise<void>,
): Promise<Fleet> {
  const { environment, service, phase, place } = props;
  const behaviour = behaviourOf(props.scenario);
  const lambda = await startLambdaService({
    ...place,
    environmentOf: (zip) => {
      const version = zipVersion(zip);
      return sampleFunctionEnvironment(version, behaviour(version));
    },
  });
  stops.push(() => lambda.stop());
  const label = `${environment.name} ${place.region} (account ${place.account})`;
  const fn = await lambda.createFunction({
    name: target.functionName,
    handler: target.handler,
    zip: localZip(service.name, liveVersion),
    alias: target.alias,
  });
  phase(
    `${label}: function ${target.functionName} runs ${service.name} ${liveVersion} as version 1 behind alias ${target.alias} in the local Lambda service on ${lambda.url}`,
  );
  const notePids = () => {
    for (const pid of lambda.pids()) props.onProcess(pid);
  };
  notePids();
  const client = new LambdaClient({
    ...awsClientConfig,
    region: place.region,
    endpoint: lambda.url,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  stops.push(async () => client.destroy());
  const deployment = {
    client,
    functionName: target.functionName,
    alias: target.alias,
    deploymentId: props.deploymentId,
  };
  const deployTarget = new LambdaDeployTarget(deployment);
  const trafficRouter = new LambdaAliasRouter(deployment);
  const versionOf = (colour: Colour) => armVersions(fn, target.alias, props.deploymentId)[colour];
  const signals = new LocalHealthSignals({
    router: {
      metrics: (colour, window) => {
        const version = versionOf(colour);
        return version === undefined
          ? { requests: 0, errors: 0, latenciesMs: [] }
          : fn.invocations(version, window);
      },
    },
    metricStore: new LocalMetricStore(),
    timeScale: props.speed,
    onStateChange: props.onAlarmChange,
  });
  const alarmClock = setInterval(() => signals.tick(), 500);
  stops.push(async () => clearInterval(alarmClock));
  phase(`${label}: invoking ${target.functionName}:${target.alias} ${props.rps} times a second`);
  const traffic = startTraffic({
    url: `${lambda.url}/2015-03-31/functions/${target.functionName}/invocations?Qualifier=${target.alias}`,
    request: { method: "POST", body: JSON.stringify({ name: "glidepath" }) },
    rps: props.rps,
    maxSeconds: 3600,
  });
  stops.push(() => traffic.stop());
  return {
    name: environment.name,
    deploymentId: props.deploymentId,
    weightHistory: [],
    stop,
    notePids,
    totals: () => {
      const of = (colour: Colour) => {
        const version = versionOf(colour);
        const totals = version === undefined ? { invocations: 0, errors: 0 } : fn.totals(version);
        return { requests: totals.invocations, errors: totals.errors };
      };
      return { blue: of("blue"), green: of("green") };
    },
    ports: {
      trafficRouter: () => trafficRouter,
      deployTarget: () => deployTarget,
      healthSignals: () => signals,
    },
  };
}

/**
 * The deployment's two versions, as the AWS adapters find them (`versionsOf`): green the new version, blue the
 * one it replaces, or whatever the alias serves before there is a new one.
 */
function armVersions(
  fn: LocalFunction,
  alias: string,
  deploymentId: string,
): Record<Colour, string | undefined> {
  const versions = versionsOf(deploymentId, alias, fn.versions(), fn.tags());
  return versions === undefined
    ? { blue: fn.alias(alias).FunctionVersion, green: undefined }
    : { blue: versions.replaces, green: versions.version };
}

/** The sample function's configuration (examples/sample-fn/handler.ts) for a version that behaves so. */
function sampleFunctionEnvironment(version: string, behaviour: VersionBehaviour): Record<string, string> {
  return {
    SAMPLE_VERSION: version,
    SAMPLE_ERROR_RATE: String(behaviour.errorRate),
    SAMPLE_LATENCY_MS: String(behaviour.latencyMs),
    SAMPLE_INIT_FAILS: String(behaviour.unhealthy),
  };
}
