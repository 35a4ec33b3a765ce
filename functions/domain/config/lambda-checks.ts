import type { z } from "zod";
import type { Strategy } from "./strategy.ts";
import { issueAt, type WaveUse } from "./target-checks.ts";
import { isLambdaTarget } from "./target-schema.ts";

type Issue = z.core.$ZodRawIssue;
type Path = (string | number)[];

interface LambdaEnvironment {
  readonly strategy: Strategy;
  readonly targetHealth?: unknown;
  readonly metrics: readonly unknown[];
}

/**
 * What a Lambda target takes: all-at-once, canary, linear and blue-green move its alias (blue-green's smoke
 * test hook is given the new version's number as `revision`, to invoke it directly); rolling has no fleet to
 * grow batch by batch, a flag strategy changes a flag, and an experiment needs two arms that users stay on.
 * Its versions have no targets whose health a bake could watch; business metrics per version are not built
 * yet. Alarm definitions are put over the new version once it is published.
 */
export function checkLambdaTargets(
  service: { readonly environments: readonly LambdaEnvironment[] },
  uses: readonly WaveUse[],
  issues: Issue[],
  prefix: Path,
): void {
  const checked = new Set<number>();
  for (const use of uses) {
    // A local-lambda target stands for a lambda one, and takes what it takes.
    const { type } = use.target;
    if (!isLambdaTarget(use.target) || checked.has(use.environmentIndex)) continue;
    checked.add(use.environmentIndex);
    const environment = service.environments[use.environmentIndex];
    if (environment === undefined) continue;
    const at = (...path: Path): Path => [...prefix, "environments", use.environmentIndex, ...path];
    const { strategy } = environment;
    if (!["all-at-once", "canary", "linear", "blue-green"].includes(strategy.type)) {
      const why =
        strategy.type === "rolling"
          ? "Lambda runs every invocation on the alias's versions, with no fleet to grow batch by batch: use linear or canary"
          : `the ${strategy.type} strategy ${strategy.type === "feature-flag" ? "changes a flag" : "splits users who must stay on one arm"}, not a function's alias`;
      issues.push(issueAt(at("strategy", "type"), `a ${type} target does not take ${strategy.type}: ${why}`));
    }
    if (environment.targetHealth !== undefined) {
      issues.push(
        issueAt(
          at("targetHealth"),
          "a Lambda version has no targets whose health could be watched: remove targetHealth",
        ),
      );
    }
    if (environment.metrics.length > 0) {
      issues.push(
        issueAt(
          at("metrics"),
          "business metrics per Lambda version are not supported yet: remove metrics for a lambda target",
        ),
      );
    }
  }
}
