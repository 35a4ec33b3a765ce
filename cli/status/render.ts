import { number } from "../../functions/domain/evaluation-values.ts";
import { formatDuration } from "../format.ts";
import type { ArmView, GateView, PhaseView, StatusView, WaveView } from "./view.ts";

export interface RenderOptions {
  /** ANSI colours on statuses (a terminal without NO_COLOR). @default false */
  readonly color?: boolean;
}

const colours: Readonly<Record<string, string>> = {
  PROMOTED: "32",
  SUCCEEDED: "32",
  IN_PROGRESS: "33",
  RUNNING: "33",
  QUEUED: "33",
  PAUSED: "35",
  ROLLING_BACK: "31",
  ROLLED_BACK: "31",
  FAILED: "31",
  STOPPED: "31",
  FROZEN: "31",
  NOT_DEPLOYED: "31",
};

/** The tree as lines: promotion → environments → waves → the current phase and its gate. */
export function renderStatus(view: StatusView, options: RenderOptions = {}): string[] {
  return renderBlocks(view, options).flatMap((block) => block.lines);
}

/** Lines that read together, and the line of the element they belong to (its environment or wave). */
export interface Block {
  readonly lines: readonly string[];
  readonly under?: string;
}

/**
 * The tree in blocks of lines that read together (a wave's line, its phase with the last verdict, a gate with
 * its commands): `--watch` off a terminal prints each block again when it changed.
 */
export function renderBlocks(view: StatusView, options: RenderOptions = {}): Block[] {
  const paint = (status: string) => {
    const code = colours[status];
    return options.color && code !== undefined ? `\u001b[${code}m${status}\u001b[0m` : status;
  };
  const blocks: Block[] = [];
  const head = `${view.kind} ${view.id} · ${view.service} ${view.artifact.version} (${shortDigest(view.artifact.digest)}) · ${paint(view.status)}${view.reason === undefined ? "" : `: ${view.reason}`}`;
  blocks.push({ lines: [head] });
  if (view.execution?.note !== undefined) blocks.push({ lines: [`! ${view.execution.note}`], under: head });
  view.environments.forEach((environment, at) => {
    const lastEnvironment = at === view.environments.length - 1;
    const stem = lastEnvironment ? "   " : "│  ";
    const approved = environment.approval === undefined ? "" : ` · approved by ${environment.approval.by}`;
    const hooks = environment.irreversibleHooks ?? [];
    const why =
      (environment.reason === undefined || environment.status === "SUCCEEDED"
        ? ""
        : `: ${environment.reason}`) +
      (hooks.length === 0
        ? ""
        : ` · irreversible ${hooks.join(", ")} ran: nothing undone, fix forward with a new artifact`);
    const environmentLine = `${lastEnvironment ? "└─" : "├─"} ${environment.name} ${paint(environment.status)}${approved}${why}`;
    blocks.push({ lines: [environmentLine] });
    environment.waves.forEach((wave, index) => {
      const lastWave = index === environment.waves.length - 1;
      const indent = `${stem}${lastWave ? "   " : "│  "}   `;
      const waveHead = `${stem}${lastWave ? "└─" : "├─"} ${waveLine(wave, paint)}`;
      blocks.push({ lines: [waveHead, ...(wave.step === undefined ? [] : [`${indent}${wave.step}`])] });
      if (wave.phase !== undefined && wave.status !== "NOT_STARTED") {
        blocks.push({ lines: phaseLines(wave.phase, indent, wave.status), under: waveHead });
      }
      if (wave.gate !== undefined) blocks.push({ lines: gateLines(wave.gate, indent), under: waveHead });
    });
  });
  return blocks;
}

function waveLine(wave: WaveView, paint: (status: string) => string): string {
  const place = [wave.region, wave.account === undefined ? undefined : `account ${wave.account}`]
    .filter((part) => part !== undefined)
    .join(" · ");
  const weights =
    wave.weights === undefined || wave.status === "NOT_STARTED" || wave.status === "QUEUED"
      ? ""
      : ` · new ${wave.weights.new}% / old ${wave.weights.old}%`;
  const ended = wave.reason === undefined || wave.status === "SUCCEEDED" ? "" : `: ${wave.reason}`;
  return `${place === "" ? "" : `${place} · `}${wave.deploymentId} · ${paint(wave.status)}${weights}${ended}`;
}

function phaseLines(phase: PhaseView, indent: string, status: string): string[] {
  const what = phase.watch ? `watch window at ${phase.weight}%` : `phase ${phase.number} at ${phase.weight}%`;
  const ended = !["IN_PROGRESS", "PAUSED"].includes(status);
  const bake = `${ended ? "baked" : "bake"} ${formatDuration(phase.elapsedSeconds)} of ${formatDuration(phase.bakeSeconds)}`;
  const { verdict } = phase;
  const lines = [
    `${indent}${what}: ${bake}`,
    `${indent}last verdict ${verdict.action} (${verdict.actor}, ${verdict.at.replace("T", " ").replace(/\.\d+Z$/, "Z")}): ${verdict.reason}`,
    `${indent}  new ${arm(verdict.new)} · old ${arm(verdict.old)}`,
  ];
  const limit = verdict.errorRateLimit;
  const tests = [
    ...(verdict.comparison === undefined
      ? []
      : [
          `comparison fail ${number(verdict.comparison.fail)} of ${number(verdict.comparison.failBound)}, pass ${number(verdict.comparison.pass)} of ${number(verdict.comparison.passBound)}`,
        ]),
    `5xx limit ${percent(limit.limit)}: ${number(limit.eValue)} of ${number(limit.bound)}`,
  ];
  lines.push(`${indent}  e-values: ${tests.join(" · ")}`);
  return lines;
}

function gateLines(gate: GateView, indent: string): string[] {
  const who =
    gate.approvers.length === 0
      ? "anyone who may put events on the Glidepath bus decides"
      : `${gate.approvers.join(", ")} may decide`;
  return [
    `${indent}open gate: ${gate.label} (${gate.gateId}), ${who}:`,
    ...gate.commands.map((command) => `${indent}  ${command}`),
  ];
}

function arm(values: ArmView): string {
  const p95 = values.p95Ms === undefined ? "" : `, p95 ${Math.round(values.p95Ms)} ms`;
  return `${values.requests} requests, ${values.errors} 5xx (${values.errorRate === null ? "-" : percent(values.errorRate)})${p95}`;
}

function percent(value: number): string {
  return `${(value * 100).toFixed(2)}%`;
}

function shortDigest(digest: string): string {
  const [algorithm, hex] = digest.split(":");
  return hex === undefined ? digest : `${algorithm}:${hex.slice(0, 12)}`;
}
