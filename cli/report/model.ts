import { recordedVerdict } from "../../functions/domain/analysis/experiment.ts";
import {
  type Artifact,
  type Decision,
  DecisionAction,
  type Deployment,
  isTerminal,
} from "../../functions/domain/deployment.ts";
import type { EvaluationValues } from "../../functions/domain/evaluation-values.ts";
import {
  type ExposureValues,
  firstShiftAt,
  inPlanOrder,
  isEvaluation,
} from "../../functions/domain/exposure.ts";
import { isPromotionOver } from "../../functions/domain/promotion/record.ts";
import { formatDuration } from "../format.ts";
import type { ReportSnapshot } from "./read.ts";

/** What `glidepath report` prints, in Markdown or HTML: a promotion (or one deployment) from start to end. */
export interface ReportModel {
  readonly kind: "promotion" | "deployment";
  readonly id: string;
  readonly service: string;
  readonly artifact: Artifact;
  readonly status: string;
  readonly reason?: string;
  /** Who asked for the promotion, when a human did. */
  readonly requestedBy?: string;
  /** The promotion a lone deployment is part of. */
  readonly promotionId?: string;
  readonly readAt: string;
  readonly environments: readonly EnvironmentReport[];
  /** Every event of the promotion, its environments, waves, phases and decisions, in time order. */
  readonly timeline: readonly TimelineEntry[];
  /** The promotion's own decisions (entering environments, freezes, hooks, its end); none for a deployment. */
  readonly decisions: readonly DecisionReport[];
  /** Every wave's exposure added up. */
  readonly exposure: ExposureTotal;
}

export interface EnvironmentReport {
  readonly name: string;
  readonly status: string;
  readonly enteredAt?: string;
  readonly endedAt?: string;
  readonly reason?: string;
  readonly approval?: { readonly by: string; readonly at: string };
  readonly waves: readonly WaveReport[];
}

/** One wave: its deployment's record, phases, decisions, exposure and chart series. */
export interface WaveReport {
  readonly deploymentId: string;
  /** The environment, and the region when the environment deploys several as waves. */
  readonly name: string;
  /** NOT_STARTED while its deployment does not exist. */
  readonly status: Deployment["status"] | "NOT_STARTED";
  /** The final status the promotion recorded for the wave. */
  readonly outcome?: string;
  readonly reason?: string;
  readonly strategy?: string;
  readonly attempt?: number;
  readonly createdAt?: string;
  readonly updatedAt?: string;
  readonly phases: readonly PhaseReport[];
  readonly decisions: readonly DecisionReport[];
  /** Absent while the wave has not started. */
  readonly exposure?: WaveExposure;
  /** One point per evaluation, in time order: what the charts draw. */
  readonly series: readonly SeriesPoint[];
}

/** A phase of the plan as its evaluations saw it. */
export interface PhaseReport {
  /** 1-based, as the decision log and gate ids count phases. */
  readonly number: number;
  readonly weight: number;
  /** The watch window after 100%. */
  readonly watch: boolean;
  /** When traffic moved to its weight: its first evaluation's time less the seconds baked by then. */
  readonly startedAt: string;
  /** Seconds baked by its last evaluation. */
  readonly bakedSeconds: number;
  /** Seconds planned. */
  readonly bakeSeconds: number;
  readonly evaluations: number;
  /** The last evaluation's action (`continue`, `extend`, `pause`, `rollback`) and time. */
  readonly lastAction: string;
  readonly lastAt: string;
}

/** A decision of the log; an evaluation's with the numbers it judged, any other's with its values. */
export interface DecisionReport {
  readonly at: string;
  readonly action: string;
  readonly actor: string;
  readonly reason: string;
  readonly evaluation?: EvaluationReport;
  /** The values of a decision that is not an evaluation. */
  readonly values?: Readonly<Record<string, unknown>>;
}

export interface EvaluationReport {
  /** 1-based. */
  readonly phase: number;
  readonly weight: number;
  readonly watch: boolean;
  readonly elapsedSeconds: number;
  readonly bakeSeconds: number;
  /** Counts since the phase's shift (cumulative over its evaluations). */
  readonly old: ArmReport;
  readonly new: ArmReport;
  /** The two-arm comparison's e-values against their bounds; absent when it was not applicable (no old arm). */
  readonly comparison?: {
    readonly failEValue: number;
    readonly failBound: number;
    readonly passEValue: number;
    readonly passBound: number;
  };
  /** The new arm's 5xx rate tested against the limit. */
  readonly errorRateLimit?: { readonly eValue: number; readonly bound: number; readonly limit: number };
  readonly alarms: readonly { readonly name: string; readonly state: string }[];
  readonly missingAlarms: readonly string[];
}

export interface ArmReport {
  readonly requests: number;
  readonly errors: number;
  readonly errorRate: number | null;
  readonly p95Ms: number | null;
}

/** One evaluation on the charts: the weight, and each arm's 5xx rate and p95 since the phase's shift. */
export interface SeriesPoint {
  readonly at: string;
  readonly weight: number;
  readonly old: { readonly errorRate: number | null; readonly p95Ms: number | null };
  readonly new: { readonly errorRate: number | null; readonly p95Ms: number | null };
}

/** What the new version of one wave served, and how long it took to detect a fault and take traffic back. */
export interface WaveExposure {
  /** What the record step measured (the `exposure` decision); absent when it recorded none. */
  readonly served?: {
    readonly requests: number;
    readonly errors: number;
    readonly errorRate: number | null;
    /** ISO-8601: the first shift of traffic to the new version. */
    readonly from: string;
    /** ISO-8601: traffic back on the old version, or the new one at 100%. */
    readonly to: string;
  };
  /** The first shift of traffic to the new version, from the exposure or the first evaluation. */
  readonly firstShiftAt?: string;
  /** The first decision to roll back. */
  readonly detection?: { readonly at: string; readonly actor: string; readonly reason: string };
  /** Whole seconds from the first shift to the detection. */
  readonly secondsToDetection?: number;
  /** Whole seconds from the first shift to traffic back on the old version (a rollback's exposure end). */
  readonly secondsToTrafficBack?: number;
  /** The users an experiment counted on each arm, when one was judged. */
  readonly usersAffected?: UsersAffected;
}

/** The experiment's verdict counts: the denominators of its metric (`decideOn`) per arm. */
export interface UsersAffected {
  readonly metric: string;
  readonly treatment: number;
  readonly control: number;
}

/** The exposure of every wave that started, added up. */
export interface ExposureTotal {
  readonly requests: number;
  readonly errors: number;
  readonly errorRate: number | null;
  /** Waves whose exposure was recorded: the sums are theirs. */
  readonly recordedWaves: number;
  /** Waves that started but have no exposure recorded. */
  readonly unrecordedWaves: number;
  readonly usersAffected?: { readonly treatment: number; readonly control: number };
}

export interface TimelineEntry {
  readonly at: string;
  /** `promotion`, or the environment (with its region) it happened in. */
  readonly where: string;
  readonly event: string;
  readonly detail?: string;
}

/** The values of an evaluation as the decision log keeps them, with the phase it judged. */
type EvaluatedValues = Partial<EvaluationValues> & {
  readonly phase: { index: number; weight: number; bakeSeconds: number; gates?: readonly string[] };
};

/** Pure: the snapshot as the report's sections. */
export function reportModel(snapshot: ReportSnapshot): ReportModel {
  const { promotion } = snapshot;
  const environments: EnvironmentReport[] =
    promotion === undefined
      ? loneEnvironments(snapshot)
      : promotion.environments.map((environment) => ({
          name: environment.name,
          status: environment.status,
          ...optional("enteredAt", environment.enteredAt),
          ...optional("endedAt", environment.endedAt),
          ...optional("reason", environment.reason),
          ...optional("approval", environment.approval),
          waves: environment.waves.map((wave) =>
            waveReport(
              snapshot,
              environment.name,
              wave.deploymentId,
              wave.region ?? wave.place?.region,
              wave.outcome,
            ),
          ),
        }));
  const waves = environments.flatMap((environment) => environment.waves);
  const lone = snapshot.deploymentId === undefined ? undefined : snapshot.deployments[snapshot.deploymentId];
  const source = promotion ?? lone;
  const promotionDecisions = promotion === undefined ? [] : (snapshot.decisions[promotion.id] ?? []);
  return {
    kind: promotion === undefined ? "deployment" : "promotion",
    id: promotion?.id ?? lone?.id ?? "",
    service: source?.service ?? "",
    artifact: source?.artifact ?? { uri: "", digest: "", version: "" },
    status: promotion?.status ?? lone?.status ?? "UNKNOWN",
    ...optional("reason", promotion === undefined ? lone?.statusReason : promotion.reason),
    ...optional("requestedBy", promotion?.requestedBy),
    ...optional("promotionId", lone?.promotionId),
    readAt: snapshot.readAt,
    environments,
    timeline: timeline(snapshot, environments),
    decisions: promotionDecisions.map(decisionReport),
    exposure: exposureTotal(waves),
  };
}

function loneEnvironments(snapshot: ReportSnapshot): EnvironmentReport[] {
  const lone = snapshot.deploymentId === undefined ? undefined : snapshot.deployments[snapshot.deploymentId];
  if (lone === undefined) return [];
  return [
    {
      name: lone.environment,
      status: lone.status,
      waves: [waveReport(snapshot, lone.environment, lone.id, lone.region, undefined)],
    },
  ];
}

function waveReport(
  snapshot: ReportSnapshot,
  environment: string,
  deploymentId: string,
  region: string | undefined,
  outcome: string | undefined,
): WaveReport {
  const deployment = snapshot.deployments[deploymentId];
  const place = region ?? deployment?.region;
  const name = place === undefined ? environment : `${environment} ${place}`;
  if (deployment === undefined) {
    return { deploymentId, name, status: "NOT_STARTED", phases: [], decisions: [], series: [] };
  }
  const decisions = inTimeOrder(snapshot.decisions[deploymentId] ?? []);
  const evaluations = decisions.filter(isEvaluation);
  return {
    deploymentId,
    name,
    status: deployment.status,
    ...optional("outcome", outcome),
    ...optional("reason", deployment.statusReason),
    strategy: deployment.strategy,
    attempt: deployment.attempt,
    createdAt: deployment.createdAt,
    updatedAt: deployment.updatedAt,
    phases: phases(evaluations),
    decisions: decisions.map(decisionReport),
    exposure: waveExposure(decisions),
    // In plan order: a pause leaves an evaluation's bake clock behind the wall's.
    series: inPlanOrder(evaluations).map((decision) => {
      const evaluation = evaluationReport(evaluatedValues(decision));
      const point = (arm: ArmReport) => ({ errorRate: arm.errorRate, p95Ms: arm.p95Ms });
      return {
        at: decision.at,
        weight: evaluation.weight,
        old: point(evaluation.old),
        new: point(evaluation.new),
      };
    }),
  };
}

/** The phases in plan order, each from its evaluations (which are in time order). */
function phases(evaluations: readonly Decision[]): PhaseReport[] {
  const byPhase = Map.groupBy(evaluations, (decision) => evaluatedValues(decision).phase.index);
  return [...byPhase.entries()]
    .sort(([one], [other]) => one - other)
    .flatMap(([index, judged]) => {
      const first = judged[0];
      const last = judged.at(-1);
      if (first === undefined || last === undefined) return [];
      const { phase } = evaluatedValues(first);
      return [
        {
          number: index + 1,
          weight: phase.weight,
          watch: (phase.gates ?? []).includes("watch"),
          startedAt: new Date(Date.parse(first.at) - elapsedSeconds(first) * 1000).toISOString(),
          bakedSeconds: Math.max(...judged.map(elapsedSeconds)),
          bakeSeconds: phase.bakeSeconds,
          evaluations: judged.length,
          lastAction: last.action,
          lastAt: last.at,
        },
      ];
    });
}

function decisionReport(decision: Decision): DecisionReport {
  const base = { at: decision.at, action: decision.action, actor: decision.actor, reason: decision.reason };
  return isEvaluation(decision)
    ? { ...base, evaluation: evaluationReport(evaluatedValues(decision)) }
    : { ...base, values: decision.values };
}

function evaluationReport(values: EvaluatedValues): EvaluationReport {
  const comparison = values.analysis?.errorRateComparison;
  const limit = values.analysis?.errorRateLimit;
  return {
    phase: values.phase.index + 1,
    weight: values.phase.weight,
    watch: (values.phase.gates ?? []).includes("watch"),
    elapsedSeconds: values.bake?.elapsedSeconds ?? 0,
    bakeSeconds: values.phase.bakeSeconds,
    old: armReport(values.old),
    new: armReport(values.new),
    ...(comparison?.applicable
      ? {
          comparison: {
            failEValue: comparison.failEValue,
            failBound: comparison.failBound,
            passEValue: comparison.passEValue,
            passBound: comparison.passBound,
          },
        }
      : {}),
    ...(limit === undefined
      ? {}
      : { errorRateLimit: { eValue: limit.eValue, bound: limit.bound, limit: limit.limit } }),
    alarms: (values.alarms ?? []).map(({ name, state }) => ({ name, state })),
    missingAlarms: values.missingAlarms ?? [],
  };
}

function armReport(values: EvaluationValues["old"] | undefined): ArmReport {
  const requests = values?.requests ?? 0;
  const errors = values?.errors ?? 0;
  return {
    requests,
    errors,
    errorRate: values?.errorRate ?? (requests === 0 ? null : errors / requests),
    p95Ms: values?.p95Ms ?? null,
  };
}

function waveExposure(decisions: readonly Decision[]): WaveExposure {
  const recorded = decisions.find((decision) => decision.action === DecisionAction.Exposure)?.values as
    | ExposureValues
    | undefined;
  const shiftedAt = recorded?.from ?? firstShiftAt(decisions);
  const detection = decisions.find((decision) => decision.action === DecisionAction.Rollback);
  const verdict = recordedVerdict(decisions);
  // Undefined without a first shift, or before it (a deploy that failed before any traffic moved).
  const since = (at: string) => {
    const seconds =
      shiftedAt === undefined ? -1 : Math.round((Date.parse(at) - Date.parse(shiftedAt)) / 1000);
    return seconds < 0 ? undefined : seconds;
  };
  return {
    ...(recorded === undefined
      ? {}
      : {
          served: {
            requests: recorded.requests,
            errors: recorded.errors,
            errorRate: rate(recorded.errors, recorded.requests),
            from: recorded.from,
            to: recorded.to,
          },
        }),
    ...optional("firstShiftAt", shiftedAt),
    ...(detection === undefined
      ? {}
      : {
          detection: { at: detection.at, actor: detection.actor, reason: detection.reason },
          ...optional("secondsToDetection", since(detection.at)),
          ...optional("secondsToTrafficBack", recorded === undefined ? undefined : since(recorded.to)),
        }),
    ...(verdict === undefined
      ? {}
      : {
          usersAffected: {
            metric: verdict.metric,
            treatment: verdict.treatment.denominator,
            control: verdict.control.denominator,
          },
        }),
  };
}

function exposureTotal(waves: readonly WaveReport[]): ExposureTotal {
  const started = waves.flatMap((wave) => (wave.exposure === undefined ? [] : [wave.exposure]));
  const served = started.flatMap((exposure) => (exposure.served === undefined ? [] : [exposure.served]));
  const users = started.flatMap((exposure) =>
    exposure.usersAffected === undefined ? [] : [exposure.usersAffected],
  );
  const requests = sum(served.map((entry) => entry.requests));
  const errors = sum(served.map((entry) => entry.errors));
  return {
    requests,
    errors,
    errorRate: rate(errors, requests),
    recordedWaves: served.length,
    unrecordedWaves: started.length - served.length,
    ...(users.length === 0
      ? {}
      : {
          usersAffected: {
            treatment: sum(users.map((entry) => entry.treatment)),
            control: sum(users.map((entry) => entry.control)),
          },
        }),
  };
}

/** The promotion's and every wave's events, in time order (events of one moment in the order they happen). */
function timeline(snapshot: ReportSnapshot, environments: readonly EnvironmentReport[]): TimelineEntry[] {
  const { promotion } = snapshot;
  const entries: TimelineEntry[] = [];
  const add = (at: string | undefined, where: string, event: string, detail?: string) => {
    if (at !== undefined) entries.push({ at, where, event, ...optional("detail", detail) });
  };
  if (promotion !== undefined) {
    add(
      promotion.createdAt,
      "promotion",
      "promotion created",
      `${promotion.artifact.version}${promotion.requestedBy === undefined ? "" : `, requested by ${promotion.requestedBy}`}`,
    );
    for (const decision of snapshot.decisions[promotion.id] ?? []) {
      add(decision.at, "promotion", `${decision.action} by ${decision.actor}`, decision.reason);
    }
    if (isPromotionOver(promotion.status)) {
      add(promotion.updatedAt, "promotion", `promotion ${promotion.status}`, promotion.reason);
    }
  }
  for (const environment of environments) {
    if (promotion !== undefined) {
      add(environment.enteredAt, environment.name, "environment entered");
      add(environment.approval?.at, environment.name, `approved by ${environment.approval?.by}`);
      add(environment.endedAt, environment.name, `environment ${environment.status}`, environment.reason);
    }
    for (const wave of environment.waves) {
      add(
        wave.createdAt,
        wave.name,
        "deployment created",
        `${wave.deploymentId}, ${wave.strategy}, attempt ${wave.attempt}`,
      );
      for (const phase of wave.phases) {
        add(
          phase.startedAt,
          wave.name,
          `traffic at ${phase.weight}%`,
          `${phase.watch ? "watch window" : `phase ${phase.number}`}: baked ${formatDuration(phase.bakedSeconds)} of ${formatDuration(phase.bakeSeconds)}`,
        );
      }
      for (const decision of wave.decisions) {
        add(decision.at, wave.name, `${decision.action} by ${decision.actor}`, decision.reason);
      }
      if (wave.status !== "NOT_STARTED" && isTerminal(wave.status)) {
        add(wave.updatedAt, wave.name, `deployment ${wave.status}`, wave.reason);
      }
    }
  }
  return inTimeOrder(entries);
}

function evaluatedValues(decision: Decision): EvaluatedValues {
  return decision.values as unknown as EvaluatedValues;
}

function elapsedSeconds(decision: Decision): number {
  return evaluatedValues(decision).bake?.elapsedSeconds ?? 0;
}

/** Stable: entries of one moment keep their order. */
function inTimeOrder<T extends { readonly at: string }>(entries: readonly T[]): T[] {
  return [...entries].sort((one, other) => Date.parse(one.at) - Date.parse(other.at));
}

function rate(errors: number, requests: number): number | null {
  return requests === 0 ? null : errors / requests;
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

/** `{ [key]: value }`, or nothing when the value is absent. */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
