import { z } from "zod";

/** Names end up in execution names (80 characters at most), so they are short and URL-safe. */
export const name = (what: string) =>
  z.string({ error: `${what} must be a string` }).regex(/^[a-z][a-z0-9-]{0,23}$/, {
    error: `${what} must be 1-24 characters of lowercase letters, digits and '-', starting with a letter`,
  });

export const arn = (service: string, resource: RegExp, example: string) =>
  z
    .string({ error: `must be an ARN like ${example}` })
    .regex(new RegExp(`^arn:aws[a-z-]*:${service}:[a-z0-9-]+:\\d{12}:${resource.source}$`), {
      error: `must be an ARN like ${example}`,
    });

export const regionName = z
  .string()
  .regex(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/, { error: "must be an AWS region such as eu-west-1" });

export const positiveSeconds = (what: string) =>
  z
    .number()
    .int({ error: `${what} must be whole seconds` })
    .min(1, { error: `${what} must be at least 1` });
