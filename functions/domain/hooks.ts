import { z } from "zod";

/**
 * The hook contract, version 1. A hook is a Lambda function (a DB migration, a smoke test) that the pipeline
 * invokes synchronously, with at most its `timeoutSeconds`, at one of these stages:
 *
 * - `preDeploy`: before the environment's strategy runs (migrations);
 * - `postDeploy`: after every wave of the environment succeeded (verification);
 * - `undo`: after a later failure in the same environment, for each reversible `preDeploy` hook that passed,
 *   newest first: the hook puts back what it changed. Its answer is recorded but cannot stop anything.
 *
 * Input (the Lambda event):
 * ```json
 * { "contract": "glidepath.hook/v1", "stage": "preDeploy", "hook": "migrate",
 *   "promotionId": "d-…", "deploymentId": "d-…", "service": "checkout", "environment": "staging",
 *   "artifact": { "uri": "…", "digest": "sha256:…", "version": "1.4.0" } }
 * ```
 * In a release of several services, `releaseId` (`r-…`) takes the place of `promotionId`, and each service's
 * hooks run around that service's waves (`preDeploy` before its first, `postDeploy` after its last).
 * Output: `{ "passed": boolean, "reason"?: string, "irreversible"?: boolean }` (the blue-green smoke test's
 * answer, plus `irreversible`). Anything else,
 * a thrown error or a timeout fails the environment. `irreversible: true` (or `irreversible` in the config)
 * says the change cannot be undone: a later failure then freezes the environment (traffic stays on the old
 * version, humans are told) instead of calling `undo`.
 */
export const HookContract = "glidepath.hook/v1";

export const HookStages = ["preDeploy", "postDeploy", "undo"] as const;
export type HookStage = (typeof HookStages)[number];

export const HookOutputSchema = z.object({
  passed: z.boolean({ error: "must be true or false" }),
  reason: z.string().optional(),
  irreversible: z.boolean().optional(),
});

/** A hook's answer, or why it is not one (which counts as failed). */
export function readHookOutput(output: unknown): {
  readonly passed: boolean;
  readonly message: string;
  readonly irreversible: boolean;
} {
  const parsed = HookOutputSchema.safeParse(output);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join(".") || "(output)"}: ${issue.message}`,
    );
    return {
      passed: false,
      message: `answered ${JSON.stringify(output)?.slice(0, 200)}, not the hook contract (${problems.join("; ")})`,
      irreversible: false,
    };
  }
  return {
    passed: parsed.data.passed,
    message: parsed.data.reason ?? (parsed.data.passed ? "passed" : "failed"),
    irreversible: parsed.data.irreversible === true,
  };
}

/** What a hook's invocation tells its promotion or release: the hook, its function, and its typed answer. */
export function hookAnswer(
  hook: { readonly name: string; readonly function: string; readonly irreversible: boolean },
  output: unknown,
) {
  const answer = readHookOutput(output);
  return {
    hook: hook.name,
    actor: hook.function,
    irreversibleByConfig: hook.irreversible,
    answer: { passed: answer.passed, reason: answer.message, irreversible: answer.irreversible },
  };
}
