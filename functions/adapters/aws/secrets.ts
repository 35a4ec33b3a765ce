import { GetSecretValueCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";

export interface CachedSecretOptions {
  /** Read one field of a JSON secret (`{"botToken": "…", "signingSecret": "…"}`) instead of the whole string. */
  readonly field?: string;
  /** Milliseconds since the epoch. @default Date.now */
  readonly now?: () => number;
}

/**
 * A secret read at most once per `ttlMs` per execution environment: create it at module scope, call it per request.
 * Concurrent calls share one GetSecretValue; a failed read is not cached, so the next call tries again. A rotated
 * secret is picked up within `ttlMs`. Errors name the secret, never its value.
 */
export function cachedSecret(
  client: SecretsManagerClient,
  secretId: string,
  ttlMs = 5 * 60_000,
  options: CachedSecretOptions = {},
): () => Promise<string> {
  const now = options.now ?? Date.now;
  let cached: { readonly value: Promise<string>; readonly fetchedAt: number } | undefined;

  const read = async (): Promise<string> => {
    const output = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (output.SecretString === undefined) {
      throw new Error(`secret ${secretId} has no SecretString: binary secrets are not supported`);
    }
    if (options.field === undefined) return output.SecretString;
    let parsed: unknown;
    try {
      parsed = JSON.parse(output.SecretString);
    } catch {
      throw new Error(`secret ${secretId} is not JSON, so it has no field '${options.field}'`);
    }
    const value =
      typeof parsed === "object" && parsed !== null
        ? (parsed as Record<string, unknown>)[options.field]
        : undefined;
    if (typeof value !== "string" || value === "") {
      throw new Error(`secret ${secretId} has no string field '${options.field}'`);
    }
    return value;
  };

  return () => {
    const at = now();
    if (cached !== undefined && at - cached.fetchedAt < ttlMs) return cached.value;
    const value = read();
    const entry = { value, fetchedAt: at };
    cached = entry;
    value.catch(() => {
      if (cached === entry) cached = undefined;
    });
    return value;
  };
}
