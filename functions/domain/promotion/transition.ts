import { PromotionEventRefusedError } from "../errors.ts";
import type { PromotionCommand, PromotionEvent, Transition } from "./events.ts";
import type { Promotion } from "./record.ts";

/** The promotion with `changes` applied and its revision bumped. */
export function updated(
  promotion: Promotion,
  changes: Partial<Omit<Promotion, "id" | "revision">>,
  commands: readonly PromotionCommand[] = [],
  rest: Omit<Transition, "promotion" | "commands"> = {},
): Transition {
  return { promotion: { ...promotion, ...changes, revision: promotion.revision + 1 }, commands, ...rest };
}

/** Nothing to write: a redelivered event, or one that only asks for commands. */
export function unchanged(
  promotion: Promotion,
  commands: readonly PromotionCommand[] = [],
  rest: Omit<Transition, "promotion" | "commands"> = {},
): Transition {
  return { promotion, commands, ...rest };
}

/** An event the promotion cannot take where it is: refused with a named error, and nothing changes. */
export function refuse(promotion: Promotion, event: PromotionEvent, why: string): never {
  throw new PromotionEventRefusedError(
    `promotion ${promotion.id} (${promotion.status}) refuses ${event.type}: ${why}`,
  );
}
