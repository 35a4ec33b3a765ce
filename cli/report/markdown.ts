import { percent } from "../../functions/domain/evaluation-values.ts";
import { formatDuration } from "../format.ts";
import type {
  ArmReport,
  DecisionReport,
  EvaluationReport,
  ReportModel,
  SeriesPoint,
  WaveExposure,
  WaveReport,
} from "./model.ts";

/**
 * A section of the report as both formats print it: a heading and blocks of plain text (neither escaped nor
 * marked up), so that the Markdown and the HTML say the same.
 */
export interface ReportSection {
  /** 1: the title; 2: a part of the report or a wave; 3: a part of a wave. */
  readonly level: 1 | 2 | 3;
  readonly heading: string;
  readonly blocks: readonly ReportBlock[];
}

export type ReportBlock =
  | { readonly kind: "facts"; readonly facts: readonly (readonly [label: string, value: string])[] }
  | { readonly kind: "text"; readonly text: string }
  | {
      readonly kind: "table";
      readonly header: readonly string[];
      readonly rows: readonly (readonly string[])[];
    }
  /** A wave's evaluations over time: the weight, and each arm's 5xx rate and p95. */
  | { readonly kind: "charts"; readonly series: readonly SeriesPoint[] };

/** The report's sections in order: the summary, outcome, exposure, timeline, each wave, the promotion's decisions. */
export function reportSections(model: ReportModel): ReportSection[] {
  const waves = model.environments.flatMap((environment) => environment.waves);
  const started = waves.filter((wave) => wave.status !== "NOT_STARTED");
  return [
    {
      level: 1,
      heading: `Glidepath report: ${model.kind} ${model.id}`,
      blocks: [
        {
          kind: "facts",
          facts: [
            ["Service", model.service],
            ["Artifact", `${model.artifact.version} (${model.artifact.digest}) ${model.artifact.uri}`],
            ["Status", `${model.status}${model.reason === undefined ? "" : `: ${model.reason}`}`],
            ...fact("Requested by", model.requestedBy),
            ...fact("Part of promotion", model.promotionId),
            ["Read at", model.readAt],
          ],
        },
      ],
    },
    { level: 2, heading: "Outcome", blocks: outcomeBlocks(model, waves) },
    { level: 2, heading: "Exposure", blocks: exposureBlocks(model, started) },
    {
      level: 2,
      heading: "Timeline",
      blocks: [
        {
          kind: "table",
          header: ["At", "Where", "Event", "Detail"],
          rows: model.timeline.map((entry) => [entry.at, entry.where, entry.event, entry.detail ?? ""]),
        },
      ],
    },
    ...started.flatMap(waveSections),
    ...(model.kind === "promotion"
      ? [{ level: 2 as const, heading: "Promotion decisions", blocks: [decisionsTable(model.decisions)] }]
      : []),
  ];
}

/** The report as Markdown: headings, lists and tables, every text from the records escaped. */
export function renderMarkdown(model: ReportModel): string {
  const parts = reportSections(model).flatMap((section) => [
    `${"#".repeat(section.level)} ${escapeMarkdown(section.heading)}`,
    ...section.blocks.map(markdownBlock),
  ]);
  return `${parts.join("\n\n")}\n`;
}

function markdownBlock(block: ReportBlock): string {
  switch (block.kind) {
    case "facts":
      return block.facts.map(([label, value]) => `- **${label}:** ${escapeMarkdown(value)}`).join("\n");
    case "text":
      return escapeMarkdown(block.text);
    case "table": {
      const row = (cells: readonly string[]) => `| ${cells.map(escapeMarkdown).join(" | ")} |`;
      return [
        row(block.header),
        `|${block.header.map(() => " --- |").join("")}`,
        ...block.rows.map(row),
      ].join("\n");
    }
    case "charts":
      return "The charts of these evaluations (weight, 5xx rate and p95 per arm over time) are in `--format html`.";
  }
}

/** Text from the records in Markdown: no HTML, no table cell ends, one line. */
function escapeMarkdown(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll("|", "\\|")
    .replace(/\s*\n\s*/g, " ");
}

function outcomeBlocks(model: ReportModel, waves: readonly WaveReport[]): ReportBlock[] {
  const environments: ReportBlock[] =
    model.kind === "promotion"
      ? [
          {
            kind: "table",
            header: ["Environment", "Status", "Entered", "Ended", "Approved", "Reason"],
            rows: model.environments.map((environment) => [
              environment.name,
              environment.status,
              environment.enteredAt ?? "",
              environment.endedAt ?? "",
              environment.approval === undefined
                ? ""
                : `by ${environment.approval.by} at ${environment.approval.at}`,
              environment.reason ?? "",
            ]),
          },
        ]
      : [];
  return [
    ...environments,
    {
      kind: "table",
      header: ["Wave", "Deployment", "Status", "Strategy", "Attempt", "Created", "Updated", "Reason"],
      rows: waves.map((wave) => [
        wave.name,
        wave.deploymentId,
        wave.outcome === undefined || wave.outcome === wave.status
          ? wave.status
          : `${wave.status} (recorded ${wave.outcome})`,
        wave.strategy ?? "",
        wave.attempt === undefined ? "" : String(wave.attempt),
        wave.createdAt ?? "",
        wave.updatedAt ?? "",
        wave.reason ?? "",
      ]),
    },
  ];
}

const notRecorded = "not recorded";

function exposureBlocks(model: ReportModel, waves: readonly WaveReport[]): ReportBlock[] {
  if (waves.length === 0) return [{ kind: "text", text: "No wave started: the new version served nothing." }];
  const { exposure: total } = model;
  const rows = waves.map((wave) => exposureRow(wave.name, wave.deploymentId, wave.exposure ?? {}));
  const totalRow =
    waves.length < 2
      ? []
      : [
          [
            `Total (${waves.length} waves)`,
            "",
            total.recordedWaves === 0 ? notRecorded : String(total.requests),
            total.recordedWaves === 0 ? notRecorded : String(total.errors),
            percent(total.errorRate),
            "",
            "",
            "",
            "",
            "",
          ],
        ];
  const users = waves.flatMap((wave) =>
    wave.exposure?.usersAffected === undefined
      ? []
      : [
          `${wave.name}: ${wave.exposure.usersAffected.treatment} on the new version (treatment), ${wave.exposure.usersAffected.control} on the old (control), counted by ${wave.exposure.usersAffected.metric}`,
        ],
  );
  const totalUsers =
    total.usersAffected === undefined || users.length < 2
      ? []
      : [
          `in all: ${total.usersAffected.treatment} on the new version, ${total.usersAffected.control} on the old`,
        ];
  return [
    {
      kind: "table",
      header: [
        "Wave",
        "Deployment",
        "Requests",
        "Errors",
        "5xx rate",
        "First shift",
        "Detected",
        "To detection",
        "Exposure ended",
        "To traffic back",
      ],
      rows: [...rows, ...totalRow],
    },
    {
      kind: "text",
      text: "Requests and errors the new version served from its first shift until its deployment ended, as the record step measured them.",
    },
    ...(total.unrecordedWaves === 0 || waves.length < 2
      ? []
      : [
          {
            kind: "text" as const,
            text: `${total.unrecordedWaves} of ${waves.length} waves have no exposure recorded: the total leaves them out.`,
          },
        ]),
    ...(users.length === 0
      ? []
      : [{ kind: "text" as const, text: `Users affected: ${[...users, ...totalUsers].join("; ")}.` }]),
  ];
}

function exposureRow(name: string, deploymentId: string, exposure: WaveExposure): string[] {
  const { served, detection } = exposure;
  return [
    name,
    deploymentId,
    served === undefined ? notRecorded : String(served.requests),
    served === undefined ? notRecorded : String(served.errors),
    served === undefined ? notRecorded : percent(served.errorRate),
    exposure.firstShiftAt ?? "no traffic shifted",
    detection === undefined ? "no rollback" : `${detection.at} by ${detection.actor}`,
    seconds(exposure.secondsToDetection),
    served === undefined ? notRecorded : served.to,
    detection === undefined
      ? ""
      : served === undefined
        ? notRecorded
        : seconds(exposure.secondsToTrafficBack),
  ];
}

function waveSections(wave: WaveReport): ReportSection[] {
  const evaluations = wave.decisions.flatMap((decision) =>
    decision.evaluation === undefined ? [] : [{ decision, evaluation: decision.evaluation }],
  );
  const heading = `Wave ${wave.name} · ${wave.deploymentId}`;
  if (evaluations.length === 0) {
    return [
      { level: 2, heading, blocks: [{ kind: "text", text: "No evaluation: no traffic was judged." }] },
      { level: 3, heading: "Decisions", blocks: [decisionsTable(wave.decisions)] },
    ];
  }
  return [
    { level: 2, heading, blocks: [] },
    {
      level: 3,
      heading: "Phases",
      blocks: [
        {
          kind: "table",
          header: ["Phase", "Weight", "Started", "Baked", "Evaluations", "Last verdict"],
          rows: wave.phases.map((phase) => [
            phase.watch ? `${phase.number} (watch window)` : String(phase.number),
            `${phase.weight}%`,
            phase.startedAt,
            `${formatDuration(phase.bakedSeconds)} of ${formatDuration(phase.bakeSeconds)}`,
            String(phase.evaluations),
            `${phase.lastAction} at ${phase.lastAt}`,
          ]),
        },
      ],
    },
    {
      level: 3,
      heading: "Evaluations",
      blocks: [
        {
          kind: "table",
          header: [
            "At",
            "Phase",
            "Weight",
            "Baked",
            "Action",
            "Old requests",
            "Old errors",
            "Old 5xx rate",
            "Old p95",
            "New requests",
            "New errors",
            "New 5xx rate",
            "New p95",
            "Comparison fail",
            "Comparison pass",
            "5xx limit",
            "Alarms",
          ],
          rows: evaluations.map(({ decision, evaluation }) => evaluationRow(decision, evaluation)),
        },
        {
          kind: "text",
          text: "Each evaluation counts both arms since its phase's shift (cumulative); e-values are shown against their bounds.",
        },
      ],
    },
    { level: 3, heading: "Charts", blocks: [{ kind: "charts", series: wave.series }] },
    { level: 3, heading: "Decisions", blocks: [decisionsTable(wave.decisions)] },
  ];
}

function evaluationRow(decision: DecisionReport, evaluation: EvaluationReport): string[] {
  const { comparison, errorRateLimit: limit } = evaluation;
  const alarms = [
    ...evaluation.alarms.map((alarm) => `${alarm.name} ${alarm.state}`),
    ...evaluation.missingAlarms.map((name) => `${name} missing`),
  ];
  return [
    decision.at,
    evaluation.watch ? `${evaluation.phase} (watch)` : String(evaluation.phase),
    `${evaluation.weight}%`,
    `${formatDuration(evaluation.elapsedSeconds)} of ${formatDuration(evaluation.bakeSeconds)}`,
    decision.action,
    ...armCells(evaluation.old),
    ...armCells(evaluation.new),
    // E-values as the decision log holds them (4 significant digits), not as reasons round them.
    comparison === undefined ? "not applicable" : `${comparison.failEValue} of ${comparison.failBound}`,
    comparison === undefined ? "not applicable" : `${comparison.passEValue} of ${comparison.passBound}`,
    limit === undefined ? "" : `${percent(limit.limit)}: ${limit.eValue} of ${limit.bound}`,
    alarms.join(", "),
  ];
}

function armCells(arm: ArmReport): string[] {
  return [String(arm.requests), String(arm.errors), percent(arm.errorRate), milliseconds(arm.p95Ms)];
}

function decisionsTable(decisions: readonly DecisionReport[]): ReportBlock {
  return {
    kind: "table",
    header: ["At", "Action", "Actor", "Reason", "Values"],
    rows: decisions.map((decision) => [
      decision.at,
      decision.action,
      decision.actor,
      decision.reason,
      decision.evaluation === undefined
        ? valuesText(decision.values ?? {})
        : `evaluation of phase ${decision.evaluation.phase} (see Evaluations)`,
    ]),
  };
}

/** `key: value, …`, nested values as JSON. */
function valuesText(values: Readonly<Record<string, unknown>>): string {
  return Object.entries(values)
    .map(([key, value]) => `${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(", ");
}

function seconds(value: number | undefined): string {
  return value === undefined ? "" : formatDuration(value);
}

function milliseconds(value: number | null): string {
  return value === null ? "-" : `${Math.round(value * 10) / 10} ms`;
}

function fact(label: string, value: string | undefined): (readonly [string, string])[] {
  return value === undefined ? [] : [[label, value]];
}
