import type { RenderedStateMachine } from "./render-asl.ts";
import type { ExecutionEvent } from "./run-execution.ts";

/**
 * The history events a standard Step Functions execution would write for what the local engine ran, counted
 * from the engine's event log by the events AWS writes per state type (Step Functions stops an execution at
 * 25,000): the execution's start and end, one `…StateEntered` and one `…StateExited` per state, and for a Task
 * its `TaskScheduled`, `TaskStarted` and `TaskSucceeded` (a `waitForTaskToken` or `.sync` task a
 * `TaskSubmitted` more), for a Parallel or Map its `…StateStarted` and `…StateSucceeded` (a Map a
 * `MapIterationStarted` and `…Succeeded` per item), a failure's `…Failed`, a retry's `TaskScheduled` and
 * `TaskStarted` again, and an `…Aborted` for a state a failed Parallel left running. The engine's own
 * branch events have no AWS counterpart.
 */
export function awsHistoryEvents(machine: RenderedStateMachine, events: readonly ExecutionEvent[]): number {
  let count = 0;
  /** States entered and not yet exited, by name: what a failure leaves running is aborted. */
  const running = new Map<string, number>();
  const failed = new Set<string>();
  const change = (name: string, by: number) => running.set(name, (running.get(name) ?? 0) + by);
  for (const event of events) {
    const name = event.state ?? "";
    const type = machine.states[name];
    switch (event.type) {
      case "ExecutionStarted":
      case "ExecutionSucceeded":
      case "ExecutionFailed":
      case "ExecutionTerminated":
      case "MapIterationStarted":
      case "MapIterationSucceeded":
      case "MapIterationFailed":
        count += 1;
        break;
      case "StateEntered":
        change(name, 1);
        count += 1 + startedEvents(machine, name, type);
        break;
      case "StateExited":
        change(name, -1);
        // After a failure only the `…StateExited` of its Catch: its `…Failed` was counted with the failure.
        count += failed.delete(name) ? 1 : 1 + succeededEvents(type);
        break;
      case "StateFailed":
        failed.add(name);
        count += 1;
        break;
      case "StateRetried":
        failed.delete(name);
        count += 2;
        break;
      default:
        // StateCaught: no event of its own. ParallelBranch*: Step Functions writes none.
        break;
    }
  }
  for (const [name, left] of running) {
    // A Fail state ends the execution without exiting; anything else still running was aborted.
    if (left > 0 && machine.states[name] !== "Fail" && !failed.has(name)) count += left;
  }
  return count;
}

function startedEvents(machine: RenderedStateMachine, name: string, type: string | undefined): number {
  switch (type) {
    case "Task": {
      const kind = machine.tasks[name]?.kind;
      // TaskScheduled, TaskStarted, and TaskSubmitted for a task that waits on a token or a child execution.
      return kind === "callback" || kind === "nested" ? 3 : 2;
    }
    case "Parallel":
    case "Map":
      return 1;
    default:
      return 0;
  }
}

function succeededEvents(type: string | undefined): number {
  return type === "Task" || type === "Parallel" || type === "Map" ? 1 : 0;
}
