import { defineConfig, Strategy } from "../functions/domain/config/index.ts";

/** The new version's 5xx rate above 2% in 2 of the last 3 minutes: one unlucky minute is not a trend. */
const errorRateAlarm = {
  name: "sample-new-version-5xx-rate",
  metric: "ErrorRate",
  statistic: "Average",
  periodSeconds: 60,
  evaluationPeriods: 3,
  datapointsToAlarm: 2,
  threshold: 0.02,
  comparison: "GreaterThanThreshold",
  treatMissingData: "notBreaching",
} as const;

/** Judge on 200 requests of the new version, and roll back above 2% 5xx or 1.5x the old version's p95. */
const analysis = { minRequests: 200, maxErrorRate: 0.02 } as const;

/**
 * The sample config: `sample` runs on this machine (`npm start`), `checkout` shows an ECS service behind an
 * ALB as it would be deployed with `npx cdk deploy`.
 */
export default defineConfig({
  services: [
    {
      name: "sample",
      artifact: { type: "custom", source: "glidepath.examples" },
      target: { type: "local", entry: "examples/sample-service/server.ts" },
      concurrency: "queue",
      environments: [
        {
          name: "dev",
          account: "000000000000",
          region: "eu-west-1",
          strategy: "ECSAllAtOnce",
          alarms: [errorRateAlarm],
        },
        {
          name: "staging",
          account: "000000000000",
          region: "eu-west-1",
          strategy: Strategy.linear({ stepPercent: 25, intervalSeconds: 60 }),
          alarms: [errorRateAlarm],
        },
        {
          name: "production",
          account: "000000000000",
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
          alarms: [errorRateAlarm],
          analysis,
          approval: { required: true, approvers: ["ULOCALOPS"], timeoutSeconds: 3600 },
        },
      ],
    },
    {
      name: "checkout",
      artifact: { type: "ecr", repository: "shop/checkout", tagPattern: "^v\\d+\\.\\d+\\.\\d+$" },
      target: {
        type: "ecs",
        cluster: "shop",
        services: { blue: "checkout-blue", green: "checkout-green" },
        listenerArn:
          "arn:aws:elasticloadbalancing:eu-west-1:111122223333:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2",
        targetGroups: {
          blue: "arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/checkout-blue/73e2d6bc24d8a067",
          green:
            "arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/checkout-green/2453ed029918f21f",
        },
      },
      concurrency: "supersede",
      environments: [
        {
          name: "staging",
          account: "111122223333",
          region: "eu-west-1",
          strategy: "ECSLinear10PercentEvery1Minutes",
          alarms: [{ name: "checkout-staging-5xx" }],
        },
        {
          name: "production",
          account: "444455556666",
          region: ["eu-west-1", "eu-central-1"],
          strategy: "ECSCanary10Percent5Minutes",
          alarms: [{ name: "checkout-production-5xx" }, { name: "checkout-production-p99-latency" }],
          approval: { required: true, approvers: ["U024BE7LH"] },
          freezeWindows: [{ name: "year-end", start: "2026-12-23T00:00:00Z", end: "2027-01-02T00:00:00Z" }],
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
