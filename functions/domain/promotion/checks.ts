import { DecisionAction } from "../deployment.ts";
import { FreezeWindowError, HookFailedError } from "../errors.ts";
import { environmentNamed, inProgress, log } from "./environment.ts";
import type { PromotionEvent, Transition } from "./events.ts";
import { EnvironmentStatus, failedEnvironmentStatuses, type Promotion } from "./record.ts";
import { refuse, unchanged, updated } from "./transition.ts";

export function freezeChecked(
  promotion: Promotion,
  event: Extract<PromotionEvent, { type: "freeze-checked" }>,
): Transition {
  const environment = inProgress(promotion, event, event.environment);
  if (event.freeze === undefined) return unchanged(promotion, [], { output: { frozen: false } });
  const reason = `${environment.name} is frozen by '${event.freeze.window}' until ${event.freeze.until}`;
  const fail = event.onFreeze === "fail";
  return unchanged(
    promotion,
    [
      log(
        promotion,
        `freeze-${environment.name}-${event.freeze.window}`,
        event.at,
        fail ? `${reason}: onFreeze is "fail"` : `${reason}: waiting`,
        { ...event.freeze, onFreeze: event.onFreeze, environment: environment.name },
        DecisionAction.Freeze,
      ),
    ],
    {
      output: { frozen: true, ...event.freeze },
      ...(fail ? { failure: new FreezeWindowError(reason) } : {}),
    },
  );
}

export function hookAnswered(
  promotion: Promotion,
  event: Extract<PromotionEvent, { type: "hook-answered" }>,
): Transition {
  const environment = environmentNamed(promotion, event, event.environment);
  const undoing = event.stage === "undo";
  const expected = undoing ? failedEnvironmentStatuses : [EnvironmentStatus.InProgress];
  if (!expected.includes(environment.status)) {
    return refuse(
      promotion,
      event,
      `a ${event.stage} hook does not run while ${environment.name} is ${environment.status}`,
    );
  }
  const { answer } = event;
  const irreversible = event.irreversibleByConfig || answer.irreversible;
  const run = {
    environment: environment.name,
    stage: event.stage,
    hook: event.hook,
    passed: answer.passed,
    reason: answer.reason,
    irreversible,
    at: event.at,
  };
  const same = (other: typeof run) =>
    other.environment === run.environment && other.stage === run.stage && other.hook === run.hook;
  const verdict = `${event.stage} hook ${event.hook} ${answer.passed ? "passed" : "failed"}: ${answer.reason}`;
  return updated(
    promotion,
    { hooks: [...promotion.hooks.filter((other) => !same(other)), run], updatedAt: event.at },
    [
      {
        type: "log",
        decision: {
          deploymentId: promotion.id,
          id: `hook-${environment.name}-${event.stage}-${event.hook}`,
          at: event.at,
          action: DecisionAction.Hook,
          actor: event.actor,
          reason: verdict,
          values: {
            environment: environment.name,
            stage: event.stage,
            hook: event.hook,
            passed: answer.passed,
            irreversible,
            message: answer.reason,
          },
        },
      },
    ],
    {
      output: { passed: true },
      ...(!undoing && !answer.passed
        ? {
            failure: new HookFailedError(
              `${event.stage} hook ${event.hook} (${event.actor}) failed: ${answer.reason}`,
            ),
          }
        : {}),
    },
  );
}
