import { round } from "../../functions/domain/evaluation-values.ts";
import { type ReportBlock, reportSections } from "./markdown.ts";
import type { ReportModel, SeriesPoint } from "./model.ts";
import { escapeMarkup, lineChartSvg } from "./svg-chart.ts";

const colours = { weight: "#2563eb", old: "#6b7280", new: "#ea580c" };

const style = `
body { font: 14px/1.45 system-ui, sans-serif; color: #111827; margin: 2rem auto; max-width: 1200px; padding: 0 1rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #e5e7eb; } h3 { font-size: 1rem; }
table { border-collapse: collapse; margin: 0.5rem 0; font-size: 12px; }
th, td { border: 1px solid #e5e7eb; padding: 2px 6px; text-align: left; vertical-align: top; }
th { background: #f3f4f6; }
dl { display: grid; grid-template-columns: max-content auto; gap: 2px 12px; } dt { font-weight: 600; } dd { margin: 0; }
.table { overflow-x: auto; }
.chart { display: block; margin: 0.5rem 0; font-size: 11px; fill: #374151; }
.chart .chart-title { font-size: 13px; font-weight: 600; }
.chart .grid { stroke: #e5e7eb; }
`;

/**
 * The report as one self-contained HTML page: inline CSS and SVG charts, no script, and nothing it loads from
 * elsewhere (its Content-Security-Policy forbids it too). Every text from the records is escaped.
 */
export function renderHtml(model: ReportModel): string {
  const body = reportSections(model).flatMap((section) => [
    `<h${section.level}>${escapeMarkup(section.heading)}</h${section.level}>`,
    ...section.blocks.map(htmlBlock),
  ]);
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    `<title>${escapeMarkup(`Glidepath report: ${model.kind} ${model.id}`)}</title>`,
    `<style>${style}</style>`,
    "</head>",
    "<body>",
    ...body,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

function htmlBlock(block: ReportBlock): string {
  switch (block.kind) {
    case "facts":
      return `<dl>${block.facts.map(([label, value]) => `<dt>${escapeMarkup(label)}</dt><dd>${escapeMarkup(value)}</dd>`).join("")}</dl>`;
    case "text":
      return `<p>${escapeMarkup(block.text)}</p>`;
    case "table": {
      const cells = (tag: "th" | "td", row: readonly string[]) =>
        `<tr>${row.map((cell) => `<${tag}>${escapeMarkup(cell)}</${tag}>`).join("")}</tr>`;
      return `<div class="table"><table><thead>${cells("th", block.header)}</thead><tbody>${block.rows.map((row) => cells("td", row)).join("")}</tbody></table></div>`;
    }
    case "charts":
      return charts(block.series);
  }
}

/** The weight, and each arm's 5xx rate and p95, at each evaluation (counts since its phase's shift). */
function charts(series: readonly SeriesPoint[]): string {
  const x = (point: SeriesPoint) => Date.parse(point.at);
  const formatX = (at: number) => `${new Date(at).toISOString().slice(11, 19)}Z`;
  const arms = (value: (arm: SeriesPoint["old"]) => number | null) =>
    (["old", "new"] as const).map((arm) => ({
      name: `${arm} version`,
      colour: colours[arm],
      points: series.map((point) => ({ x: x(point), y: value(point[arm]) })),
    }));
  return [
    lineChartSvg({
      title: "Weight of the new version (%)",
      series: [
        {
          name: "new version",
          colour: colours.weight,
          points: series.map((point) => ({ x: x(point), y: point.weight })),
        },
      ],
      formatX,
      formatY: (y) => `${round(y)}%`,
      yMax: 100,
    }),
    lineChartSvg({
      title: "5xx rate per arm since the phase's shift (%)",
      series: arms((arm) => (arm.errorRate === null ? null : arm.errorRate * 100)),
      formatX,
      formatY: (y) => `${round(y)}%`,
    }),
    lineChartSvg({
      title: "p95 latency per arm since the phase's shift (ms)",
      series: arms((arm) => arm.p95Ms),
      formatX,
      formatY: (y) => `${Math.round(y)} ms`,
    }),
  ].join("\n");
}
