import { type RunOptions, StateMachine } from "aws-local-stepfunctions";

type Overrides = NonNullable<RunOptions["overrides"]>;
type JSONValue = Parameters<StateMachine["run"]>[0];

import type { LocalTaskCallbacks } from "../functions/adapters/local/local-task-callbacks.ts";
import type { StepName } from "../statemachines/step-functions.ts";
import type { RenderedStateMachine } from "./render-asl.ts";

export type StepHandler = (event: unknown) => Promise<unknown>;

/** A function named at run time through lambda:invoke (a hook): gets its name and payload, returns its payload. */
export type InvokeHandler = (functionName: string, payload: unknown) => Promise<unknown>;

/**
 * Runs a nested execution (startExecution.sync:2) to its end: gets the StartExecution parameters, returns the
 * child's result. A child that does not succeed fails the parent's task as on AWS: `States.TaskFailed`.
 */
export type NestedHandler = (start: {
  readonly StateMachineArn: string;
  readonly Name: string;
  readonly Input: unknown;
}) => Promise<ExecutionResult>;

export interface ExecutionEvent {
  readonly type: string;
  readonly timestamp: number;
  readonly state?: string;
  readonly error?: string;
  readonly cause?: string;
}

export interface RunExecutionProps {
  readonly machine: RenderedStateMachine;
  readonly input: unknown;
  readonly executionName: string;
  readonly steps: Readonly<Record<StepName, StepHandler>>;
  readonly invoke?: InvokeHandler;
  readonly nested?: NestedHandler;
  /** Issues the task tokens of waitForTaskToken states; resolve-gate settles them. */
  readonly callbacks?: LocalTaskCallbacks;
  /** Milliseconds Wait states wait whatever their definition says: all of them, or by state name. @default as defined */
  readonly waitMs?: number | Readonly<Record<string, number>>;
  /** Milliseconds between retries of a state. @default as defined */
  readonly retryMs?: number;
  /** Called with every event as it happens, for progress output. */
  readonly onEvent?: (event: ExecutionEvent) => void;
  /** Aborting stops the execution where it is (Ctrl-C); the result is then ABORTED. */
  readonly signal?: AbortSignal;
}

export interface ExecutionResult {
  readonly status: "SUCCEEDED" | "FAILED" | "ABORTED";
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
  readonly events: readonly ExecutionEvent[];
  readonly executionArn: string;
}

/** The ARN a local execution gets, as Step Functions derives it from the machine and the execution's name. */
export function localExecutionArn(machineName: string, executionName: string): string {
  return `arn:aws:states:local-1:000000000000:execution:${machineName}:${executionName}`;
}

/**
 * Runs a synthesized state machine on aws-local-stepfunctions with every Task state answered in-process by
 * the step handler its function runs on AWS. Nothing of the workflow is written here: only the wiring.
 */
export async function runExecution(props: RunExecutionProps): Promise<ExecutionResult> {
  const { machine } = props;
  const executionArn = localExecutionArn(machine.name, props.executionName);
  const taskResourceLocalHandlers: Record<string, (input: JSONValue) => Promise<JSONValue>> = {};
  for (const [stateName, binding] of Object.entries(machine.tasks)) {
    taskResourceLocalHandlers[stateName] = (async (input: unknown) => {
      const { FunctionName, Payload } = input as { FunctionName: string; Payload: Record<string, unknown> };
      switch (binding.kind) {
        case "step":
          return props.steps[binding.step](input);
        case "callback": {
          if (props.callbacks === undefined)
            throw new Error(`state '${stateName}' waits for a task token, but no callbacks were given`);
          // A fresh token per task, as Step Functions issues: the context's $$.Task.Token is only a placeholder.
          const { taskToken, result } = props.callbacks.issue();
          await props.steps[binding.step]({ ...Payload, taskToken });
          return result;
        }
        case "nested": {
          if (props.nested === undefined)
            throw new Error(`state '${stateName}' starts a nested execution, but no nested runner was given`);
          const start = input as unknown as Parameters<NestedHandler>[0];
          const child = await props.nested(start);
          if (child.status !== "SUCCEEDED") {
            throw new NestedExecutionFailed(
              JSON.stringify({
                ExecutionArn: child.executionArn,
                Status: child.status,
                Error: child.error,
                Cause: child.cause,
              }),
            );
          }
          return {
            ExecutionArn: child.executionArn,
            Name: start.Name,
            Status: "SUCCEEDED",
            Output: child.output,
          } as unknown as JSONValue;
        }
        case "dynamic": {
          if (props.invoke === undefined)
            throw new Error(`state '${stateName}' invokes ${FunctionName}, but no hook runs locally`);
          return {
            Payload: await props.invoke(FunctionName, Payload),
            StatusCode: 200,
            ExecutedVersion: "$LATEST",
          };
        }
      }
    }) as (input: JSONValue) => Promise<JSONValue>;
  }
  const names = Object.keys(machine.states);
  const overrides: Overrides = { taskResourceLocalHandlers };
  const { waitMs } = props;
  if (typeof waitMs === "number") {
    const waits = names.filter((name) => machine.states[name] === "Wait");
    overrides.waitTimeOverrides = Object.fromEntries(waits.map((name) => [name, waitMs]));
  } else if (waitMs !== undefined) {
    overrides.waitTimeOverrides = { ...waitMs };
  }
  if (props.retryMs !== undefined) {
    overrides.retryIntervalOverrides = Object.fromEntries(names.map((name) => [name, props.retryMs ?? 0]));
  }
  const engine = new StateMachine(machine.definition as never, {
    validationOptions: { checkPaths: true, checkArn: true },
  });
  const execution = engine.run(props.input as never, {
    overrides,
    noThrowOnAbort: true,
    context: {
      Execution: {
        Id: executionArn,
        Name: props.executionName,
        Input: props.input,
        StartTime: new Date().toISOString(),
      },
      Task: { Token: "issued-per-task-by-the-local-runtime" },
      StateMachine: {
        Id: executionArn.replace(/:execution:(.+):[^:]+$/, ":stateMachine:$1"),
        Name: machine.name,
      },
    } as never,
  });
  const abort = () => execution.abort();
  props.signal?.addEventListener("abort", abort, { once: true });
  const events: ExecutionEvent[] = [];
  const collecting = (async () => {
    for await (const raw of execution.eventLogs) {
      const entry = raw as {
        type: string;
        timestamp: number;
        state?: { name: string };
        Error?: string;
        Cause?: unknown;
      };
      const event: ExecutionEvent = {
        type: entry.type,
        timestamp: entry.timestamp,
        ...(entry.state === undefined ? {} : { state: entry.state.name }),
        ...(entry.Error === undefined ? {} : { error: entry.Error }),
        ...(entry.Cause === undefined ? {} : { cause: String(entry.Cause) }),
      };
      events.push(event);
      props.onEvent?.(event);
    }
  })();
  try {
    const output = await execution.result;
    await collecting;
    if (props.signal?.aborted) return { status: "ABORTED", events, executionArn };
    return { status: "SUCCEEDED", output, events, executionArn };
  } catch (error) {
    await collecting;
    const failed = events.findLast((event) => event.type === "ExecutionFailed");
    return {
      status: "FAILED",
      error: failed?.error ?? (error as Error).name,
      cause: failed?.cause ?? (error as Error).message,
      events,
      executionArn,
    };
  } finally {
    props.signal?.removeEventListener("abort", abort);
  }
}

/** How Step Functions fails a .sync task whose child execution did not succeed. */
class NestedExecutionFailed extends Error {
  override readonly name = "States.TaskFailed";
}
