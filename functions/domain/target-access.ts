/**
 * How the control plane reaches a wave in another account or region: the target stack (`GlidepathTarget`)
 * of that account+region creates the deploy role under this name, and the control plane's deploy,
 * shift-traffic, evaluate and record steps assume it (record reads what the new version served). Both sides derive the names from here.
 */

/** IAM role names are global to an account, and an account holds one target stack per region. */
export function deployRoleName(region: string): string {
  return `glidepath-deploy-${region}`;
}

export function deployRoleArn(
  place: { readonly account: string; readonly region: string },
  partition = "aws",
): string {
  return `arn:${partition}:iam::${place.account}:role/${deployRoleName(place.region)}`;
}

/** The steps that act on targets, whose roles alone a deploy role trusts. */
export const TargetSteps = ["deploy", "shift-traffic", "evaluate", "record"] as const;
export type TargetStep = (typeof TargetSteps)[number];

/**
 * The control plane's role of a step that acts on targets: named, so that a target stack, synthesized for
 * another account, can trust exactly these roles by ARN.
 */
export function stepRoleName(step: TargetStep, controlPlaneRegion: string): string {
  return `glidepath-${step}-step-${controlPlaneRegion}`;
}

/** The external id the deploy roles require when the config names none. */
export const defaultExternalId = "glidepath";

/** Seconds an assumed session lasts: STS's minimum, refreshed before it ends; no step runs longer than this. */
export const deploySessionSeconds = 900;
