import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  type DescribeAlarmsCommandInput,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
  type MetricDataResult,
} from "@aws-sdk/client-cloudwatch";
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from "@aws-sdk/client-ecs";
import {
  CreateRuleCommand,
  DeleteRuleCommand,
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ElasticLoadBalancingV2ServiceException,
  ModifyListenerCommand,
  type Rule,
  RuleNotFoundException,
  type Tag,
  type TargetGroupStickinessConfig,
  type TargetGroupTuple,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { type AwsClientStub, mockClient } from "aws-sdk-client-mock";
import type { Colour } from "../../functions/domain/ports/traffic-router.ts";
import { serviceError } from "./sdk-mock.ts";

export const account = "111122223333";
export const listenerArn = `arn:aws:elasticloadbalancing:eu-west-1:${account}:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2`;
export const targetGroups: Record<Colour, string> = {
  blue: `arn:aws:elasticloadbalancing:eu-west-1:${account}:targetgroup/checkout-blue/73e2d6bc24d8a067`,
  green: `arn:aws:elasticloadbalancing:eu-west-1:${account}:targetgroup/checkout-green/2453ed029918f21f`,
};
export const ecsServices: Record<Colour, string> = { blue: "checkout-blue", green: "checkout-green" };
export const liveImage = `${account}.dkr.ecr.eu-west-1.amazonaws.com/shop/checkout@sha256:aaaa`;

interface FakeService {
  taskDefinition: string;
  desiredCount: number;
}

export interface FakeAwsOptions {
  /** The new version's tasks never become healthy: its rollout fails. */
  readonly newVersionFails?: boolean;
  /** Every ModifyListener fails while traffic is on the new version and the shift goes back (rollback broken). */
  readonly breakShiftBack?: boolean;
  /** The named alarm goes into ALARM once the new version has at least this weight. */
  readonly alarmAtWeight?: number;
  /** Requests each arm served per evaluation window, split by weight. @default 1000 */
  readonly requestsPerWindow?: number;
  /** The new version's p95 and p99 over the old version's. @default 1 */
  readonly newLatencyFactor?: number;
  /**
   * Share of each arm's requests that convert, for the business metric queries (`m<i>_<colour>_numerator` over
   * `…_denominator`, the requests). @default 0.5 on both
   */
  readonly conversionRates?: Readonly<Record<Colour, number>>;
  /** Targets of the new version that turn unhealthy once it takes traffic. @default 0 */
  readonly unhealthyAfterShift?: number;
}

/**
 * A small, stateful imitation of the parts of ELBv2, ECS and CloudWatch a deployment touches, behind
 * aws-sdk-client-mock: listener weights move when ModifyListener says so, services run what UpdateService
 * asked, target health follows, alarms fire from the traffic on the new version. Tests assert on the exact
 * commands the adapters sent.
 */
export class FakeAws {
  readonly elb: AwsClientStub<ElasticLoadBalancingV2Client>;
  readonly ecs: AwsClientStub<ECSClient>;
  readonly cloudwatch: AwsClientStub<CloudWatchClient>;
  readonly weights: Record<Colour, number> = { blue: 100, green: 0 };
  readonly services: Record<Colour, FakeService> = {
    blue: { taskDefinition: `arn:aws:ecs:eu-west-1:${account}:task-definition/checkout:41`, desiredCount: 4 },
    green: {
      taskDefinition: `arn:aws:ecs:eu-west-1:${account}:task-definition/checkout:40`,
      desiredCount: 0,
    },
  };
  readonly images = new Map<string, string>([
    [`arn:aws:ecs:eu-west-1:${account}:task-definition/checkout:41`, liveImage],
    [`arn:aws:ecs:eu-west-1:${account}:task-definition/checkout:40`, liveImage],
  ]);
  /** Every weight the listener was set to, in order. */
  readonly weightHistory: Record<Colour, number>[] = [];
  /** The colours the listener's forward names (an experiment's names one at either end), and its stickiness. */
  forwardsTo: Colour[] = ["blue", "green"];
  stickiness: TargetGroupStickinessConfig = { Enabled: false };
  /** The listener's rules besides its default one, with their tags. */
  readonly rules: { rule: Rule; tags: Tag[] }[] = [];
  /** Set by a test to put every alarm into ALARM from the next DescribeAlarms on, whatever the weight. */
  alarmFiring = false;
  private ruleCounter = 0;
  private revision = 41;
  private maxNewWeight = 0;

  readonly options: FakeAwsOptions;

  constructor(options: FakeAwsOptions = {}) {
    this.options = options;
    this.elb = mockClient(ElasticLoadBalancingV2Client);
    this.ecs = mockClient(ECSClient);
    this.cloudwatch = mockClient(CloudWatchClient);
    this.wireElb();
    this.wireEcs();
    this.wireCloudWatch();
  }

  restore(): void {
    this.elb.restore();
    this.ecs.restore();
    this.cloudwatch.restore();
  }

  /** Traffic as a feature flag splits it: the treatment (green) gets `percent` of the requests. */
  setNewWeight(percent: number): void {
    Object.assign(this.weights, { blue: 100 - percent, green: percent });
    this.weightHistory.push({ ...this.weights });
    this.maxNewWeight = Math.max(this.maxNewWeight, percent);
  }

  imageOf(colour: Colour): string | undefined {
    return this.images.get(this.services[colour].taskDefinition);
  }

  private healthy(colour: Colour): boolean {
    return !(this.options.newVersionFails && this.imageOf(colour) !== liveImage);
  }

  private wireElb(): void {
    this.elb.on(DescribeListenersCommand).callsFake(() => ({
      Listeners: [
        {
          ListenerArn: listenerArn,
          DefaultActions: [
            {
              Type: "forward",
              ForwardConfig: {
                TargetGroups: this.forwardsTo.map((colour) => ({
                  TargetGroupArn: targetGroups[colour],
                  Weight: this.weights[colour],
                })),
                TargetGroupStickinessConfig: this.stickiness,
              },
            },
          ],
        },
      ],
    }));
    this.elb.on(ModifyListenerCommand).callsFake((input) => {
      const forward = input.DefaultActions?.[0]?.ForwardConfig;
      const groups = forward?.TargetGroups ?? [];
      const next = { blue: 0, green: 0 };
      for (const group of groups) {
        const colour = group.TargetGroupArn === targetGroups.blue ? "blue" : "green";
        next[colour] = group.Weight ?? 0;
      }
      const newColour =
        this.services.green.desiredCount > 0 && this.imageOf("green") !== liveImage ? "green" : "blue";
      if (this.options.breakShiftBack && next[newColour] < this.weights[newColour]) {
        throw serviceError(
          ElasticLoadBalancingV2ServiceException,
          "OperationNotPermitted",
          400,
          "The listener is locked by a change set",
        );
      }
      Object.assign(this.weights, next);
      this.forwardsTo = groups.map((group: TargetGroupTuple) =>
        group.TargetGroupArn === targetGroups.blue ? "blue" : "green",
      );
      this.stickiness = forward?.TargetGroupStickinessConfig ?? { Enabled: false };
      this.weightHistory.push({ ...next });
      this.maxNewWeight = Math.max(this.maxNewWeight, next.green);
      return {};
    });
    this.wireRules();
    this.elb.on(DescribeTargetHealthCommand).callsFake((input) => {
      const colour: Colour = input.TargetGroupArn === targetGroups.blue ? "blue" : "green";
      const sick = colour === "green" && this.weights.green > 0 ? (this.options.unhealthyAfterShift ?? 0) : 0;
      return {
        TargetHealthDescriptions: Array.from({ length: this.services[colour].desiredCount }, (_, index) => ({
          Target: { Id: `10.0.${colour === "blue" ? 1 : 2}.${index + 10}`, Port: 8080 },
          TargetHealth: { State: this.healthy(colour) && index >= sick ? "healthy" : "unhealthy" },
        })),
      };
    });
  }

  /** Listener rules as ELB keeps them: DescribeRules lists the default rule too, priorities are strings. */
  private wireRules(): void {
    this.elb.on(DescribeRulesCommand).callsFake((input) => {
      if (input.ListenerArn !== listenerArn) throw new Error(`no listener ${input.ListenerArn}`);
      return {
        Rules: [
          ...this.rules.map((entry) => entry.rule),
          {
            RuleArn: `${listenerArn.replace(":listener/", ":listener-rule/")}/default`,
            Priority: "default",
            IsDefault: true,
          },
        ],
      };
    });
    this.elb.on(DescribeTagsCommand).callsFake((input) => ({
      TagDescriptions: (input.ResourceArns ?? []).map((arn: string) => ({
        ResourceArn: arn,
        Tags: this.rules.find((entry) => entry.rule.RuleArn === arn)?.tags ?? [],
      })),
    }));
    this.elb.on(CreateRuleCommand).callsFake((input) => {
      if (this.rules.some((entry) => entry.rule.Priority === String(input.Priority))) {
        throw serviceError(ElasticLoadBalancingV2ServiceException, "PriorityInUse", 400, "Priority in use");
      }
      this.ruleCounter += 1;
      const rule: Rule = {
        RuleArn: `${listenerArn.replace(":listener/", ":listener-rule/")}/rule${this.ruleCounter}`,
        Priority: String(input.Priority),
        Conditions: input.Conditions ?? [],
        Actions: input.Actions ?? [],
        IsDefault: false,
      };
      this.rules.push({ rule, tags: input.Tags ?? [] });
      return { Rules: [rule] };
    });
    this.elb.on(DeleteRuleCommand).callsFake((input) => {
      const index = this.rules.findIndex((entry) => entry.rule.RuleArn === input.RuleArn);
      if (index < 0)
        throw new RuleNotFoundException({ message: "One or more rules not found", $metadata: {} });
      this.rules.splice(index, 1);
      return {};
    });
  }

  private wireEcs(): void {
    this.ecs.on(DescribeServicesCommand).callsFake((input) => {
      const name = input.services?.[0];
      const colour = (Object.keys(ecsServices) as Colour[]).find(
        (candidate) => ecsServices[candidate] === name,
      );
      if (colour === undefined) return { services: [], failures: [{ arn: name, reason: "MISSING" }] };
      const service = this.services[colour];
      const healthy = this.healthy(colour);
      return {
        services: [
          {
            serviceName: name,
            status: "ACTIVE",
            desiredCount: service.desiredCount,
            runningCount: healthy ? service.desiredCount : 0,
            taskDefinition: service.taskDefinition,
            deployments: [
              {
                status: "PRIMARY",
                taskDefinition: service.taskDefinition,
                desiredCount: service.desiredCount,
                runningCount: healthy ? service.desiredCount : 0,
                rolloutState: healthy ? "COMPLETED" : "IN_PROGRESS",
              },
            ],
            events: healthy ? [] : [{ message: `(service ${name}) has tasks failing their health checks.` }],
          },
        ],
      };
    });
    this.ecs.on(DescribeTaskDefinitionCommand).callsFake((input) => ({
      taskDefinition: {
        taskDefinitionArn: input.taskDefinition,
        family: "checkout",
        containerDefinitions: [
          { name: "app", image: this.images.get(input.taskDefinition ?? "") ?? liveImage, essential: true },
        ],
        networkMode: "awsvpc",
        requiresCompatibilities: ["FARGATE"],
        cpu: "256",
        memory: "512",
      },
      tags: [],
    }));
    this.ecs.on(RegisterTaskDefinitionCommand).callsFake((input) => {
      this.revision += 1;
      const arn = `arn:aws:ecs:eu-west-1:${account}:task-definition/checkout:${this.revision}`;
      this.images.set(arn, input.containerDefinitions?.[0]?.image ?? "");
      return { taskDefinition: { taskDefinitionArn: arn } };
    });
    this.ecs.on(UpdateServiceCommand).callsFake((input) => {
      const colour = (Object.keys(ecsServices) as Colour[]).find(
        (candidate) => ecsServices[candidate] === input.service,
      );
      if (colour === undefined) throw new Error(`no service ${input.service}`);
      if (input.taskDefinition !== undefined) this.services[colour].taskDefinition = input.taskDefinition;
      if (input.desiredCount !== undefined) this.services[colour].desiredCount = input.desiredCount;
      return { service: { serviceName: input.service } };
    });
  }

  private wireCloudWatch(): void {
    this.cloudwatch.on(DescribeAlarmsCommand).callsFake((input: DescribeAlarmsCommandInput) => ({
      MetricAlarms: (input.AlarmNames ?? []).map((name) => {
        const firing =
          this.alarmFiring ||
          (this.options.alarmAtWeight !== undefined && this.maxNewWeight >= this.options.alarmAtWeight);
        return {
          AlarmName: name,
          AlarmArn: `arn:aws:cloudwatch:eu-west-1:${account}:alarm:${name}`,
          StateValue: firing ? "ALARM" : "OK",
          StateReason: firing
            ? "Threshold Crossed: 1 datapoint [4.2 (26/11/26 14:00:00)] was greater than the threshold (1.0)."
            : "Threshold not crossed",
          StateUpdatedTimestamp: new Date("2026-11-26T14:00:00Z"),
        };
      }),
      CompositeAlarms: [],
    }));
    this.cloudwatch.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => {
      const perWindow = this.options.requestsPerWindow ?? 1000;
      const results: MetricDataResult[] = (input.MetricDataQueries ?? []).map((query) => {
        const business = /^m\d+_(blue|green)_(numerator|denominator)$/.exec(query.Id ?? "");
        const colour: Colour = query.Id?.startsWith("blue") || business?.[1] === "blue" ? "blue" : "green";
        const requests = Math.round((perWindow * this.weights[colour]) / 100);
        const slower = colour === "green" ? (this.options.newLatencyFactor ?? 1) : 1;
        const converted = Math.round(requests * (this.options.conversionRates?.[colour] ?? 0.5));
        const value =
          business !== null
            ? business[2] === "numerator"
              ? converted
              : requests
            : query.Id?.endsWith("requests")
              ? requests
              : query.Id?.endsWith("errors")
                ? Math.round(requests * 0.001)
                : query.Id?.endsWith("p95")
                  ? 0.08 * slower
                  : 0.12 * slower;
        return {
          Id: query.Id,
          Label: query.Id,
          StatusCode: "Complete",
          Timestamps: [new Date()],
          Values: requests === 0 ? [] : [value],
        };
      });
      return { MetricDataResults: results };
    });
  }
}
