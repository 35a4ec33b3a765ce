import {
  CreateRuleCommand,
  DeleteRuleCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  type ElasticLoadBalancingV2Client,
  type Rule,
  type RuleCondition,
  RuleNotFoundException,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import type { Cohort } from "../../domain/config/strategy.ts";

/** The tag that marks a listener rule as an experiment's cohort rule, valued with the deployment's id. */
export const cohortTag = "glidepath:cohort";

export interface ElbCohortRuleProps {
  readonly client: ElasticLoadBalancingV2Client;
  /** The listener the rule goes on. */
  readonly listenerArn: string;
  /**
   * The listener rule that splits the arms, when the target names one: the cohort rule carries its conditions
   * (so it catches only that rule's traffic) and must come before it.
   */
  readonly targetRuleArn?: string;
  readonly cohort: Cohort;
  readonly deploymentId: string;
}

/**
 * The cohort rule of an experiment on target groups: a listener rule at `cohort.priority` that forwards the
 * requests with the cohort's header or cookie to the treatment's target group. `ensure` and `remove` are
 * idempotent: the rule at that priority is Glidepath's when it carries the `glidepath:cohort` tag, and a rule
 * there that is not is never changed or deleted.
 */
export class ElbCohortRule {
  readonly #props: ElbCohortRuleProps;

  constructor(props: ElbCohortRuleProps) {
    this.#props = props;
  }

  /** The rule forwards the cohort to `targetGroupArn`: created, or replaced when an earlier one differs. */
  async ensure(targetGroupArn: string): Promise<void> {
    const { client, listenerArn, cohort, deploymentId } = this.#props;
    const rules = await this.#rules();
    const conditions = [...this.#targetConditions(rules), cohortCondition(cohort)];
    const existing = await this.#ours(rules);
    if (existing !== undefined) {
      if (existing.deploymentId === deploymentId && forwardsTo(existing.rule, targetGroupArn)) return;
      await this.#delete(existing.rule);
    }
    await client.send(
      new CreateRuleCommand({
        ListenerArn: listenerArn,
        Priority: cohort.priority,
        Conditions: conditions,
        Actions: [{ Type: "forward", TargetGroupArn: targetGroupArn }],
        Tags: [{ Key: cohortTag, Value: deploymentId }],
      }),
    );
  }

  /** No cohort rule of Glidepath's at the priority: deleted if there is one. */
  async remove(): Promise<void> {
    const existing = await this.#ours(await this.#rules());
    if (existing !== undefined) await this.#delete(existing.rule);
  }

  async #rules(): Promise<Rule[]> {
    const rules: Rule[] = [];
    let marker: string | undefined;
    do {
      const page = await this.#props.client.send(
        new DescribeRulesCommand({
          ListenerArn: this.#props.listenerArn,
          ...(marker === undefined ? {} : { Marker: marker }),
        }),
      );
      rules.push(...(page.Rules ?? []));
      marker = page.NextMarker;
    } while (marker !== undefined);
    return rules;
  }

  /** The rule at the cohort's priority, if Glidepath made it; throws when another rule holds the priority. */
  async #ours(rules: readonly Rule[]): Promise<{ rule: Rule; deploymentId: string } | undefined> {
    const { client, listenerArn, cohort } = this.#props;
    const rule = rules.find((candidate) => candidate.Priority === String(cohort.priority));
    if (rule?.RuleArn === undefined) return undefined;
    const tags = await client.send(new DescribeTagsCommand({ ResourceArns: [rule.RuleArn] }));
    const tag = tags.TagDescriptions?.[0]?.Tags?.find((candidate) => candidate.Key === cohortTag);
    if (tag === undefined) {
      throw new Error(
        `cohort.priority ${cohort.priority} on listener ${listenerArn} is taken by rule ${rule.RuleArn}, which ` +
          "Glidepath did not create: choose a free priority for the experiment's cohort.",
      );
    }
    return { rule, deploymentId: tag.Value ?? "" };
  }

  async #delete(rule: Rule): Promise<void> {
    try {
      await this.#props.client.send(new DeleteRuleCommand({ RuleArn: rule.RuleArn }));
    } catch (error) {
      // Another attempt of this step deleted it first.
      if (!(error instanceof RuleNotFoundException)) throw error;
    }
  }

  /** The conditions of the rule that splits the arms, written back as CreateRule takes them. */
  #targetConditions(rules: readonly Rule[]): RuleCondition[] {
    const { targetRuleArn, cohort } = this.#props;
    if (targetRuleArn === undefined) return [];
    const target = rules.find((rule) => rule.RuleArn === targetRuleArn);
    if (target === undefined) {
      throw new Error(
        `listener rule ${targetRuleArn} is not on listener ${this.#props.listenerArn}: fix target.listenerRuleArn.`,
      );
    }
    if (target.Priority !== "default" && Number(target.Priority) <= cohort.priority) {
      throw new Error(
        `cohort.priority ${cohort.priority} comes after listener rule ${targetRuleArn} (priority ${target.Priority}), ` +
          `so the cohort would never match: choose a priority below ${target.Priority}.`,
      );
    }
    return (target.Conditions ?? []).map(withoutLegacyValues);
  }
}

/** A header matches one of its values; a cookie is a wildcard match on the Cookie header. */
function cohortCondition(cohort: Cohort): RuleCondition {
  const header =
    cohort.header ??
    (cohort.cookie === undefined
      ? undefined
      : { name: "Cookie", values: [`*${cohort.cookie.name}=${cohort.cookie.value}*`] });
  if (header === undefined) throw new Error("a cohort is a header or a cookie");
  return {
    Field: "http-header",
    HttpHeaderConfig: { HttpHeaderName: header.name, Values: [...header.values] },
  };
}

/**
 * DescribeRules reports a host-header or path-pattern condition both as `Values` and in its config; CreateRule
 * accepts only one of the two.
 */
function withoutLegacyValues(condition: RuleCondition): RuleCondition {
  const { Values, ...rest } = condition;
  const configured = Object.keys(rest).some((key) => key.endsWith("Config"));
  return configured ? rest : condition;
}

function forwardsTo(rule: Rule, targetGroupArn: string): boolean {
  const forward = rule.Actions?.find((action) => action.Type === "forward");
  const groups = forward?.ForwardConfig?.TargetGroups?.map((group) => group.TargetGroupArn) ?? [];
  return forward?.TargetGroupArn === targetGroupArn || (groups.length === 1 && groups[0] === targetGroupArn);
}
