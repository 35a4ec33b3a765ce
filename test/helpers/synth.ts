import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { App, type CfnElement, Stack } from "aws-cdk-lib";
import type { Template } from "aws-cdk-lib/assertions";
import type { IRole } from "aws-cdk-lib/aws-iam";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { afterAll } from "vitest";
import type { GlidepathConfigInput } from "../../functions/domain/config/index.ts";

export interface TestAppOptions {
  /**
   * Run esbuild for Lambda assets, as `cdk synth` does.
   * @default false - assets are not bundled, which saves esbuild's time per function
   */
  readonly bundle?: boolean;
  /**
   * Extra app context.
   * @default - none
   */
  readonly context?: Record<string, unknown>;
}

/**
 * Returns a factory of Apps for one test file. Each App writes its cloud assembly to its own temp dir (otherwise
 * every `Template.fromStack` leaves a cdk.out folder in /tmp), and all of them are removed after the file's
 * tests. Call it at the top level of a `describe`.
 *
 * CDK's built-in CloudFormation schema validation is off: loading the schemas costs ~1 s per test file, and the
 * app entry tests, which run the app as `cdk synth` does, keep it on.
 */
export function useTestApps(): (options?: TestAppOptions) => App {
  const outdirs: string[] = [];
  afterAll(() => {
    for (const outdir of outdirs) rmSync(outdir, { recursive: true, force: true });
  });
  return (options = {}) => {
    const outdir = mkdtempSync(join(tmpdir(), "glidepath-cdk-"));
    outdirs.push(outdir);
    const skipBundling = options.bundle === true ? {} : { "aws:cdk:bundling-stacks": [] };
    return new App({
      outdir,
      builtinCloudFormationValidation: false,
      context: { ...skipBundling, ...options.context },
    });
  };
}

/** The smallest valid config: one locally deployed service with one environment. */
export const minimalConfigInput: GlidepathConfigInput = {
  services: [
    {
      name: "checkout",
      artifact: { type: "custom", source: "ci.test" },
      target: { type: "local" },
      environments: [{ name: "dev", account: "123456789012", region: "eu-west-1", strategy: "ECSAllAtOnce" }],
    },
  ],
};

/** An IAM policy statement as the synthesized template spells it. */
export interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

/** Every statement of the IAM policies attached to `role` in `template`, in order. */
export function roleStatements(template: Template, role: IRole | undefined): Statement[] {
  if (role === undefined) throw new Error("the construct has no role");
  const roleId = Stack.of(role).getLogicalId(role.node.defaultChild as CfnElement);
  const policies = Object.values(template.findResources("AWS::IAM::Policy")).filter((policy) =>
    JSON.stringify(policy.Properties.Roles).includes(roleId),
  );
  return policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

/**
 * What `statements` let their role invoke besides the `own` functions (each with its versions, `<arn>:*`, as
 * `grantInvoke` names them): the functions a state machine may call that are not its steps.
 */
export function invokedBesides(statements: readonly Statement[], own: readonly IFunction[]): unknown[] {
  const ownResources = own.flatMap((fn) => {
    const arn = Stack.of(fn).resolve(fn.functionArn);
    return [arn, { "Fn::Join": ["", [arn, ":*"]] }];
  });
  return statements
    .filter((statement) => [statement.Action].flat().includes("lambda:InvokeFunction"))
    .flatMap((statement) => [statement.Resource].flat())
    .filter((resource) => !ownResources.some((own) => isDeepStrictEqual(own, resource)));
}

/** An ARN in the stack's own partition, region and account, as the synthesized template spells it. */
export function stackArn(service: string, resource: string): unknown {
  return {
    "Fn::Join": [
      "",
      [
        "arn:",
        { Ref: "AWS::Partition" },
        `:${service}:`,
        { Ref: "AWS::Region" },
        ":",
        { Ref: "AWS::AccountId" },
        `:${resource}`,
      ],
    ],
  };
}

/** asl-validator's verdict on an ASL definition (it is CommonJS without type declarations). */
export const validateAsl = createRequire(import.meta.url)("asl-validator") as (definition: unknown) => {
  isValid: boolean;
  errors: unknown[];
};

/** The state named `name` anywhere in an ASL definition: in Map item processors and Parallel branches too. */
export function findState(definition: unknown, name: string): unknown {
  if (typeof definition !== "object" || definition === null) return undefined;
  const states = (definition as { States?: Record<string, unknown> }).States ?? {};
  if (name in states) return states[name];
  for (const state of Object.values(states)) {
    const inner = state as { ItemProcessor?: unknown; Iterator?: unknown; Branches?: unknown[] };
    for (const child of [inner.ItemProcessor, inner.Iterator, ...(inner.Branches ?? [])]) {
      const found = findState(child, name);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}
