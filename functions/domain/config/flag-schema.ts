import { z } from "zod";

/** AppConfig's pattern for flag keys. */
export const FlagKeySchema = z.string().regex(/^[a-z][a-zA-Z\d_-]{0,63}$/, {
  error: "must be an AppConfig flag key: a lowercase letter, then up to 63 letters, digits, _ or -",
});

/** What a feature-flag rollout changes and reads, whatever store holds the flag. */
export const FlagRolloutSchema = z.strictObject({
  /** The flag's key in the feature-flag configuration profile. */
  flag: FlagKeySchema,
  /** The context key the split hashes, so that a user stays on one variant. @default "userId" */
  splitKey: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, { error: "must be a context key such as userId" })
    .default("userId"),
  /**
   * What a rollback leaves: "off" (everyone on `control`), or "previous": the configuration version that was
   * deployed before this rollout, as it was. @default "off"
   */
  rollbackTo: z.enum(["off", "previous"]).default("off"),
  /**
   * Where the application's per-variant health metrics are (`Requests`, `Errors` and `Latency` with the
   * `Variant` dimension, see the README): the 5xx analysis, the latency check and alarm definitions read them
   * instead of a load balancer's.
   */
  metrics: z.strictObject({
    namespace: z.string().min(1).max(255),
    dimensions: z.record(z.string().min(1).max(255), z.string().min(1).max(1024)).default({}),
  }),
});

export type FlagRollout = z.output<typeof FlagRolloutSchema>;
