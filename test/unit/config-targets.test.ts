import { describe, expect, it } from "vitest";
import { type GlidepathConfigInput, parseConfig } from "../../functions/domain/config/index.ts";
import { configWaves } from "../../functions/domain/config/waves.ts";
import { errorRateAlarm } from "../helpers/config-fixtures.ts";
import { problemsOf } from "../helpers/config-problems.ts";

/** An ECS target whose ARNs are all in one account and region. */
function ecs(account: string, region: string, id = "a1") {
  const elb = `arn:aws:elasticloadbalancing:${region}:${account}`;
  return {
    type: "ecs",
    cluster: "shop",
    services: { blue: "web-blue", green: "web-green" },
    listenerArn: `${elb}:listener/app/shop/${id}/f2f7dc8efc522ab2`,
    targetGroups: { blue: `${elb}:targetgroup/web-blue/${id}`, green: `${elb}:targetgroup/web-green/${id}` },
  } as const;
}

const staging = { name: "staging", account: "111122223333", region: "eu-west-1", strategy: "ECSAllAtOnce" };
const production = {
  name: "production",
  account: "444455556666",
  region: ["eu-west-1", "eu-central-1"],
  strategy: "ECSAllAtOnce",
};

function configOf(
  environments: readonly Record<string, unknown>[],
  service: Record<string, unknown> = {},
): GlidepathConfigInput {
  return {
    controlPlane: { account: "111122223333", region: "eu-west-1" },
    services: [{ name: "web", artifact: { type: "custom", source: "ci.test" }, environments, ...service }],
  } as GlidepathConfigInput;
}

const productionTargets = {
  "eu-west-1": ecs("444455556666", "eu-west-1", "p1"),
  "eu-central-1": ecs("444455556666", "eu-central-1", "p2"),
};

describe("targets per environment and region", () => {
  it("resolves each wave to its region's target, else its environment's, else the service's", () => {
    // Prepare
    const config = parseConfig(
      configOf(
        [
          { ...staging, name: "dev" },
          { ...staging, target: ecs("111122223333", "eu-west-1", "s1") },
          { ...production, targets: productionTargets },
        ],
        { target: ecs("111122223333", "eu-west-1", "d1") },
      ),
    );

    // Act
    const waves = configWaves(config).map((wave) => [
      wave.environment,
      wave.account,
      wave.region,
      wave.target.type === "ecs" ? wave.target.listenerArn : "",
    ]);

    // Assess
    expect(waves).toEqual([
      ["dev", "111122223333", "eu-west-1", ecs("111122223333", "eu-west-1", "d1").listenerArn],
      ["staging", "111122223333", "eu-west-1", ecs("111122223333", "eu-west-1", "s1").listenerArn],
      ["production", "444455556666", "eu-west-1", productionTargets["eu-west-1"].listenerArn],
      ["production", "444455556666", "eu-central-1", productionTargets["eu-central-1"].listenerArn],
    ]);
  });

  it.each<[string, GlidepathConfigInput, { path: string; message: RegExp }[]]>([
    [
      "a wave with no target",
      configOf([staging]),
      [
        {
          path: "services[0].environments[0].target",
          message: /^staging eu-west-1 has no target: set target, targets.eu-west-1 or the service's target$/,
        },
      ],
    ],
    [
      "a wave with two targets",
      configOf([
        {
          ...production,
          region: "eu-west-1",
          target: ecs("444455556666", "eu-west-1"),
          targets: { "eu-west-1": productionTargets["eu-west-1"] },
        },
      ]),
      [
        {
          path: "services[0].environments[0].targets.eu-west-1",
          message: /^eu-west-1 has a target here and at environments.0.target: give each region one target$/,
        },
      ],
    ],
    [
      "a targets key that is not one of the environment's regions",
      configOf([
        { ...production, targets: { ...productionTargets, "us-east-1": ecs("444455556666", "us-east-1") } },
      ]),
      [
        {
          path: "services[0].environments[0].targets.us-east-1",
          message: /^us-east-1 is not one of this environment's regions \(eu-west-1, eu-central-1\)$/,
        },
      ],
    ],
    [
      "an ARN in another account than its environment's",
      configOf([
        {
          ...staging,
          target: {
            ...ecs("111122223333", "eu-west-1"),
            listenerArn: ecs("444455556666", "eu-west-1").listenerArn,
          },
        },
      ]),
      [
        {
          path: "services[0].environments[0].target.listenerArn",
          message:
            /^is in account 444455556666, region eu-west-1, but staging deploys eu-west-1 in account 111122223333$/,
        },
      ],
    ],
    [
      "an ARN in another region than its wave's",
      configOf([
        {
          ...production,
          targets: { ...productionTargets, "eu-central-1": ecs("444455556666", "eu-west-1", "p3") },
        },
      ]),
      ["listenerArn", "targetGroups.blue", "targetGroups.green"].map((field) => ({
        path: `services[0].environments[0].targets.eu-central-1.${field}`,
        message:
          /^is in account 444455556666, region eu-west-1, but production deploys eu-central-1 in account 444455556666$/,
      })),
    ],
    [
      "the same listener and target groups in two environments",
      configOf(
        [
          { ...staging, name: "dev" },
          { ...staging, name: "staging" },
        ],
        { target: ecs("111122223333", "eu-west-1") },
      ),
      ["listenerArn", "targetGroups.blue", "targetGroups.green"].map((field) => ({
        path: `services[0].target.${field}`,
        message:
          /^web\/staging uses the same (listener|target group) as web\/dev \(services.0.target.\S+\): give each environment its own$/,
      })),
    ],
    [
      "an alarm definition of the same name twice in one account and region",
      configOf([
        {
          ...staging,
          name: "dev",
          target: ecs("111122223333", "eu-west-1", "d1"),
          alarms: [alarm("web-5xx")],
        },
        { ...staging, target: ecs("111122223333", "eu-west-1", "s1"), alarms: [alarm("web-5xx")] },
      ]),
      [
        {
          path: "services[0].environments[1].alarms[0].name",
          message:
            /^web\/staging defines the alarm web-5xx, which web\/dev defines in the same account 111122223333 and region eu-west-1; CloudWatch keeps one alarm per name there: rename one$/,
        },
      ],
    ],
    [
      "an ECR repository's account without its region",
      configOf([{ ...staging, target: ecs("111122223333", "eu-west-1") }], {
        artifact: { type: "ecr", repository: "shop/web", account: "777788889999" },
      }),
      [
        {
          path: "services[0].artifact",
          message: /^give the repository's account and region together, or neither$/,
        },
      ],
    ],
  ])("rejects %s with its path", (_, input, expected) => {
    // Act
    const problems = problemsOf(input);

    // Assess
    expect(problems).toEqual(
      expected.map(({ path, message }) => ({ path, message: expect.stringMatching(message) })),
    );
  });

  it("accepts one alarm definition name in two regions of an environment", () => {
    // Act
    const config = parseConfig(
      configOf([{ ...production, targets: productionTargets, alarms: [alarm("web-5xx")] }]),
    );

    // Assess
    expect(config.services[0]?.environments[0]?.alarms.map((each) => each.name)).toEqual(["web-5xx"]);
  });

  it("asks for controlPlane when the AWS targets span several accounts or regions", () => {
    // Prepare
    const { controlPlane: _, ...input } = configOf([
      { ...staging, target: ecs("111122223333", "eu-west-1") },
      { ...production, targets: productionTargets },
    ]) as GlidepathConfigInput & { controlPlane: unknown };

    // Act
    const problems = problemsOf(input);

    // Assess
    expect(problems).toEqual([
      {
        path: "controlPlane",
        message:
          "the AWS targets are in 111122223333/eu-west-1, 444455556666/eu-central-1, 444455556666/eu-west-1: set controlPlane { account, region } to say where Glidepath itself runs",
      },
    ]);
  });

  it("needs no controlPlane when every AWS target is in one account and region", () => {
    // Prepare
    const { controlPlane: _, ...input } = configOf([
      { ...staging, target: ecs("111122223333", "eu-west-1") },
    ]) as GlidepathConfigInput & {
      controlPlane: unknown;
    };

    // Act
    const config = parseConfig(input);

    // Assess
    expect(config.controlPlane).toBeUndefined();
  });
});

const alarm = errorRateAlarm;
