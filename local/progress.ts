import { describeExperimentVerdict } from "../functions/domain/analysis/experiment.ts";
import type { Decision } from "../functions/domain/deployment.ts";
import type { LocalReleaseResult } from "./release-runtime.ts";
import type { LocalRunResult, RuntimeEvent } from "./runtime.ts";

const seconds = (ms: number) => `${(ms / 1000).toFixed(1).padStart(5)}s`;
const percent = (rate: unknown) => (typeof rate === "number" ? `${(rate * 100).toFixed(1)}%` : "-");
const ms = (value: unknown) => (typeof value === "number" ? `${Math.round(value)}ms` : "-");

/** States worth a line: the steps, the waits for humans or timers, and the ends. */
const shownTypes = new Set(["Task", "Parallel", "Succeed", "Fail"]);

/** The pipeline's waits: a line each, since nothing else happens while they last. */
const shownWaits = new Set([
  "Bake between waves",
  "Wait for the freeze to end",
  "Bake between service waves",
  "Wait for the release freeze to end",
  "Wait for release locks",
]);

/** The bake loop's turns: the decisions and gate lines already say what happens in them. */
const loopStates = new Set([
  "Evaluate alarms",
  "Bake",
  "Wait for decision",
  "Ring bake timer",
  "Ring approval timeout",
]);

/**
 * Turns runtime events into one line per change: a state entered once (not every turn of a bake loop), each
 * weight change, each decision with the per-arm numbers that drove it, each alarm state change, each status.
 */
export function progressPrinter(print: (line: string) => void): (event: RuntimeEvent) => void {
  let lastState = "";
  return (event) => {
    const at = `[${seconds(event.at)}]`;
    switch (event.kind) {
      case "phase":
        print(`${at} ${event.text}`);
        return;
      case "state":
        if (!(shownTypes.has(event.type) || shownWaits.has(event.state))) return;
        if (event.state === lastState || loopStates.has(event.state)) return;
        lastState = event.state;
        print(`${at} ▸ ${event.state}`);
        return;
      case "weights":
        print(`${at}   traffic   new ${event.weights.new}% · old ${event.weights.old}%`);
        return;
      case "decision":
        if (quiet(event.decision)) return;
        print(`${at}   ${describeDecision(event.decision)}`);
        return;
      case "alarm":
        print(
          `${at}   alarm     ${event.change.alarmName}: ${event.change.previousState.value} → ${event.change.state.value} (${event.change.state.reason})`,
        );
        return;
      case "status":
        print(`${at}   status    ${event.status}${event.reason === undefined ? "" : `: ${event.reason}`}`);
        return;
    }
  };
}

/**
 * Decisions that add nothing to the lines around them: the state machine's own rollback entry (the status line
 * says it next), the evaluation made in the instant of a shift, before the new weight saw any traffic, and a
 * promotion's end, which the notice line says.
 */
function quiet(decision: Decision): boolean {
  const fresh = (decision.values as { new?: { requests?: number } }).new;
  return (
    decision.actor === "state-machine" ||
    (decision.action === "extend" && fresh?.requests === 0) ||
    (decision.action === "promotion" && decision.id.startsWith("promotion-"))
  );
}

function describeDecision(decision: Decision): string {
  const values = decision.values as { old?: Record<string, unknown>; new?: Record<string, unknown> };
  const arm = (name: string, metrics: Record<string, unknown> | undefined) =>
    metrics === undefined
      ? ""
      : ` ${name} ${metrics.requests} req ${percent(metrics.errorRate)} 5xx p95 ${ms(metrics.p95Ms)}`;
  const arms = values.new === undefined ? "" : ` |${arm("old", values.old)} ·${arm("new", values.new)}`;
  return `${decision.action.padEnd(9)} ${decision.reason}${arms}`;
}

const timelineStates = new Set([
  "Start promotion",
  "Approve promotion",
  "Wait for the freeze to end",
  "Bake between waves",
  "Finish promotion",
  "Stop promotion",
  "Deploy new version",
  "Run smoke test",
  "Shift and bake",
  "Record rollback",
  "Record success",
  "Record deploy failure",
  "Deployed",
  "Rolled back",
  "Deploy failed",
  "Rollback failed",
]);

/** The end-of-run summary: result, timeline, requests per version, errors the new version served to users. */
export function summary(result: LocalRunResult): string[] {
  const lines = [
    "",
    `Result: ${result.status}${result.statusReason === undefined ? "" : ` — ${result.statusReason}`}`,
    `Pipeline execution: ${result.execution.executionArn}`,
    "Timeline:",
  ];
  const seen = new Set<string>();
  const timeline: { at: number; text: string }[] = [];
  for (const event of result.execution.events) {
    if (event.type !== "StateEntered" || event.state === undefined || seen.has(event.state)) continue;
    if (!timelineStates.has(event.state)) continue;
    seen.add(event.state);
    timeline.push({ at: event.timestamp - result.startedAt, text: event.state });
  }
  for (const environment of result.environments)
    for (const weight of environment.waveWeights) {
      const where = weight.region === undefined ? environment.name : `${environment.name} ${weight.region}`;
      timeline.push({ at: weight.at, text: `${where}: traffic ${weight.new}% on the new version` });
    }
  for (const entry of timeline.toSorted((a, b) => a.at - b.at))
    lines.push(`  ${seconds(entry.at)}  ${entry.text}`);
  lines.push("Environments:");
  for (const environment of result.environments) {
    const reason = environment.statusReason === undefined ? "" : ` — ${environment.statusReason}`;
    lines.push(
      `  ${environment.name.padEnd(12)} ${environment.status}${reason} (requests old ${environment.requests.old} · new ${environment.requests.new}, errors served by new ${environment.errorsServedByNew})`,
    );
    for (const wave of environment.waves) {
      const metrics = wave.verdicts.businessMetrics.map(
        (test) =>
          `${test.name} ${test.verdict}${test.lift === null ? "" : ` (${test.lift >= 0 ? "+" : ""}${(test.lift * 100).toFixed(1)}%)`}`,
      );
      lines.push(
        `    ${wave.region.padEnd(14)} account ${wave.account}  ${wave.status}${metrics.length === 0 ? "" : `  ${metrics.join(", ")}`}`,
      );
      if (wave.verdicts.paused !== null) lines.push(`      paused: ${wave.verdicts.paused.reason}`);
      if (wave.verdicts.experiment !== null)
        lines.push(`      experiment: ${describeExperimentVerdict(wave.verdicts.experiment)}`);
    }
  }
  if (result.promotions.length > 1) {
    lines.push("Promotions:");
    for (const promotion of result.promotions) {
      const reason = promotion.reason === undefined ? "" : ` — ${promotion.reason}`;
      lines.push(`  ${promotion.artifact.version.padEnd(12)} ${promotion.status}${reason} (${promotion.id})`);
    }
  }
  lines.push(
    `In ${result.environments.find((environment) => environment.requests === result.requests)?.name ?? "the last environment reached"}:`,
    `Requests served: old version ${result.requests.old}, new version ${result.requests.new}`,
    `Errors served to users by the new version: ${result.errorsServedByNew}`,
    `Duration: ${result.durationSeconds}s`,
  );
  return lines;
}

/** The one-line JSON summary that `--json` prints last. */
export function jsonSummary(result: LocalRunResult): string {
  return JSON.stringify({
    scenario: result.scenario,
    status: result.status,
    maxWeight: result.maxWeight,
    requests: result.requests,
    errorsServedByNew: result.errorsServedByNew,
    durationSeconds: result.durationSeconds,
    weights: result.weightHistory.map((entry) => entry.new),
    deploymentId: result.deployment.id,
    executionArn: result.execution.executionArn,
    environments: result.environments.map((environment) => ({
      name: environment.name,
      status: environment.status,
      waves: environment.waves.map(({ account, region, status, verdicts }) => ({
        account,
        region,
        status,
        verdicts,
      })),
    })),
    promotions: result.promotions.map((promotion) => ({
      id: promotion.id,
      version: promotion.artifact.version,
      status: promotion.status,
      ...(promotion.reason === undefined ? {} : { reason: promotion.reason }),
    })),
  });
}

/** The end of a release run: its result, and each environment with each service's status and deployments. */
export function releaseSummary(result: LocalReleaseResult): string[] {
  const { release } = result;
  const lines = [
    "",
    `Result: release ${release.name ?? release.id} ${result.status}${result.statusReason === undefined ? "" : ` — ${result.statusReason}`}`,
    `Release pipeline execution: ${result.execution.executionArn}`,
    `Services, in deployment order: ${release.groups.map((group) => group.join(" + ")).join(" → ")}`,
    "Environments:",
  ];
  for (const environment of release.environments) {
    lines.push(`  ${environment.name.padEnd(12)} ${environment.status}`);
    for (const service of release.groups.flat()) {
      const deployments = (result.deployments[environment.name]?.[service] ?? []).map(
        (deployment) =>
          `${deployment.version}${deployment.region === undefined ? "" : ` ${deployment.region}`} ${deployment.status}`,
      );
      lines.push(
        `    ${service.padEnd(16)} ${environment.services[service] ?? "-"}${deployments.length === 0 ? "" : `  (${deployments.join(", ")})`}`,
      );
    }
  }
  lines.push(`Duration: ${result.durationSeconds}s`);
  return lines;
}

/** The one-line JSON summary of a release run that `--json` prints last: each service's status per environment. */
export function releaseJsonSummary(result: LocalReleaseResult): string {
  const { release } = result;
  return JSON.stringify({
    scenario: result.scenario,
    status: result.status,
    ...(result.statusReason === undefined ? {} : { reason: result.statusReason }),
    releaseId: release.id,
    ...(release.name === undefined ? {} : { name: release.name }),
    groups: release.groups,
    executionArn: result.execution.executionArn,
    durationSeconds: result.durationSeconds,
    environments: release.environments.map((environment) => ({
      name: environment.name,
      status: environment.status,
      services: Object.fromEntries(
        release.groups.flat().map((service) => [
          service,
          {
            status: environment.services[service],
            deployments: result.deployments[environment.name]?.[service] ?? [],
          },
        ]),
      ),
    })),
  });
}
