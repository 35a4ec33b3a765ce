/**
 * CloudWatch names an Application Load Balancer and its target groups by the tail of their ARNs: the
 * `LoadBalancer` dimension is `app/<name>/<id>` and the `TargetGroup` dimension is `targetgroup/<name>/<id>`.
 * A listener or listener-rule ARN contains its load balancer's, so the config's ARNs are enough.
 */

const elbArn = /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:(.+)$/;

function resourceOf(arn: string, example: string): string {
  const resource = elbArn.exec(arn)?.[1];
  if (resource === undefined) {
    throw new Error(
      `${JSON.stringify(arn)} is not an Elastic Load Balancing ARN; expected one like ${example}.`,
    );
  }
  return resource;
}

/**
 * The `LoadBalancer` dimension (`app/<name>/<id>`) of an Application Load Balancer, from the ARN of the load
 * balancer, of one of its listeners or of one of its listener rules.
 */
export function loadBalancerDimension(arn: string): string {
  const example =
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2";
  const match = /^(?:loadbalancer|listener|listener-rule)\/(app\/[^/]+\/[^/]+)(?:\/|$)/.exec(
    resourceOf(arn, example),
  );
  if (match?.[1] === undefined) {
    throw new Error(
      `${arn} does not belong to an Application Load Balancer (AWS/ApplicationELB metrics); ` +
        `expected a load balancer, listener or listener-rule ARN like ${example}.`,
    );
  }
  return match[1];
}

/** The `TargetGroup` dimension (`targetgroup/<name>/<id>`) of a target group ARN. */
export function targetGroupDimension(arn: string): string {
  const example = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-blue/73e2d6bc24d8a067";
  const resource = resourceOf(arn, example);
  if (!/^targetgroup\/[^/]+\/[^/]+$/.test(resource)) {
    throw new Error(`${arn} is not a target group ARN; expected one like ${example}.`);
  }
  return resource;
}

/** The listener a listener rule is on: `…:listener-rule/app/lb/id/listener/rule` → `…:listener/app/lb/id/listener`. */
export function listenerOfRule(ruleArn: string): string {
  return ruleArn.replace(":listener-rule/", ":listener/").replace(/\/[^/]+$/, "");
}
