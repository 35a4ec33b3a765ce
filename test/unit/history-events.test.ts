import { describe, expect, it } from "vitest";
import { awsHistoryEvents } from "../../local/history-events.ts";
import type { RenderedStateMachine } from "../../local/render-asl.ts";
import type { ExecutionEvent } from "../../local/run-execution.ts";

/** A machine with one state of each kind the strategies use. */
const machine: RenderedStateMachine = {
  strategy: "canary",
  name: "test",
  definition: { StartAt: "Evaluate", States: {} },
  tasks: {
    Evaluate: { kind: "step", step: "evaluate" },
    "Wait for decision": { kind: "callback", step: "open-gate" },
    "Run wave": { kind: "nested" },
  },
  states: {
    Evaluate: "Task",
    "Wait for decision": "Task",
    "Run wave": "Task",
    Bake: "Parallel",
    "Bake timer": "Wait",
    "Bake complete?": "Choice",
    Rollback: "Fail",
  },
};

const at = (type: string, state?: string): ExecutionEvent => ({
  type,
  timestamp: 0,
  ...(state === undefined ? {} : { state }),
});
const through = (state: string) => [at("StateEntered", state), at("StateExited", state)];

describe("awsHistoryEvents", () => {
  it("counts an execution's start and end, and a Lambda task's five events", () => {
    const events = [at("ExecutionStarted"), ...through("Evaluate"), at("ExecutionSucceeded")];
    expect(awsHistoryEvents(machine, events)).toBe(2 + 5);
  });

  it("counts six for a task that waits on a token or a child execution (TaskSubmitted), two for a Choice or a Wait", () => {
    const events = [...through("Wait for decision"), ...through("Run wave"), ...through("Bake complete?")];
    expect(awsHistoryEvents(machine, [...events, ...through("Bake timer")])).toBe(6 + 6 + 2 + 2);
  });

  it("counts a Parallel's four events and none for the engine's branch events", () => {
    const events = [
      at("StateEntered", "Bake"),
      at("ParallelBranchStarted"),
      ...through("Bake timer"),
      at("ParallelBranchSucceeded"),
      at("StateExited", "Bake"),
    ];
    expect(awsHistoryEvents(machine, events)).toBe(4 + 2);
  });

  it("counts a retry as TaskFailed and the task scheduled and started again", () => {
    const events = [
      at("StateEntered", "Evaluate"),
      at("StateFailed", "Evaluate"),
      at("StateRetried", "Evaluate"),
      at("StateExited", "Evaluate"),
    ];
    expect(awsHistoryEvents(machine, events)).toBe(5 + 1 + 2);
  });

  it("counts a caught failure as TaskFailed and TaskStateExited, and what the failed Parallel left running as aborted", () => {
    const events = [
      at("StateEntered", "Bake"),
      at("StateEntered", "Wait for decision"),
      at("StateEntered", "Bake timer"),
      at("StateFailed", "Wait for decision"),
      at("StateFailed", "Bake"),
      at("StateCaught", "Bake"),
      at("StateExited", "Bake"),
    ];
    // Bake: entered, started, failed, exited; the gate: entered, scheduled, started, submitted, failed; the timer: entered, aborted.
    expect(awsHistoryEvents(machine, events)).toBe(4 + 5 + 2);
  });

  it("counts a Fail state's one event and the execution's failure", () => {
    const events = [at("ExecutionStarted"), at("StateEntered", "Rollback"), at("ExecutionFailed")];
    expect(awsHistoryEvents(machine, events)).toBe(3);
  });
});
