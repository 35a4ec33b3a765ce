/** One line of a chart; a null `y` (nothing measured) breaks the line. */
export interface ChartSeries {
  readonly name: string;
  /** A CSS colour. */
  readonly colour: string;
  readonly points: readonly { readonly x: number; readonly y: number | null }[];
}

export interface LineChart {
  readonly title: string;
  readonly series: readonly ChartSeries[];
  /** The x axis' labels (its first, middle and last value). */
  readonly formatX: (x: number) => string;
  /** The y axis' labels and each point's tooltip. */
  readonly formatY: (y: number) => string;
  /** The top of the y axis. @default the largest y rounded up to 1, 2 or 5 times a power of 10 */
  readonly yMax?: number;
}

const width = 720;
const height = 240;
const margin = { top: 32, right: 16, bottom: 32, left: 64 };
const plotWidth = width - margin.left - margin.right;
const plotHeight = height - margin.top - margin.bottom;
const gridLines = 4;

/**
 * The chart as an inline `<svg>` element for an HTML page (no namespace, script, link or font: nothing it
 * refers to outside itself), every text escaped.
 */
export function lineChartSvg(chart: LineChart): string {
  const xs = chart.series.flatMap((series) => series.points.map((point) => point.x));
  const ys = chart.series.flatMap((series) =>
    series.points.flatMap((point) => (point.y === null ? [] : [point.y])),
  );
  const parts: string[] = [
    `<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeMarkup(chart.title)}">`,
    `<title>${escapeMarkup(chart.title)}</title>`,
    `<text x="${margin.left}" y="18" class="chart-title">${escapeMarkup(chart.title)}</text>`,
  ];
  if (xs.length === 0) {
    parts.push(
      `<text x="${margin.left}" y="${margin.top + plotHeight / 2}">nothing measured</text>`,
      "</svg>",
    );
    return parts.join("");
  }
  const xMin = Math.min(...xs);
  const xSpan = Math.max(...xs) - xMin;
  const yMax = chart.yMax ?? niceCeiling(Math.max(0, ...ys));
  const left = (x: number) => margin.left + (xSpan === 0 ? plotWidth / 2 : ((x - xMin) / xSpan) * plotWidth);
  const top = (y: number) => margin.top + plotHeight - (Math.min(y, yMax) / yMax) * plotHeight;
  for (let line = 0; line <= gridLines; line += 1) {
    const y = (yMax * line) / gridLines;
    parts.push(
      `<line x1="${margin.left}" x2="${margin.left + plotWidth}" y1="${fixed(top(y))}" y2="${fixed(top(y))}" class="grid"/>`,
      `<text x="${margin.left - 6}" y="${fixed(top(y) + 4)}" text-anchor="end">${escapeMarkup(chart.formatY(y))}</text>`,
    );
  }
  const ticks = xSpan === 0 ? [xMin] : [xMin, xMin + xSpan / 2, xMin + xSpan];
  for (const x of ticks) {
    parts.push(
      `<text x="${fixed(left(x))}" y="${height - 10}" text-anchor="middle">${escapeMarkup(chart.formatX(x))}</text>`,
    );
  }
  chart.series.forEach((series, index) => {
    const colour = escapeMarkup(series.colour);
    for (const run of unbroken(series.points)) {
      const path = run.map((point) => `${fixed(left(point.x))},${fixed(top(point.y))}`).join(" ");
      parts.push(`<polyline points="${path}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    }
    for (const point of series.points) {
      if (point.y === null) continue;
      const tip = `${series.name}: ${chart.formatY(point.y)} at ${chart.formatX(point.x)}`;
      parts.push(
        `<circle cx="${fixed(left(point.x))}" cy="${fixed(top(point.y))}" r="3" fill="${colour}"><title>${escapeMarkup(tip)}</title></circle>`,
      );
    }
    const legendX = margin.left + plotWidth - 140 * (chart.series.length - index);
    parts.push(
      `<rect x="${legendX}" y="8" width="12" height="12" fill="${colour}"/>`,
      `<text x="${legendX + 16}" y="18">${escapeMarkup(series.name)}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("");
}

/** Text or an attribute value in HTML or SVG: `&`, `<`, `>` and both quotes as entities. */
export function escapeMarkup(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/** The runs of consecutive measured points. */
function unbroken(points: ChartSeries["points"]): { x: number; y: number }[][] {
  const runs: { x: number; y: number }[][] = [[]];
  for (const { x, y } of points) {
    if (y === null) runs.push([]);
    else runs.at(-1)?.push({ x, y });
  }
  return runs.filter((run) => run.length > 0);
}

/** 1, 2 or 5 times a power of 10 at or above `value`; 1 for nothing above 0. */
function niceCeiling(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return ([1, 2, 5, 10].find((step) => step * power >= value) ?? 10) * power;
}

function fixed(value: number): string {
  return String(Math.round(value * 10) / 10);
}
