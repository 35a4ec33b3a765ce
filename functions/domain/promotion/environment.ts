import { DecisionAction } from "../deployment.ts";
import type { PromotionCommand, PromotionEvent, Transition } from "./events.ts";
import { EnvironmentStatus, type Promotion, type PromotionEnvironmentRecord } from "./record.ts";
import { refuse, updated } from "./transition.ts";

export function environmentNamed(
  promotion: Promotion,
  event: PromotionEvent,
  name: string,
): PromotionEnvironmentRecord {
  const environment = promotion.environments.find((candidate) => candidate.name === name);
  return environment ?? refuse(promotion, event, `it has no environment ${name}`);
}

export function inProgress(
  promotion: Promotion,
  event: PromotionEvent,
  name: string,
): PromotionEnvironmentRecord {
  const environment = environmentNamed(promotion, event, name);
  if (environment.status !== EnvironmentStatus.InProgress) {
    return refuse(promotion, event, `${name} is ${environment.status}, not ${EnvironmentStatus.InProgress}`);
  }
  return environment;
}

export function replaceEnvironment(promotion: Promotion, environment: PromotionEnvironmentRecord): Promotion {
  return {
    ...promotion,
    environments: promotion.environments.map((candidate) =>
      candidate.name === environment.name ? environment : candidate,
    ),
  };
}

export function withEnvironment(
  promotion: Promotion,
  environment: PromotionEnvironmentRecord,
  at: string,
  commands: readonly PromotionCommand[] = [],
  rest: Omit<Transition, "promotion" | "commands"> = {},
): Transition {
  return updated(replaceEnvironment(promotion, environment), { updatedAt: at }, commands, rest);
}

export function log(
  promotion: Promotion,
  id: string,
  at: string,
  reason: string,
  values: Readonly<Record<string, unknown>>,
  action: (typeof DecisionAction)[keyof typeof DecisionAction] = DecisionAction.Promotion,
): PromotionCommand {
  return {
    type: "log",
    decision: { deploymentId: promotion.id, id, at, action, actor: "pipeline", reason, values },
  };
}
