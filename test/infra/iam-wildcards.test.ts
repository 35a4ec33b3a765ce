import { readFileSync } from "node:fs";
import { isDeepStrictEqual } from "node:util";
import type { Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { AwsSolutionsChecks } from "cdk-nag";
import { beforeAll, describe, expect, it } from "vitest";
import type { GlidepathConfigInput } from "../../functions/domain/config/index.ts";
import { buildApp, type GlidepathApp } from "../../infra/app.ts";
import { wildcardActions } from "../../infra/constructs/wildcard-actions.ts";
import { checkoutApiFunction, sampleWithDefinedAlarm } from "../helpers/config-fixtures.ts";
import { type Statement, useTestApps } from "../helpers/synth.ts";

const production = "444455556666";

/**
 * The sample config (ECS services in two production regions, an AppConfig flag, local services) with a
 * Lambda function target in production and an alarm the config defines: every kind of target permission.
 */
function everyTargetKind(): GlidepathConfigInput {
  const input = sampleWithDefinedAlarm();
  input.services.push(checkoutApiFunction(production));
  return input;
}

/** A statement that allows something on `*`, and where it is. */
interface Wildcard {
  readonly stack: string;
  readonly resource: string;
  readonly actions: readonly string[];
  readonly condition?: unknown;
}

/** Every statement of every IAM policy (managed, inline on a role, or attached) with `*` among its resources. */
function wildcardStatements(stack: Stack): Wildcard[] {
  const resources = Template.fromStack(stack).toJSON().Resources as Record<
    string,
    { Type: string; Properties: Record<string, unknown> }
  >;
  return Object.entries(resources).flatMap(([resource, { Type, Properties }]) => {
    const documents =
      Type === "AWS::IAM::Policy" || Type === "AWS::IAM::ManagedPolicy"
        ? [Properties.PolicyDocument]
        : Type === "AWS::IAM::Role"
          ? ((Properties.Policies ?? []) as { PolicyDocument: unknown }[]).map(
              (policy) => policy.PolicyDocument,
            )
          : [];
    return documents
      .flatMap((document) => (document as { Statement: Statement[] }).Statement)
      .filter((statement) => statement.Effect === "Allow" && [statement.Resource].flat().includes("*"))
      .map((statement) => ({
        stack: stack.stackName,
        resource,
        actions: [statement.Action].flat(),
        ...(statement.Condition === undefined ? {} : { condition: statement.Condition }),
      }));
  });
}

describe("IAM statements on Resource '*', every stack of a config with every kind of target", () => {
  const newApp = useTestApps();
  let built: GlidepathApp;
  let wildcards: Wildcard[];

  beforeAll(() => {
    built = buildApp(everyTargetKind(), { app: newApp() });
    wildcards = [built.stack, ...built.targets].flatMap(wildcardStatements);
  });

  it("allow only actions the acknowledged list names, each under the condition the list requires", () => {
    // Act
    const unlisted = wildcards.flatMap((wildcard) =>
      wildcard.actions
        .filter((action) => {
          const listed = wildcardActions[action];
          return listed === undefined || !isDeepStrictEqual(listed.condition, wildcard.condition);
        })
        .map(
          (action) =>
            `${wildcard.stack} ${wildcard.resource}: ${action} ${JSON.stringify(wildcard.condition)}`,
        ),
    );

    // Assess
    expect(wildcards.length).toBeGreaterThan(0);
    expect(unlisted).toEqual([]);
  });

  it("are in every stack: the list names no action that no stack allows on '*'", () => {
    // Act
    const granted = new Set(wildcards.flatMap((wildcard) => wildcard.actions));

    // Assess
    expect(Object.keys(wildcardActions).filter((action) => !granted.has(action))).toEqual([]);
  });

  it("are each acknowledged for cdk-nag where they land: no AwsSolutions finding is left", () => {
    // Act
    const violations = [built.stack, ...built.targets].flatMap(
      (stack) => new AwsSolutionsChecks().validateScope(stack).violations,
    );

    // Assess
    expect(violations).toEqual([]);
  });

  it("leave tagging out: the deploy role tags a task definition of its own account+region only as RegisterTaskDefinition makes it", () => {
    // Prepare
    const west = built.targets.find((stack) => stack.stackName === `GlidepathTarget-${production}-eu-west-1`);
    if (west === undefined) throw new Error("no eu-west-1 target stack");

    // Act
    const [role] = Object.values(
      Template.fromStack(west).findResources("AWS::IAM::Role", {
        Properties: { RoleName: "glidepath-deploy-eu-west-1" },
      }),
    );
    const statements: Statement[] = role?.Properties.Policies[0].PolicyDocument.Statement ?? [];
    const tagging = statements.filter((statement) => [statement.Action].flat().includes("ecs:TagResource"));

    // Assess
    expect(tagging).toEqual([
      {
        Effect: "Allow",
        Action: "ecs:TagResource",
        Resource: `arn:aws:ecs:eu-west-1:${production}:task-definition/*`,
        Condition: { StringEquals: { "ecs:CreateAction": "RegisterTaskDefinition" } },
      },
    ]);
  });

  it("are the README's table of IAM wildcards, action for action with the same reason", () => {
    // Prepare
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const section = readme.slice(readme.indexOf("### Security checks"), readme.indexOf("## Decisions"));

    // Act
    const rows = [...section.matchAll(/^\| `([a-z0-9-]+:[A-Za-z]+)` *\| (.+?) *\|$/gm)].map(
      ([, action, why]) => [action, why],
    );

    // Assess
    expect(rows).toEqual(Object.entries(wildcardActions).map(([action, { why }]) => [action, why]));
  });
});
