import { defineConfig, Strategy } from "../functions/domain/config/index.ts";

/**
 * The new version's 5xx rate above 2% in 2 of the last 3 minutes: one unlucky minute is not a trend. CloudWatch
 * keeps one alarm per name in an account and region, so each environment names its own.
 */
const errorRateAlarm = (environment: string, service = "sample") =>
  ({
    name: `${service}-${environment}-5xx-rate`,
    metric: "ErrorRate",
    statistic: "Average",
    periodSeconds: 60,
    evaluationPeriods: 3,
    datapointsToAlarm: 2,
    threshold: 0.02,
    comparison: "GreaterThanThreshold",
    treatMissingData: "notBreaching",
  }) as const;

/**
 * The sample function's p95 duration through its alias, put over the new version once it is published
 * (AWS/Lambda `Duration` per `ExecutedVersion` on AWS): a threshold in seconds, as TargetResponseTime's.
 */
const durationAlarm = (environment: string) =>
  ({
    name: `sample-fn-${environment}-p95`,
    metric: "TargetResponseTime",
    statistic: "p95",
    periodSeconds: 60,
    evaluationPeriods: 3,
    datapointsToAlarm: 2,
    threshold: 1,
    comparison: "GreaterThanThreshold",
    treatMissingData: "notBreaching",
  }) as const;

/**
 * Judge on 200 requests of the new version; roll back above 2% 5xx, pause above 1.5x the old version's p95
 * (latency pauses by default).
 */
const analysis = { minRequests: 200, maxErrorRate: 0.02 } as const;

/**
 * The sample service's business metric (examples/sample-service/server.ts emits it in CloudWatch's embedded
 * metric format): checkouts completed over checkouts started, per arm. A drop of 10% or more pauses.
 */
const conversion = {
  name: "conversion",
  namespace: "Glidepath/Sample",
  numerator: "checkout_completed",
  denominator: "checkout_started",
  dimensions: { Service: "sample" },
  maxDrop: 0.1,
  minSamples: 200,
  onFail: "pause",
} as const;

/** A pause waits five minutes for a human, then rolls back. */
const pause = { timeoutSeconds: 300, onTimeout: "rollback" } as const;

/** The checkout service's blue/green pair behind one ALB listener, in one account and region. */
const checkoutTarget = (account: string, region: string, ids: { lb: string; blue: string; green: string }) =>
  ({
    type: "ecs",
    cluster: "shop",
    services: { blue: "checkout-blue", green: "checkout-green" },
    listenerArn: `arn:aws:elasticloadbalancing:${region}:${account}:listener/app/shop/${ids.lb}/f2f7dc8efc522ab2`,
    targetGroups: {
      blue: `arn:aws:elasticloadbalancing:${region}:${account}:targetgroup/checkout-blue/${ids.blue}`,
      green: `arn:aws:elasticloadbalancing:${region}:${account}:targetgroup/checkout-green/${ids.green}`,
    },
  }) as const;

/**
 * The sample config: `sample` runs on this machine (`npm start`), its production in a second (local) account, as
 * do `sample-backend`, which it depends on (`npm start -- --release` releases both), and the function
 * `sample-fn` (`npm start -- --service sample-fn`);
 * `checkout` shows an ECS service behind an ALB as it would be deployed with `npx cdk deploy`: staging in the
 * control plane's own account, production in its own account in two regions, each with its own target.
 */
export default defineConfig({
  controlPlane: { account: "111122223333", region: "eu-west-1" },
  services: [
    {
      name: "sample",
      artifact: { type: "custom", source: "glidepath.examples" },
      target: { type: "local", entry: "examples/sample-service/server.ts" },
      concurrency: "queue",
      // A release of both (`npm start -- --release`) deploys sample-backend first in every environment.
      dependsOn: ["sample-backend"],
      environments: [
        {
          name: "dev",
          account: "000000000000",
          region: "eu-west-1",
          strategy: "ECSAllAtOnce",
          alarms: [errorRateAlarm("dev")],
          pause,
        },
        {
          name: "staging",
          account: "000000000000",
          region: "eu-west-1",
          strategy: Strategy.linear({ stepPercent: 25, intervalSeconds: 60 }),
          alarms: [errorRateAlarm("staging")],
          pause,
        },
        {
          name: "production",
          account: "000000000001",
          region: ["eu-west-1", "us-east-1"],
          waveBakeSeconds: 60,
          strategy: Strategy.canary({
            steps: [
              { setWeight: 10 },
              { analysis: { seconds: 120 } },
              { setWeight: 50 },
              { bake: { seconds: 120 } },
            ],
          }),
          // After 100%, two more minutes with the old version at full size: a failure there flips traffic back.
          watchSeconds: 120,
          alarms: [errorRateAlarm("production")],
          analysis,
          metrics: [conversion],
          pause,
          approval: { required: true, approvers: ["ULOCALOPS"], timeoutSeconds: 3600 },
        },
      ],
    },
    {
      // The service `sample` depends on, also on this machine: released together with it, it goes first, and
      // when sample fails in an environment it goes back to its previous version there.
      name: "sample-backend",
      artifact: { type: "custom", source: "glidepath.examples" },
      target: { type: "local", entry: "examples/sample-service/server.ts" },
      environments: [
        {
          name: "dev",
          account: "000000000000",
          region: "eu-west-1",
          strategy: "ECSAllAtOnce",
          alarms: [errorRateAlarm("dev", "sample-backend")],
          pause,
        },
        {
          name: "staging",
          account: "000000000000",
          region: "eu-west-1",
          strategy: "ECSAllAtOnce",
          alarms: [errorRateAlarm("staging", "sample-backend")],
          pause,
        },
        {
          name: "production",
          account: "000000000001",
          region: ["eu-west-1", "us-east-1"],
          waveBakeSeconds: 60,
          strategy: "ECSAllAtOnce",
          alarms: [errorRateAlarm("production", "sample-backend")],
          pause,
        },
      ],
    },
    {
      // A Lambda function, deployed in the local cloud as a `lambda` target is on AWS: each version published,
      // the alias's weights moved to it on CodeDeploy's Lambda schedules, rolled back on its own errors.
      name: "sample-fn",
      artifact: { type: "custom", source: "glidepath.examples" },
      target: {
        type: "local-lambda",
        functionName: "sample-fn",
        alias: "live",
        handler: "examples/sample-fn/handler.ts",
      },
      environments: [
        {
          name: "dev",
          account: "000000000000",
          region: "eu-west-1",
          strategy: "LambdaCanary10Percent5Minutes",
          alarms: [durationAlarm("dev")],
          analysis,
          pause,
        },
        {
          name: "production",
          account: "000000000001",
          region: "eu-west-1",
          strategy: "LambdaLinear10PercentEvery1Minute",
          alarms: [durationAlarm("production")],
          analysis: { ...analysis, minRequests: 100 },
          pause,
        },
      ],
    },
    {
      name: "checkout",
      artifact: { type: "ecr", repository: "shop/checkout", tagPattern: "^v\\d+\\.\\d+\\.\\d+$" },
      concurrency: "supersede",
      environments: [
        {
          name: "staging",
          account: "111122223333",
          region: "eu-west-1",
          target: checkoutTarget("111122223333", "eu-west-1", {
            lb: "50dc6c495c0c9188",
            blue: "73e2d6bc24d8a067",
            green: "2453ed029918f21f",
          }),
          strategy: "ECSLinear10PercentEvery1Minutes",
          alarms: [{ name: "checkout-staging-5xx" }],
        },
        {
          name: "production",
          account: "444455556666",
          region: ["eu-west-1", "eu-central-1"],
          targets: {
            "eu-west-1": checkoutTarget("444455556666", "eu-west-1", {
              lb: "8e4b1f2a9c3d5e60",
              blue: "1a2b3c4d5e6f7081",
              green: "92a3b4c5d6e7f809",
            }),
            "eu-central-1": checkoutTarget("444455556666", "eu-central-1", {
              lb: "3f5a7c9e1b2d4f60",
              blue: "0f1e2d3c4b5a6978",
              green: "8796a5b4c3d2e1f0",
            }),
          },
          strategy: "ECSCanary10Percent5Minutes",
          alarms: [{ name: "checkout-production-5xx" }, { name: "checkout-production-p99-latency" }],
          approval: { required: true, approvers: ["U024BE7LH"] },
          freezeWindows: [{ name: "year-end", start: "2026-12-23T00:00:00Z", end: "2027-01-02T00:00:00Z" }],
        },
      ],
    },
    {
      // A feature flag released on its own: the checkout code that reads it already runs in production.
      name: "checkout-new-flow",
      artifact: { type: "custom", source: "ci.flags" },
      environments: [
        {
          name: "production",
          account: "444455556666",
          region: "eu-west-1",
          target: {
            type: "appconfig",
            application: "shop1ab",
            environment: "prod7cd",
            configurationProfile: "flags9e",
            deploymentStrategy: "now42zz",
          },
          strategy: {
            type: "feature-flag",
            flag: "new-checkout",
            metrics: { namespace: "Shop/Checkout", dimensions: { Service: "checkout" } },
            steps: [
              { setWeight: 5 },
              { analysis: { seconds: 600 } },
              { setWeight: 25 },
              { analysis: { seconds: 600 } },
              { approval: {} },
              { setWeight: 100 },
            ],
          },
          alarms: [{ name: "checkout-production-5xx" }],
          analysis: { minRequests: 500, maxErrorRate: 0.01 },
          metrics: [{ ...conversion, namespace: "Shop/Checkout", dimensions: { Service: "checkout" } }],
        },
      ],
    },
  ],
  notifications: {
    slack: {
      channel: "C0123456789",
      botTokenSecretArn: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:glidepath/slack-bot-AbCdEf",
      signingSecretArn: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:glidepath/slack-signing-AbCdEf",
    },
  },
});
