/**
 * The local run's live page: one self-contained document (inline style and script, no framework, nothing
 * from the network) that reads `GET /api/page` every second and posts the open gate's decisions to
 * `POST /decide` with the run's token, which is put in the page here. See cli/page/page-data.ts for what it
 * reads.
 */
/** How often the page reads what it shows. */
export const pageReadMs = 1000;

export function pageHtml(token: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<meta name="glidepath-token" content="${escapeAttribute(token)}">
<title>Glidepath — local run</title>
<style>${style}</style>
</head>
<body>
<header><h1>Glidepath <span id="title">waiting for the run</span></h1><div id="status" class="status">…</div></header>
<p id="reason"></p><p id="note" class="note"></p>
<section id="environments"></section>
<section class="row">
  <div class="card"><h2>Wave <span id="wave"></span></h2>
    <p>Status <b id="deployment-status">—</b> · weight on the new version <b id="weight">—</b></p>
    <div id="gate"></div><p id="answer" role="status"></p>
    <h3>Latest verdict</h3><p id="verdict">—</p><p id="evalues"></p>
  </div>
  <div class="card charts">
    <h2>Weight on the new version (%), at each evaluation</h2><svg id="chart-weight" viewBox="0 0 600 120"></svg>
    <h2>5xx rate per arm (%) <span class="legend"><i class="old"></i>old <i class="new"></i>new</span></h2><svg id="chart-errors" viewBox="0 0 600 120"></svg>
    <h2>p95 latency per arm (ms)</h2><svg id="chart-p95" viewBox="0 0 600 120"></svg>
  </div>
</section>
<section class="card"><h2>Decision log</h2><table><thead><tr><th>at</th><th>action</th><th>actor</th><th>reason</th></tr></thead><tbody id="log"></tbody></table></section>
<script>${script}</script>
</body>
</html>
`;
}

function escapeAttribute(text: string): string {
  return text.replace(/[&"<>]/g, (character) => `&#${character.charCodeAt(0)};`);
}

const style = `
body{font:14px/1.4 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:16px;color:#1d2330;background:#f6f7f9}
header{display:flex;justify-content:space-between;align-items:center}h1{font-size:20px;margin:0}h1 span{font-weight:400;color:#555}
h2{font-size:14px;margin:8px 0 4px}h3{font-size:13px;margin:12px 0 4px}
.status{font-weight:700;padding:4px 10px;border-radius:4px;background:#ddd}
.SUCCEEDED,.PROMOTED{background:#cdeccd}.ROLLED_BACK,.FAILED,.ROLLING_BACK,.ABORTED,.NOT_PROMOTED,.FROZEN{background:#f6cccc}
.PAUSED,.WAITING_APPROVAL,.QUEUED{background:#fbe7b5}.IN_PROGRESS,.RUNNING{background:#cfe0fb}
.row{display:grid;grid-template-columns:1fr 1.4fr;gap:12px}.card{background:#fff;border:1px solid #dde;border-radius:6px;padding:10px 14px;margin:12px 0}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:3px 6px;border-bottom:1px solid #eee;vertical-align:top}
svg{width:100%;height:120px;background:#fbfbfd;border:1px solid #eee}polyline{fill:none;stroke-width:2}.old{stroke:#4466aa;background:#4466aa}.new{stroke:#d9480f;background:#d9480f}.weight{stroke:#2b8a3e}
.legend i{display:inline-block;width:10px;height:3px;margin:0 3px 3px 8px}
button{margin:4px 6px 4px 0;padding:6px 14px;font-weight:600;cursor:pointer}button[data-action=abort],button[data-action=reject]{color:#a00}
.note{color:#a05a00}.env{display:inline-block;margin:0 12px 6px 0}.wave{font-size:12px;margin-left:6px;padding:2px 6px;border-radius:3px}
`;

const script = `
"use strict";
const token = document.querySelector('meta[name="glidepath-token"]').content;
const id = new URLSearchParams(location.search).get("id");
const $ = (selector) => document.getElementById(selector);
const text = (element, value) => { if (element.textContent !== value) element.textContent = value; };
const node = (tag, attributes, children) => {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) element.setAttribute(name, value);
  for (const child of children || []) element.append(child);
  return element;
};
const svgNode = (tag, attributes) => {
  const element = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  return element;
};
function chart(svg, series, fixedMax) {
  const points = series.flatMap((line) => line.points);
  svg.replaceChildren();
  if (points.length === 0) return;
  const times = points.map((point) => point.t);
  const start = Math.min(...times), span = Math.max(1, Math.max(...times) - start);
  const max = fixedMax ?? Math.max(1e-9, ...points.map((point) => point.v)) * 1.1;
  for (const line of series) {
    const coordinates = line.points.map((point) => [
      10 + ((point.t - start) / span) * 580, 110 - (point.v / max) * 100,
    ]);
    svg.append(svgNode("polyline", { class: line.name, points: coordinates.map((xy) => xy.join(",")).join(" ") }));
  }
  const label = svgNode("text", { x: 12, y: 12, "font-size": 10, fill: "#666" });
  label.textContent = "max " + (Math.round(max * 100) / 100);
  svg.append(label);
}
function environments(view) {
  return (view.environments || []).map((environment) =>
    node("div", { class: "env" }, [
      node("b", {}, [environment.name + " "]),
      node("span", { class: "wave " + environment.status }, [environment.status]),
      ...environment.waves.map((wave) =>
        node("span", { class: "wave " + wave.status, title: wave.deploymentId },
          [(wave.region || "") + " " + wave.status + (wave.weights ? " " + wave.weights.new + "%" : "")])),
    ]));
}
let gateKey = "";
function gate(data) {
  const open = data.gate;
  const key = open ? open.deploymentId + open.label + open.actions.join() : "";
  if (key === gateKey) return;
  gateKey = key;
  if (!open) { $("gate").replaceChildren(); return; }
  $("gate").replaceChildren(node("p", {}, ["Open gate: " + open.label]),
    ...open.actions.map((action) => {
      const button = node("button", { "data-action": action, type: "button" }, [action]);
      button.addEventListener("click", () => decide(open, action));
      return button;
    }));
}
async function decide(open, action) {
  text($("answer"), action + "…");
  const response = await fetch("/decide", {
    method: "POST",
    headers: { "content-type": "application/json", "x-glidepath-token": token },
    body: JSON.stringify({ deploymentId: open.deploymentId, gateId: open.gateId, action }),
  });
  const answer = await response.json().catch(() => ({}));
  text($("answer"), answer.text || String(response.status));
  refresh();
}
function render(data) {
  if (data.waiting !== undefined || !data.view) { text($("title"), data.waiting || "waiting"); return; }
  const view = data.view;
  text($("title"), view.service + " " + view.artifact.version + " · " + view.kind + " " + view.id);
  text($("status"), view.status);
  $("status").className = "status " + view.status;
  text($("reason"), view.reason || "");
  $("environments").replaceChildren(...environments(view));
  const current = data.current;
  if (current) {
    text($("wave"), current.environment + (current.region ? " " + current.region : "") + " · " + current.deploymentId);
    text($("deployment-status"), current.status);
    $("deployment-status").className = current.status;
    text($("weight"), current.weights.new + "%");
  }
  gate(data);
  const wave = view.environments.flatMap((environment) => environment.waves).find((candidate) => candidate.phase);
  const verdict = wave && wave.phase.verdict;
  if (verdict) {
    text($("verdict"), verdict.action + " by " + verdict.actor + " at " + verdict.at + ": " + verdict.reason);
    const comparison = verdict.comparison;
    text($("evalues"), (comparison ? "comparison e-values: fail " + comparison.fail + " / bound " + comparison.failBound +
      " · pass " + comparison.pass + " / bound " + comparison.passBound + " · " : "") +
      "5xx limit " + (verdict.errorRateLimit.limit * 100) + "%: e-value " + verdict.errorRateLimit.eValue + " / bound " + verdict.errorRateLimit.bound);
  }
  // One evaluation after another, in plan order: evaluation times are each bake's own clock.
  const indexed = data.points.map((point, index) => ({ ...point, t: index }));
  chart($("chart-weight"), [{ name: "weight", points: indexed.map((point) => ({ t: point.t, v: point.weight })) }], 100);
  const arms = (pick) => ["old", "new"].map((arm) => ({ name: arm, points: indexed
    .filter((point) => pick(point[arm]) !== null).map((point) => ({ t: point.t, v: pick(point[arm]) })) }));
  chart($("chart-errors"), arms((arm) => arm.errorRate === null ? null : arm.errorRate * 100));
  chart($("chart-p95"), arms((arm) => arm.p95Ms));
  // Redrawn when it changed: entries arrive in the log's order, which is not always the order they were added.
  const log = $("log");
  const logKey = (current ? current.deploymentId : "") + "/" + data.decisions.length;
  if (log.dataset.key !== logKey) {
    log.dataset.key = logKey;
    log.replaceChildren(...data.decisions.map((decision) =>
      node("tr", {}, [decision.at, decision.action, decision.actor, decision.reason].map((cell) => node("td", {}, [cell])))));
  }
}
async function refresh() {
  try {
    const response = await fetch("/api/page" + (id ? "?id=" + encodeURIComponent(id) : ""));
    render(await response.json());
    text($("note"), "");
  } catch (error) {
    // What it showed last stays: the run has ended (its records: npx glidepath status, report).
    text($("note"), "the run has ended or cannot be reached: what it showed last stays (" + error.message + ")");
  }
}
refresh();
setInterval(refresh, ${pageReadMs});
`;
