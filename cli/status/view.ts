import { type Decision, type Deployment, isTerminal } from "../../functions/domain/deployment.ts";
import type { EvaluationValues } from "../../functions/domain/evaluation-values.ts";
import { type Gate, gateActions } from "../../functions/domain/gates.ts";
import { isPromotionOver } from "../../functions/domain/promotion/record.ts";
import type { StatusSnapshot } from "./snapshot.ts";

/** An open gate: who may decide it, and the commands that do. */
export interface GateView {
  readonly gateId: string;
  readonly kind: Gate["kind"];
  readonly label: string;
  readonly openedAt: string;
  /** Empty: anyone who may put events on the Glidepath bus. */
  readonly approvers: readonly string[];
  readonly commands: readonly string[];
}

/** One arm of the last verdict's numbers. */
export interface ArmView {
  readonly requests: number;
  readonly errors: number;
  readonly errorRate: number | null;
  readonly p95Ms?: number;
}

/** Where a running (or the last) wave stands in its plan, from its latest evaluation. */
export interface PhaseView {
  /** 1-based, as the decision log and gate ids count phases. */
  readonly number: number;
  readonly weight: number;
  /** The watch window after 100% (`watchSeconds`). */
  readonly watch: boolean;
  readonly elapsedSeconds: number;
  readonly bakeSeconds: number;
  readonly verdict: {
    readonly action: string;
    readonly actor: string;
    readonly at: string;
    readonly reason: string;
    readonly old: ArmView;
    readonly new: ArmView;
    /** The two-arm comparison's e-values against their bounds; absent when it had no old arm. */
    readonly comparison?: {
      readonly fail: number;
      readonly failBound: number;
      readonly pass: number;
      readonly passBound: number;
    };
    readonly errorRateLimit: { readonly eValue: number; readonly bound: number; readonly limit: number };
  };
}

export interface WaveView {
  readonly deploymentId: string;
  readonly account?: string;
  readonly region?: string;
  /** NOT_STARTED until its deployment exists. */
  readonly status: Deployment["status"] | "NOT_STARTED";
  readonly reason?: string;
  readonly step?: string;
  readonly weights?: Deployment["weights"];
  readonly phase?: PhaseView;
  readonly gate?: GateView;
}

export interface EnvironmentView {
  readonly name: string;
  readonly status: string;
  readonly reason?: string;
  readonly approval?: { readonly by: string; readonly at: string };
  /** The irreversible hooks that had run in a FROZEN environment: why nothing was undone. */
  readonly irreversibleHooks?: readonly string[];
  readonly waves: readonly WaveView[];
}

/** What `glidepath status` prints, and, with `--json`, its last line. */
export interface StatusView {
  readonly kind: "promotion" | "deployment";
  readonly id: string;
  readonly service: string;
  readonly artifact: { readonly version: string; readonly digest: string; readonly uri: string };
  readonly status: string;
  readonly reason?: string;
  /** The promotion (or the lone deployment) has ended, as its record or its execution says. */
  readonly ended: boolean;
  readonly succeeded: boolean;
  readonly environments: readonly EnvironmentView[];
  /** Step Functions' view of the execution, and a note when it disagrees with the record. */
  readonly execution?: { readonly status: string; readonly stopDate?: string; readonly note?: string };
  readonly readAt: string;
}

/** Execution statuses that mean it stopped without success. */
const stoppedExecutions = new Set(["FAILED", "TIMED_OUT", "ABORTED"]);

/** Pure: the snapshot as a tree of promotion → environments → waves → the current phase and gate. */
export function statusView(snapshot: StatusSnapshot): StatusView {
  const { promotion } = snapshot;
  const lone = snapshot.deploymentId === undefined ? undefined : snapshot.deployments[snapshot.deploymentId];
  const recordEnded =
    promotion !== undefined
      ? isPromotionOver(promotion.status)
      : lone !== undefined && isTerminal(lone.status);
  const recordStatus = promotion?.status ?? lone?.status ?? "UNKNOWN";
  const stopped =
    !recordEnded && snapshot.execution !== undefined && stoppedExecutions.has(snapshot.execution.status);
  const execution =
    snapshot.execution === undefined
      ? undefined
      : {
          status: snapshot.execution.status,
          ...(snapshot.execution.stopDate === undefined ? {} : { stopDate: snapshot.execution.stopDate }),
          ...(stopped
            ? {
                note: `the execution is ${snapshot.execution.status} but the record says ${recordStatus}: it stopped without recording its end (stopped from the console, or a step failed for good); see its history in the Step Functions console`,
              }
            : {}),
        };
  const environments: EnvironmentView[] =
    promotion !== undefined
      ? promotion.environments.map((environment) => ({
          name: environment.name,
          status: environment.status,
          ...(environment.reason === undefined ? {} : { reason: environment.reason }),
          ...(environment.approval === undefined ? {} : { approval: environment.approval }),
          ...(environment.status === "FROZEN"
            ? {
                irreversibleHooks: promotion.hooks
                  .filter((hook) => hook.environment === environment.name && hook.irreversible && hook.passed)
                  .map((hook) => hook.hook),
              }
            : {}),
          waves: environment.waves.map((wave) =>
            waveView(snapshot, wave.deploymentId, wave.place?.account, wave.place?.region ?? wave.region),
          ),
        }))
      : lone === undefined
        ? []
        : [
            {
              name: lone.environment,
              status: lone.status,
              waves: [waveView(snapshot, lone.id, undefined, lone.region)],
            },
          ];
  const source = promotion ?? lone;
  return {
    kind: promotion === undefined ? "deployment" : "promotion",
    id: promotion?.id ?? lone?.id ?? "",
    service: source?.service ?? "",
    artifact: {
      version: source?.artifact.version ?? "",
      digest: source?.artifact.digest ?? "",
      uri: source?.artifact.uri ?? "",
    },
    status: recordStatus,
    ...((promotion?.reason ?? lone?.statusReason) === undefined
      ? {}
      : { reason: promotion?.reason ?? lone?.statusReason }),
    ended: recordEnded || stopped,
    succeeded:
      !stopped && (promotion !== undefined ? promotion.status === "PROMOTED" : lone?.status === "SUCCEEDED"),
    environments,
    ...(execution === undefined ? {} : { execution }),
    readAt: snapshot.readAt,
  };
}

function waveView(
  snapshot: StatusSnapshot,
  deploymentId: string,
  account: string | undefined,
  region: string | undefined,
): WaveView {
  const deployment = snapshot.deployments[deploymentId];
  const place = {
    ...(account === undefined ? {} : { account }),
    ...((region ?? deployment?.region) === undefined ? {} : { region: region ?? deployment?.region }),
  };
  if (deployment === undefined) return { deploymentId, ...place, status: "NOT_STARTED" };
  const current = snapshot.current?.deploymentId === deploymentId ? snapshot.current : undefined;
  const phase = current === undefined ? undefined : phaseView(current.decisions);
  const live = !isTerminal(deployment.status);
  return {
    deploymentId,
    ...place,
    status: deployment.status,
    ...(deployment.statusReason === undefined ? {} : { reason: deployment.statusReason }),
    ...(deployment.currentStep === undefined || !live ? {} : { step: deployment.currentStep }),
    weights: deployment.weights,
    ...(phase === undefined ? {} : { phase }),
    ...(current?.openGate === undefined || !live ? {} : { gate: gateView(current.openGate) }),
  };
}

type EvaluatedValues = EvaluationValues & {
  readonly phase: { index: number; weight: number; bakeSeconds: number; gates?: readonly string[] };
};

/**
 * The latest evaluation of the decision log (the analysis' or an alarm's), read as the phase it judged: the
 * furthest in the plan, by phase and then by time baked (an evaluation's time is its bake's own clock).
 */
function phaseView(decisions: readonly Decision[]): PhaseView | undefined {
  const progress = (decision: Decision) => {
    const values = decision.values as unknown as EvaluatedValues;
    return values.phase.index * 1e9 + (values.bake?.elapsedSeconds ?? 0);
  };
  const latest = decisions
    .filter((decision) => decision.actor === "analysis" || decision.actor.startsWith("alarm:"))
    .filter((decision) => (decision.values as { phase?: unknown }).phase !== undefined)
    .reduce<Decision | undefined>(
      (best, decision) => (best === undefined || progress(decision) >= progress(best) ? decision : best),
      undefined,
    );
  if (latest === undefined) return undefined;
  const values = latest.values as unknown as EvaluatedValues;
  const comparison = values.analysis?.errorRateComparison;
  const limit = values.analysis?.errorRateLimit;
  return {
    number: values.phase.index + 1,
    weight: values.phase.weight,
    watch: (values.phase.gates ?? []).includes("watch"),
    elapsedSeconds: values.bake?.elapsedSeconds ?? 0,
    bakeSeconds: values.phase.bakeSeconds,
    verdict: {
      action: latest.action,
      actor: latest.actor,
      at: latest.at,
      reason: latest.reason,
      old: arm(values.old),
      new: arm(values.new),
      ...(comparison?.applicable
        ? {
            comparison: {
              fail: comparison.failEValue,
              failBound: comparison.failBound,
              pass: comparison.passEValue,
              passBound: comparison.passBound,
            },
          }
        : {}),
      errorRateLimit: { eValue: limit?.eValue ?? 0, bound: limit?.bound ?? 0, limit: limit?.limit ?? 0 },
    },
  };
}

function arm(values: EvaluationValues["old"] | undefined): ArmView {
  return {
    requests: values?.requests ?? 0,
    errors: values?.errors ?? 0,
    errorRate: values?.errorRate ?? null,
    ...(values?.p95Ms === undefined ? {} : { p95Ms: values.p95Ms }),
  };
}

function gateView(gate: Gate): GateView {
  return {
    gateId: gate.gateId,
    kind: gate.kind,
    label: gate.label,
    openedAt: gate.openedAt,
    approvers: gate.approvers,
    // No --gate: a bake opens a new gate at every evaluation, and the CLI acts on whichever is open.
    commands: gateActions(gate).map((action) => `glidepath ${action} ${gate.deploymentId}`),
  };
}
