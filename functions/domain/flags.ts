import { z } from "zod";
import { ShiftFailedError } from "./errors.ts";
import type { Colour, ColourWeights, SetWeightsResult } from "./ports/traffic-router.ts";

/**
 * The two variants Glidepath writes for a flag it rolls out. The application tags its metrics with the variant
 * AppConfig returned (the `Variant` dimension), and with `control` when the flag has no variant (a flag that
 * is off).
 */
export const FlagVariants = { treatment: "treatment", control: "control" } as const;

export type FlagVariant = (typeof FlagVariants)[keyof typeof FlagVariants];

/** The arms of a flag rollout as the colour-keyed ports see them: green is the treatment, blue the control. */
export const variantOfColour: Readonly<Record<Colour, FlagVariant>> = {
  blue: FlagVariants.control,
  green: FlagVariants.treatment,
};

/** AppConfig's rule for "this share of users, by a stable hash of the context key". */
export function splitRule(splitKey: string, percent: number): string {
  return `(split by::$${splitKey} pct::${percent})`;
}

const splitPattern = /^\(split by::\$([A-Za-z_][A-Za-z0-9_]*) pct::(\d{1,3})\)$/;

const VariantSchema = z.looseObject({
  name: z.string(),
  enabled: z.boolean().optional(),
  rule: z.string().optional(),
});

const FlagValueSchema = z.looseObject({
  enabled: z.boolean().optional(),
  _variants: z.array(VariantSchema).optional(),
});

/** An AWS.AppConfig.FeatureFlags document; only what Glidepath reads and writes is checked. */
export const FlagDocumentSchema = z.looseObject({
  version: z.string(),
  flags: z.record(z.string(), z.looseObject({ name: z.string() })).default({}),
  values: z.record(z.string(), FlagValueSchema).default({}),
});

export type FlagDocument = z.output<typeof FlagDocumentSchema>;

/** An empty feature-flag document, where a profile has never been deployed. */
export const emptyFlagDocument = (): FlagDocument => ({ version: "1", flags: {}, values: {} });

/**
 * The document with the flag at `percent` for the treatment, every other flag as it was. At 0 the flag is a
 * plain disabled flag (everyone on control, no rule to evaluate); otherwise the treatment variant (enabled)
 * takes the split and the control is the default variant (disabled), which AppConfig requires to be last and
 * to have no rule.
 */
export function withSplit(
  document: FlagDocument,
  rollout: { readonly flag: string; readonly splitKey: string },
  percent: number,
): FlagDocument {
  if (!Number.isInteger(percent) || percent < 0 || percent > 100) {
    throw new RangeError(`a flag split is a whole percentage from 0 to 100, got ${percent}`);
  }
  const value =
    percent === 0
      ? { enabled: false }
      : {
          _variants: [
            { name: FlagVariants.treatment, enabled: true, rule: splitRule(rollout.splitKey, percent) },
            { name: FlagVariants.control, enabled: false },
          ],
        };
  return {
    ...document,
    flags: { ...document.flags, [rollout.flag]: document.flags[rollout.flag] ?? { name: rollout.flag } },
    values: { ...document.values, [rollout.flag]: value },
  };
}

/** What a document says of the flag: its treatment's share, or why Glidepath cannot tell. */
export type SplitReading =
  | { readonly kind: "split"; readonly percent: number }
  | { readonly kind: "unknown"; readonly reason: string };

/**
 * Reads the flag's split back: a disabled flag (or none) is 0, an enabled one without variants is 100, and
 * Glidepath's two variants give the treatment's share. Variants written by someone else are "unknown".
 */
export function splitOf(
  document: FlagDocument,
  rollout: { readonly flag: string; readonly splitKey: string },
): SplitReading {
  const value = document.values[rollout.flag];
  if (value === undefined) return { kind: "split", percent: 0 };
  const variants = value._variants;
  if (variants === undefined || variants.length === 0)
    return { kind: "split", percent: value.enabled === true ? 100 : 0 };
  const [treatment, control, ...others] = variants;
  if (
    treatment?.name !== FlagVariants.treatment ||
    control?.name !== FlagVariants.control ||
    others.length > 0 ||
    control.rule !== undefined
  ) {
    return {
      kind: "unknown",
      reason: `flag ${rollout.flag} has variants ${variants.map((variant) => variant.name).join(", ")}, not Glidepath's ${FlagVariants.treatment} and ${FlagVariants.control}`,
    };
  }
  const match = splitPattern.exec(treatment.rule ?? "");
  if (match === null || match[1] !== rollout.splitKey) {
    return {
      kind: "unknown",
      reason: `the ${FlagVariants.treatment} rule of flag ${rollout.flag} is '${treatment.rule ?? ""}', not a split by $${rollout.splitKey}`,
    };
  }
  return { kind: "split", percent: Number(match[2]) };
}

/** The colour weights of a treatment share. */
export const splitWeights = (percent: number): ColourWeights => ({ blue: 100 - percent, green: percent });

/** What a flag evaluates to for one request: AppConfig Agent's answer, as the local flag store gives it. */
export interface FlagEvaluation {
  readonly enabled: boolean;
  /** The variant chosen; absent for a flag without variants. */
  readonly variant?: string;
}

/**
 * Evaluates a flag for a request's context as AppConfig does: variants in order, the first whose rule matches
 * wins, the last (the default) otherwise. Only the `split` rule Glidepath writes is understood: a stable hash
 * of the context value (FNV-1a here; AppConfig's own hash differs, but is as stable).
 */
export function evaluateFlag(
  document: FlagDocument,
  flag: string,
  context: Readonly<Record<string, string>>,
): FlagEvaluation {
  const value = document.values[flag];
  if (value === undefined) return { enabled: false };
  const variants = value._variants ?? [];
  if (variants.length === 0) return { enabled: value.enabled === true };
  for (const variant of variants) {
    if (variant.rule === undefined) return { enabled: variant.enabled === true, variant: variant.name };
    const match = splitPattern.exec(variant.rule);
    // A request without the context key matches no split: it gets the default variant.
    const contextValue = match === null ? undefined : context[match[1] ?? ""];
    if (contextValue !== undefined && bucket(contextValue) < Number(match?.[2]))
      return { enabled: variant.enabled === true, variant: variant.name };
  }
  return { enabled: false };
}

/** 0-99 from a stable hash of the value. */
function bucket(value: string): number {
  let hash = 2166136261;
  for (let index = 0; index < value.length; index++) {
    hash ^= value.charCodeAt(index);
    hash = Math.imul(hash, 16777619) >>> 0;
  }
  return hash % 100;
}

/** How Glidepath describes a flag deployment it starts: the key that makes a redelivered shift idempotent. */
export function flagDeploymentDescription(deploymentId: string, flag: string, percent: number): string {
  return `glidepath ${deploymentId}: ${flag} at ${percent}%`;
}

/** The split a flag deployment's description says this deployment started; undefined for anybody else's. */
export function splitOfDescription(
  description: string,
  deploymentId: string,
  flag: string,
): number | undefined {
  const prefix = `glidepath ${deploymentId}: ${flag} at `;
  if (!description.startsWith(prefix)) return undefined;
  const percent = Number(description.slice(prefix.length).replace(/%$/, ""));
  return Number.isInteger(percent) ? percent : undefined;
}

/** The newest deployment of the flag's profile, as a flag router sees it. */
export interface LatestFlagDeployment {
  /** The split it was for, when this deployment started it. */
  readonly ours: number | undefined;
  readonly state: "in-progress" | "complete" | "undone";
}

/**
 * What a flag router does for a shift to `percent`, given the newest deployment: start one, wait for the one
 * in progress (AppConfig runs one at a time per environment), verify ours once it completed, or fail because
 * AppConfig undid ours.
 */
export function nextFlagStep(
  latest: LatestFlagDeployment | undefined,
  percent: number,
): "start" | "wait" | "verify" | "undone" {
  if (latest?.ours === percent) {
    if (latest.state === "undone") return "undone";
    return latest.state === "complete" ? "verify" : "wait";
  }
  return latest?.state === "in-progress" ? "wait" : "start";
}

/** A shift to 0% with `rollbackTo: "previous"` redeploys the version live before the rollout, as it was. */
export function restoresPrevious(
  rollout: { readonly rollbackTo: "off" | "previous" },
  percent: number,
): boolean {
  return percent === 0 && rollout.rollbackTo === "previous";
}

/** The treatment's share a deployed document holds; `ShiftFailedError` when Glidepath cannot tell. */
export function deployedSplit(
  document: FlagDocument,
  rollout: { readonly flag: string; readonly splitKey: string },
  router: string,
): number {
  const reading = splitOf(document, rollout);
  if (reading.kind === "unknown")
    throw new ShiftFailedError(router, splitWeights(0), splitWeights(0), `${reading.reason}.`);
  return reading.percent;
}

/**
 * A flag router's shift whose deployment completed, verified by reading the deployed document back
 * (`document`, read only when needed): settled when it holds the split asked for, `ShiftFailedError` with
 * `why` otherwise. A restored previous version is taken as it is: whatever it says is what the rollback asked.
 */
export async function verifiedShift(
  rollout: { readonly flag: string; readonly splitKey: string; readonly rollbackTo: "off" | "previous" },
  weights: ColourWeights,
  check: { readonly router: string; readonly why: string; readonly document: () => Promise<FlagDocument> },
): Promise<SetWeightsResult> {
  if (!restoresPrevious(rollout, weights.green)) {
    const observed = deployedSplit(await check.document(), rollout, check.router);
    if (observed !== weights.green)
      throw new ShiftFailedError(check.router, weights, splitWeights(observed), check.why);
  }
  return { changed: true, weights, settled: true };
}
