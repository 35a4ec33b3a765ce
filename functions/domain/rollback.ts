import { createHash } from "node:crypto";
import { z } from "zod";
import { type Artifact, type Deployment, DeploymentStatus, isTerminal } from "./deployment.ts";

/**
 * The `detail-type` of a rollback a human asked for (`glidepath rollback`, source `glidepath.cli`): the
 * environment's region waves back on a good artifact they ran before, all at once, as deployments of its own.
 */
export const RollbackRequestedDetailType = "RollbackRequested";

/**
 * ```json
 * { "service": "checkout", "environment": "production", "to": "1.4.0", "reason": "p99 doubled since 1.4.1",
 *   "requestedBy": "cli:arn:aws:sts::123456789012:assumed-role/Deployer/alice",
 *   "requestId": "0f8fad5b-d9cb-469f-a165-70867728950e" }
 * ```
 *
 * `to` (optional): the version to go back to; without it, the newest SUCCEEDED artifact before the live one.
 * `requestId` makes a redelivered event the same rollback (its deployments' ids are made from it).
 */
export const RollbackRequestedDetailSchema = z.object({
  service: z.string().min(1, { error: "must name the service" }),
  environment: z.string().min(1, { error: "must name the environment" }),
  to: z.string().min(1).optional(),
  reason: z.string().max(1000).optional(),
  requestedBy: z.string().min(1, { error: "must say who asked (cli:<identity>)" }),
  requestId: z.uuid({ error: "must be a UUID, one per rollback asked for" }),
});
export type RollbackRequestedDetail = z.output<typeof RollbackRequestedDetailSchema>;

/** A rollback's id, from its request: `b-` and 20 hex digits, part of its deployments' ids. */
export function rollbackId(requestId: string): string {
  return `b-${createHash("sha256")
    .update(JSON.stringify(["rollback", requestId]))
    .digest("hex")
    .slice(0, 20)}`;
}

/** One region wave of the environment: its region (when it has several) and its deployments, newest first. */
export interface RollbackWaveHistory {
  readonly region?: string;
  readonly deployments: readonly Deployment[];
}

export type RollbackPlan =
  | {
      readonly kind: "rollback";
      /** What the environment goes back to. */
      readonly target: Artifact;
      /** The waves to move, by index, with what each runs now; a wave already on `target` is left out. */
      readonly waves: readonly {
        readonly index: number;
        readonly region?: string;
        readonly live: Artifact;
      }[];
    }
  | { readonly kind: "refused"; readonly reason: string };

/**
 * What a rollback of one environment does, from each wave's history: refused while any wave has a
 * deployment running (abort is the command for that) or while a promotion holds the service's lock; else the
 * target is `to` (the newest SUCCEEDED deployment of that version in any wave) or the newest SUCCEEDED artifact
 * of the first wave before its live one, and every wave not already on it goes there. Pure.
 */
export function planRollback(input: {
  readonly service: string;
  readonly environment: string;
  readonly waves: readonly RollbackWaveHistory[];
  readonly to?: string;
  /** The promotion or release holding the service's lock, if any. */
  readonly lockHolder?: string;
}): RollbackPlan {
  const where = (wave: RollbackWaveHistory) =>
    wave.region === undefined ? input.environment : `${input.environment} ${wave.region}`;
  for (const wave of input.waves) {
    const running = wave.deployments.find((deployment) => !isTerminal(deployment.status));
    if (running !== undefined) {
      return refused(
        `${input.service} has a deployment running in ${where(wave)} (${running.id}, ${running.artifact.version}, ${running.status}): to stop it and put traffic back, abort it: glidepath abort ${running.id}`,
      );
    }
  }
  if (input.lockHolder !== undefined) {
    return refused(
      `${input.lockHolder} holds ${input.service}'s lock and may deploy ${input.environment} next: abort the deployment it runs (glidepath status ${input.lockHolder}) or wait for it to end, then roll back`,
    );
  }
  const succeeded = (wave: RollbackWaveHistory) =>
    wave.deployments.filter((deployment) => deployment.status === DeploymentStatus.Succeeded);
  const first = input.waves[0];
  const live = first === undefined ? undefined : succeeded(first)[0];
  if (first === undefined || live === undefined) {
    return refused(
      `${input.service} has no SUCCEEDED deployment in ${first === undefined ? input.environment : where(first)}: nothing to roll back from`,
    );
  }
  let target: Artifact | undefined;
  if (input.to !== undefined) {
    if (live.artifact.version === input.to) {
      return refused(`${input.service} ${input.to} is already live in ${where(first)}`);
    }
    target = input.waves
      .flatMap(succeeded)
      .find((deployment) => deployment.artifact.version === input.to)?.artifact;
    if (target === undefined) {
      const known = [
        ...new Set(input.waves.flatMap(succeeded).map((deployment) => deployment.artifact.version)),
      ];
      return refused(
        `no SUCCEEDED deployment of ${input.service} ${input.to} in ${input.environment} to go back to (known good: ${known.join(", ")})`,
      );
    }
  } else {
    target = succeeded(first).find(
      (deployment) => deployment.artifact.digest !== live.artifact.digest,
    )?.artifact;
    if (target === undefined) {
      return refused(
        `nothing good is known before ${input.service} ${live.artifact.version} in ${where(first)}: it is the only SUCCEEDED artifact there (name one with --to)`,
      );
    }
  }
  const chosen = target;
  const waves = input.waves.flatMap((wave, index) => {
    const current = succeeded(wave)[0];
    if (current?.artifact.digest === chosen.digest) return [];
    return [
      {
        index,
        ...(wave.region === undefined ? {} : { region: wave.region }),
        live: current?.artifact ?? live.artifact,
      },
    ];
  });
  return { kind: "rollback", target: { ...chosen }, waves };
}

function refused(reason: string): RollbackPlan {
  return { kind: "refused", reason };
}
