import type { Decision } from "../../functions/domain/deployment.ts";
import { inPlanOrder, isEvaluation } from "../../functions/domain/exposure.ts";
import { gateActions, type HumanAction } from "../../functions/domain/gates.ts";
import { readStatus, type StatusStores } from "../status/snapshot.ts";
import { type StatusView, statusView } from "../status/view.ts";

/** One evaluation of the wave that runs, as the page charts it (one after another, in plan order). */
export interface PagePoint {
  readonly at: string;
  readonly weight: number;
  /** Each arm's 5xx rate (errors / requests since its phase's shift) and p95, null without requests. */
  readonly old: { readonly errorRate: number | null; readonly p95Ms: number | null };
  readonly new: { readonly errorRate: number | null; readonly p95Ms: number | null };
}

/** What the live page shows: the status tree, and of the wave that runs (or ran last) its evaluations, log and gate. */
export interface PageData {
  /** Nothing is deployed yet (the run has published nothing, or its record is not written yet). */
  readonly waiting?: string;
  readonly view?: StatusView;
  readonly current?: {
    readonly deploymentId: string;
    readonly environment: string;
    readonly region?: string;
    readonly status: string;
    readonly weights: { readonly old: number; readonly new: number };
  };
  readonly points: readonly PagePoint[];
  readonly decisions: readonly Pick<Decision, "at" | "action" | "actor" | "reason">[];
  readonly gate?: {
    readonly deploymentId: string;
    /** Absent for a bake, which opens a new gate at every evaluation: the decision goes to whichever is open. */
    readonly gateId?: string;
    readonly label: string;
    readonly actions: readonly HumanAction[];
  };
}

/** Reads what the page shows of `id` (a promotion or a deployment) from the run's records. */
export async function pageData(id: string | undefined, stores: StatusStores): Promise<PageData> {
  if (id === undefined) return { waiting: "nothing deployed yet", points: [], decisions: [] };
  const snapshot = await readStatus(id, stores, undefined).catch((error: Error) => error);
  if (snapshot instanceof Error) return { waiting: snapshot.message, points: [], decisions: [] };
  const view = statusView(snapshot);
  const current = snapshot.current;
  const deployment = current === undefined ? undefined : snapshot.deployments[current.deploymentId];
  const gate = current?.openGate;
  return {
    view,
    ...(deployment === undefined
      ? {}
      : {
          current: {
            deploymentId: deployment.id,
            environment: deployment.environment,
            ...(deployment.region === undefined ? {} : { region: deployment.region }),
            status: deployment.status,
            weights: deployment.weights,
          },
        }),
    // In plan order: an evaluation's time is its bake's own clock, which a pause leaves behind the wall's.
    points: inPlanOrder(current?.decisions ?? []).flatMap((decision) => pointOf(decision) ?? []),
    decisions: (current?.decisions ?? []).map(({ at, action, actor, reason }) => ({
      at,
      action,
      actor,
      reason,
    })),
    ...(gate === undefined || gate.status !== "open"
      ? {}
      : {
          gate: {
            deploymentId: gate.deploymentId,
            ...(gate.kind === "bake" ? {} : { gateId: gate.gateId }),
            label: gate.label,
            actions: gateActions(gate),
          },
        }),
  };
}

/** An evaluation as a chart point; undefined for any other decision. */
export function pointOf(decision: Decision): PagePoint | undefined {
  if (!isEvaluation(decision)) return undefined;
  const values = decision.values as {
    phase: { weight: number };
    old?: { requests: number; errors: number; p95Ms?: number };
    new?: { requests: number; errors: number; p95Ms?: number };
  };
  const arm = (metrics: { requests: number; errors: number; p95Ms?: number } | undefined) => ({
    errorRate: metrics === undefined || metrics.requests === 0 ? null : metrics.errors / metrics.requests,
    p95Ms: metrics?.p95Ms ?? null,
  });
  return { at: decision.at, weight: values.phase.weight, old: arm(values.old), new: arm(values.new) };
}

/** The live page's source over the run's stores, for the local run (local/callback-server.ts). */
export function livePage(stores: StatusStores): (id: string | undefined) => Promise<PageData> {
  return (id) => pageData(id, stores);
}
