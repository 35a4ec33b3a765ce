import { describe, expect, it } from "vitest";
import { z } from "zod";
import { readEnv } from "../../functions/shared/env.ts";

const schema = z.object({
  TABLE_NAME: z.string().min(1),
  EVENT_BUS_NAME: z.string().min(1),
  MAX_ATTEMPTS: z.coerce.number().int().min(1),
});

describe("readEnv", () => {
  it("returns the parsed variables", () => {
    // Prepare
    const env = { TABLE_NAME: "state", EVENT_BUS_NAME: "glidepath", MAX_ATTEMPTS: "3", UNRELATED: "x" };

    // Act
    const parsed = readEnv(schema, env);

    // Assess
    expect(parsed).toEqual({ TABLE_NAME: "state", EVENT_BUS_NAME: "glidepath", MAX_ATTEMPTS: 3 });
  });

  it("names every missing or invalid variable in one error, without their values", () => {
    // Prepare
    const env = { EVENT_BUS_NAME: "glidepath", MAX_ATTEMPTS: "secret-ish" };

    // Act
    const read = () => readEnv(schema, env);

    // Assess
    expect(read).toThrow(/^Missing or invalid environment: TABLE_NAME \(required\), MAX_ATTEMPTS \(.+\)$/);
    expect(read).not.toThrow("secret-ish");
  });

  it("reads process.env by default", () => {
    // Prepare
    const name = "GLIDEPATH_READ_ENV_TEST";
    process.env[name] = "present";

    // Act
    const parsed = readEnv(z.object({ [name]: z.string() }));
    delete process.env[name];

    // Assess
    expect(parsed).toEqual({ [name]: "present" });
  });
});
