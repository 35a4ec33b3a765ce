import type { StrategyType } from "../functions/domain/config/index.ts";
import {
  type pipelineTag,
  type releasePipelineTag,
  type StepName,
  StepNames,
  stepEnvironmentVariable,
  strategyTagKey,
} from "../statemachines/step-functions.ts";

/** How a Task state runs locally. */
export type TaskBinding =
  /** A step function invoked for its response. */
  | { readonly kind: "step"; readonly step: StepName }
  /** A step function invoked with a task token (waitForTaskToken): the task waits until the token is resolved. */
  | { readonly kind: "callback"; readonly step: StepName }
  /** The lambda:invoke integration with a function named at run time (hooks). */
  | { readonly kind: "dynamic" }
  /** startExecution.sync:2 of another state machine of the stack: the pipeline's nested strategy execution. */
  | { readonly kind: "nested" };

/** What a state machine of the stack runs: a strategy, the promotion pipeline or the release pipeline. */
export type MachineKind = StrategyType | typeof pipelineTag | typeof releasePipelineTag;

export interface RenderedStateMachine {
  readonly strategy: MachineKind;
  readonly name: string;
  /** The ASL exactly as Step Functions receives it, with function ARNs filled in. */
  readonly definition: AslDefinition;
  /** Task state name → how it runs, for every Task at any depth. */
  readonly tasks: Readonly<Record<string, TaskBinding>>;
  /** Every state at any depth, name → Type, for wait overrides and coverage reports. */
  readonly states: Readonly<Record<string, string>>;
}

export interface AslDefinition {
  readonly StartAt: string;
  readonly States: Record<string, AslState>;
  readonly [key: string]: unknown;
}

interface AslState {
  readonly Type: string;
  readonly Resource?: string;
  readonly Parameters?: unknown;
  readonly Branches?: readonly AslDefinition[];
  readonly Iterator?: AslDefinition;
  readonly ItemProcessor?: AslDefinition;
  readonly [key: string]: unknown;
}

type Template = {
  readonly Resources: Record<
    string,
    { readonly Type: string; readonly Properties?: Record<string, unknown> }
  >;
};

const functionArn = (logicalId: string) => `arn:aws:lambda:local-1:000000000000:function:${logicalId}`;

/**
 * Reads the state machines (strategies and pipeline) out of a synthesized CloudFormation template: the same definitions
 * `cdk deploy` sends to Step Functions, with the CloudFormation references resolved to local ARNs.
 */
export function renderStateMachines(template: Template): Map<MachineKind, RenderedStateMachine> {
  const steps = new Map<string, StepName>();
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== "AWS::Lambda::Function") continue;
    const variables = (resource.Properties?.Environment as { Variables?: Record<string, string> } | undefined)
      ?.Variables;
    const step = variables?.[stepEnvironmentVariable];
    if (step !== undefined && (Object.values(StepNames) as string[]).includes(step))
      steps.set(functionArn(logicalId), step as StepName);
  }
  const machines = new Map<MachineKind, RenderedStateMachine>();
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== "AWS::StepFunctions::StateMachine") continue;
    const properties = resource.Properties ?? {};
    const tags = (properties.Tags ?? []) as { Key: string; Value: string }[];
    const strategy = tags.find((tag) => tag.Key === strategyTagKey)?.Value as MachineKind | undefined;
    if (strategy === undefined) continue;
    const definition = JSON.parse(resolve(properties.DefinitionString)) as AslDefinition;
    const tasks: Record<string, TaskBinding> = {};
    const states: Record<string, string> = {};
    walk(definition, (name, state) => {
      states[name] = state.Type;
      if (state.Type !== "Task" || state.Resource === undefined) return;
      if (state.Resource.endsWith(":states:::lambda:invoke")) {
        tasks[name] = { kind: "dynamic" };
        return;
      }
      if (state.Resource.endsWith(":states:::states:startExecution.sync:2")) {
        tasks[name] = { kind: "nested" };
        return;
      }
      const callback = state.Resource.endsWith(":states:::lambda:invoke.waitForTaskToken");
      const functionName = callback
        ? (state.Parameters as { FunctionName?: string } | undefined)?.FunctionName
        : state.Resource;
      const step = functionName === undefined ? undefined : steps.get(functionName);
      if (step === undefined) {
        throw new Error(
          `Task state '${name}' of ${strategy} invokes ${functionName ?? state.Resource}, which is no Glidepath step`,
        );
      }
      tasks[name] = { kind: callback ? "callback" : "step", step };
    });
    machines.set(strategy, {
      strategy,
      name: String(properties.StateMachineName ?? strategy),
      definition,
      tasks,
      states,
    });
  }
  return machines;
}

function walk(definition: AslDefinition, visit: (name: string, state: AslState) => void): void {
  for (const [name, state] of Object.entries(definition.States)) {
    visit(name, state);
    for (const branch of state.Branches ?? []) walk(branch, visit);
    const inner = state.ItemProcessor ?? state.Iterator;
    if (inner !== undefined) walk(inner, visit);
  }
}

/** Resolves the intrinsic functions CDK uses in a DefinitionString: Fn::Join, Fn::GetAtt of a function, Ref of pseudo parameters. */
function resolve(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value !== "object" || value === null) throw new Error(`cannot render ${JSON.stringify(value)}`);
  const node = value as Record<string, unknown>;
  if ("Fn::Join" in node) {
    const [separator, parts] = node["Fn::Join"] as [string, unknown[]];
    return parts.map(resolve).join(separator);
  }
  if ("Fn::GetAtt" in node) {
    const [logicalId, attribute] = node["Fn::GetAtt"] as [string, string];
    if (attribute !== "Arn") throw new Error(`cannot render Fn::GetAtt ${logicalId}.${attribute}`);
    return functionArn(logicalId);
  }
  if ("Ref" in node) {
    const pseudo: Record<string, string> = {
      "AWS::Partition": "aws",
      "AWS::Region": "local-1",
      "AWS::AccountId": "000000000000",
      "AWS::URLSuffix": "amazonaws.com",
    };
    const ref = String(node.Ref);
    const resolved = pseudo[ref];
    if (resolved === undefined) throw new Error(`cannot render Ref ${ref}`);
    return resolved;
  }
  throw new Error(`cannot render ${JSON.stringify(value)}`);
}
