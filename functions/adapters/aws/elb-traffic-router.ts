import {
  type Action,
  DescribeListenersCommand,
  DescribeRulesCommand,
  type ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyRuleCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import type { ExperimentRouting } from "../../domain/config/target-schema.ts";
import { ShiftFailedError } from "../../domain/errors.ts";
import {
  assertValidWeights,
  type Colour,
  type ColourWeights,
  type SetWeightsOptions,
  type SetWeightsResult,
  type TrafficRouter,
} from "../../domain/ports/traffic-router.ts";
import { listenerOfRule } from "./arns.ts";
import { ElbCohortRule } from "./elb-cohort-rule.ts";

export interface ElbTrafficRouterProps {
  /** Created once at module scope with `awsClientConfig`. */
  readonly client: ElasticLoadBalancingV2Client;
  /** The listener whose default forward action splits traffic. Set exactly one of this and `listenerRuleArn`. */
  readonly listenerArn?: string;
  /** The listener rule whose forward action splits traffic. Set exactly one of this and `listenerArn`. */
  readonly listenerRuleArn?: string;
  /** Target group ARN per colour. */
  readonly targetGroups: Readonly<Record<Colour, string>>;
  /** An experiment's: stickiness while the arms split, and the cohort rule. */
  readonly experimentRouting?: ExperimentRouting;
  /** Tags the cohort rule. Required with a cohort. */
  readonly deploymentId?: string;
}

type Router =
  | { readonly kind: "listener"; readonly arn: string }
  | { readonly kind: "rule"; readonly arn: string };

/** Relative ELB weights per colour, exactly as the router reports them. */
type RawWeights = Record<Colour, number>;

interface RouterState {
  readonly actions: readonly Action[];
  readonly forward: Action;
  readonly raw: RawWeights;
}

/**
 * Splits traffic between the blue and green target groups through the weights of an ALB forward action
 * (`ForwardConfig.TargetGroups`), on a listener's default actions or on a listener rule.
 *
 * ModifyListener and ModifyRule replace the whole action list, so every other action (authenticate-oidc,
 * jwt-validation…) is written back unchanged, and so is the forward action's stickiness. Weights are read back
 * after every change: ELB acknowledges a modification it may not report yet, and another writer may race.
 *
 * For an experiment (`experimentRouting`), a split turns on the forward action's target-group stickiness for
 * `stickySeconds`, so a client stays on its arm; at 0% or 100% the forward names only the group that takes
 * everything, so no client stuck to the other arm reaches it, whatever its cookie. The cohort rule, if any,
 * forwards its requests to the new colour while the arms split, and is deleted at either end (before the
 * weights move back, so the cohort leaves the treatment with everyone else).
 */
export class ElbTrafficRouter implements TrafficRouter {
  readonly #client: ElasticLoadBalancingV2Client;
  readonly #router: Router;
  readonly #targetGroups: Readonly<Record<Colour, string>>;
  readonly #experiment: ExperimentRouting | undefined;
  readonly #cohortRule: ElbCohortRule | undefined;

  constructor(props: ElbTrafficRouterProps) {
    const { listenerArn, listenerRuleArn } = props;
    if (listenerArn !== undefined && listenerRuleArn === undefined) {
      this.#router = { kind: "listener", arn: listenerArn };
    } else if (listenerRuleArn !== undefined && listenerArn === undefined) {
      this.#router = { kind: "rule", arn: listenerRuleArn };
    } else {
      throw new Error("ElbTrafficRouter needs exactly one of listenerArn and listenerRuleArn.");
    }
    this.#client = props.client;
    this.#targetGroups = props.targetGroups;
    this.#experiment = props.experimentRouting;
    const cohort = props.experimentRouting?.cohort ?? null;
    if (cohort !== null) {
      if (props.deploymentId === undefined)
        throw new Error("ElbTrafficRouter needs the deploymentId of a cohort.");
      this.#cohortRule = new ElbCohortRule({
        client: props.client,
        listenerArn: listenerRuleArn === undefined ? (listenerArn ?? "") : listenerOfRule(listenerRuleArn),
        ...(listenerRuleArn === undefined ? {} : { targetRuleArn: listenerRuleArn }),
        cohort,
        deploymentId: props.deploymentId,
      });
    }
  }

  /** Percent per colour, rounded to whole percent. */
  async readWeights(): Promise<ColourWeights> {
    const { raw } = await this.#readState();
    return toPercent(raw);
  }

  async setWeights(weights: ColourWeights, options: SetWeightsOptions = {}): Promise<SetWeightsResult> {
    assertValidWeights(weights);
    const split = weights.blue > 0 && weights.green > 0;
    const cohortRule = this.#cohortRule;
    if (cohortRule !== undefined && !split) await cohortRule.remove();
    const result = await this.#shift(weights, split);
    if (cohortRule !== undefined && split) {
      if (options.newColour === undefined)
        throw new Error("A cohort rule needs the new colour of the split.");
      await cohortRule.ensure(this.#targetGroups[options.newColour]);
    }
    return result;
  }

  async #shift(weights: ColourWeights, split: boolean): Promise<SetWeightsResult> {
    const current = await this.#readState();
    if (matches(current.raw, weights) && this.#shaped(current.forward, split))
      return { changed: false, weights: toPercent(current.raw), settled: true };

    const actions = current.actions.map((action) =>
      action === current.forward ? this.#weightedForward(action, weights, split) : action,
    );
    await this.#write(actions);

    const after = await this.#readState();
    const observed = toPercent(after.raw);
    if (!matches(after.raw, weights)) throw new ShiftFailedError(this.#describe(), weights, observed);
    return { changed: true, weights: observed, settled: true };
  }

  /**
   * An experiment's forward action is as the weights want it: sticky for `stickySeconds` during a split, and
   * at either end naming no group at weight 0.
   */
  #shaped(forward: Action, split: boolean): boolean {
    const experiment = this.#experiment;
    if (experiment === undefined) return true;
    const config = forward.ForwardConfig;
    if (split) {
      const stickiness = config?.TargetGroupStickinessConfig;
      return stickiness?.Enabled === true && stickiness.DurationSeconds === experiment.stickySeconds;
    }
    return (config?.TargetGroups ?? []).every((group) => (group.Weight ?? 1) > 0);
  }

  async #readState(): Promise<RouterState> {
    const actions = await this.#readActions();
    const forwards = actions.filter((action) => action.Type === "forward");
    const forward = forwards[0];
    if (forward === undefined || forwards.length > 1) {
      const types = actions.map((action) => action.Type).join(", ") || "none";
      throw new Error(
        `${this.#describe()} must have exactly one forward action to shift traffic, but its actions are: ${types}. ` +
          "Point the Glidepath config at the listener or rule that forwards to the blue and green target groups.",
      );
    }
    return { actions, forward, raw: this.#rawWeights(forward) };
  }

  async #readActions(): Promise<readonly Action[]> {
    const router = this.#router;
    if (router.kind === "listener") {
      const output = await this.#client.send(new DescribeListenersCommand({ ListenerArns: [router.arn] }));
      return output.Listeners?.[0]?.DefaultActions ?? [];
    }
    const output = await this.#client.send(new DescribeRulesCommand({ RuleArns: [router.arn] }));
    return output.Rules?.[0]?.Actions ?? [];
  }

  async #write(actions: Action[]): Promise<void> {
    const router = this.#router;
    if (router.kind === "listener") {
      await this.#client.send(
        new ModifyListenerCommand({ ListenerArn: router.arn, DefaultActions: actions }),
      );
      return;
    }
    await this.#client.send(new ModifyRuleCommand({ RuleArn: router.arn, Actions: actions }));
  }

  #rawWeights(forward: Action): RawWeights {
    const raw: RawWeights = { blue: 0, green: 0 };
    const tuples = forward.ForwardConfig?.TargetGroups ?? [];
    if (tuples.length === 0 && forward.TargetGroupArn !== undefined) {
      raw[this.#colourOf(forward.TargetGroupArn)] = 1;
      return raw;
    }
    for (const tuple of tuples) {
      // Weights are relative; a group listed without one counts as 1, CDK's default for a weighted group.
      raw[this.#colourOf(tuple.TargetGroupArn)] += tuple.Weight ?? 1;
    }
    if (raw.blue + raw.green === 0) {
      throw new Error(
        `${this.#describe()} forwards no traffic: every target group has weight 0. Set a weight on the live ` +
          "colour's target group by hand, then retry.",
      );
    }
    return raw;
  }

  #colourOf(targetGroupArn: string | undefined): Colour {
    if (targetGroupArn === this.#targetGroups.blue) return "blue";
    if (targetGroupArn === this.#targetGroups.green) return "green";
    throw new Error(
      `${this.#describe()} forwards to target group ${targetGroupArn ?? "(none)"}, which is neither the blue ` +
        `(${this.#targetGroups.blue}) nor the green (${this.#targetGroups.green}) target group. ` +
        "Fix target.targetGroups in the Glidepath config, or remove that group from the forward action.",
    );
  }

  /**
   * The forward action with both groups weighted; an experiment's is sticky during a split and names only the
   * group that takes everything at either end. `TargetGroupArn` is dropped: ELB accepts it next to a
   * ForwardConfig only when that config names that single group.
   */
  #weightedForward(forward: Action, weights: ColourWeights, split: boolean): Action {
    const { TargetGroupArn: _single, ForwardConfig: existing, ...rest } = forward;
    const experiment = this.#experiment;
    const colours: Colour[] =
      experiment === undefined || split ? ["blue", "green"] : weights.blue > 0 ? ["blue"] : ["green"];
    const stickiness =
      experiment === undefined
        ? existing?.TargetGroupStickinessConfig
        : split
          ? { Enabled: true, DurationSeconds: experiment.stickySeconds }
          : undefined;
    return {
      ...rest,
      ForwardConfig: {
        TargetGroups: colours.map((colour) => ({
          TargetGroupArn: this.#targetGroups[colour],
          Weight: weights[colour],
        })),
        ...(stickiness === undefined ? {} : { TargetGroupStickinessConfig: stickiness }),
      },
    };
  }

  #describe(): string {
    return `${this.#router.kind === "listener" ? "listener" : "listener rule"} ${this.#router.arn}`;
  }
}

/** Exact comparison of ratios: 1:9 on the listener is 10/90, and 1:2 is not 33/67. */
function matches(raw: RawWeights, weights: ColourWeights): boolean {
  const sum = raw.blue + raw.green;
  return raw.blue * 100 === weights.blue * sum && raw.green * 100 === weights.green * sum;
}

function toPercent(raw: RawWeights): ColourWeights {
  const blue = Math.round((raw.blue * 100) / (raw.blue + raw.green));
  return { blue, green: 100 - blue };
}
