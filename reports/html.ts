/**
 * DIR/report.html of `mmcheck check`: one self-contained file (its style, script and data inline;
 * nothing fetched), with the matrix (a row per scenario, a column per variant) and, for each
 * counterexample, its swimlanes (reports/swimlane.ts): a lane per thread, a row per step, the
 * current step's state diff below, step forward/back (buttons or the arrow keys) and a filter
 * that keeps the steps touching one object.
 */
import { expectedText, outcomeText } from "./junit.js";
import type { Summary } from "./summary.js";
import type { Swimlanes } from "./swimlane.js";

const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em} h2{font-size:1.15em;margin-top:2em}
table.matrix{border-collapse:collapse} .matrix td,.matrix th{border:1px solid #ccc;padding:2px 6px;font-size:12px}
.matrix th.v{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap}
.held{background:#dfd} .no-expectation{background:#f4f4f4} .unexpected-violation{background:#fbb}
.violation-gone{background:#fd9} .incomplete{background:#ddf} .not-applicable{background:#eee} .now-applicable{background:#fd9}
.swimlanes{display:grid;gap:2px 8px;margin:.5em 0} .lane-head{font-weight:bold;border-bottom:2px solid #888}
.step{border:1px solid #bbb;border-radius:4px;padding:2px 6px;font-size:12px;cursor:pointer;background:#fff}
.step.current{outline:3px solid #e70;background:#fff6e8} .step.hidden{visibility:hidden}
.step .fn{font-family:monospace;font-weight:bold} .step .op{color:#555}
.shared{color:#b00;font-family:monospace} .num{color:#888;font-size:11px;text-align:right}
.diff{font-family:monospace;font-size:12px;white-space:pre-wrap;background:#f7f7f7;padding:6px;min-height:3em}
.controls button{margin-right:4px} .outcome{color:#b00;font-weight:bold}
`;

/** Runs in the page: wires each counterexample's controls to its data. */
const SCRIPT = `
const data = JSON.parse(document.getElementById("mmcheck-data").textContent);
document.querySelectorAll("section.cx").forEach((sec) => {
  const cx = data[Number(sec.dataset.index)];
  const cells = [...sec.querySelectorAll(".step")];
  const pos = sec.querySelector(".pos"), diff = sec.querySelector(".diff"), filter = sec.querySelector("select");
  let cur = 0;
  const visible = () => cells.filter((c) => !c.classList.contains("hidden")).map((c) => Number(c.dataset.step));
  const show = (i) => {
    cur = i;
    cells.forEach((c) => c.classList.toggle("current", Number(c.dataset.step) === i));
    const s = cx.steps[i];
    pos.textContent = "step " + (i + 1) + " of " + cx.steps.length + ": " + cx.lanes[s.lane] + " " + s.fn + " (" + s.label + ")";
    diff.textContent = s.diff.length ? s.diff.map((d) => d.path + ": " + d.before + " → " + d.after).join("\\n") : "(no state changed)";
  };
  const move = (dir) => { const v = visible(); const k = v.indexOf(cur); const next = k < 0 ? v.find((x) => dir > 0 ? x > cur : x < cur) ?? v[0] : v[k + dir]; if (next !== undefined) show(next); };
  sec.querySelector(".next").onclick = () => move(1);
  sec.querySelector(".prev").onclick = () => move(-1);
  sec.addEventListener("keydown", (e) => { if (e.key === "ArrowRight") move(1); if (e.key === "ArrowLeft") move(-1); });
  cells.forEach((c) => (c.onclick = () => show(Number(c.dataset.step))));
  filter.onchange = () => {
    const obj = filter.value;
    cells.forEach((c) => c.classList.toggle("hidden", obj !== "" && !cx.steps[Number(c.dataset.step)].objects.includes(obj)));
    const v = visible();
    if (v.length && !v.includes(cur)) show(v[0]);
  };
  show(0);
});
`;

function matrix(summary: Summary): string {
  const variants = [...new Set(summary.rows.map((r) => r.variant))].sort();
  const scenarios = [...new Set(summary.rows.map((r) => r.scenario))];
  const byKey = new Map(summary.rows.map((r) => [`${r.scenario} ${r.variant}`, r]));
  const head = `<tr><th>scenario</th>${variants.map((v) => `<th class="v">${escape(v)}</th>`).join("")}</tr>`;
  const rows = scenarios.map((s) => {
    const cells = variants.map((v) => {
      const r = byKey.get(`${s} ${v}`);
      if (!r) return "<td></td>";
      const title = `${r.status}: expected ${expectedText(r)}, got ${outcomeText(r)}`;
      return `<td class="${r.status}" title="${escape(title)}">${r.verdict === "violation" ? escape(r.invariant!) : escape(r.verdict)}</td>`;
    });
    return `<tr><th>${escape(s)}</th>${cells.join("")}</tr>`;
  });
  return `<table class="matrix">${head}${rows.join("")}</table>`;
}

function counterexample(cx: Swimlanes, index: number): string {
  const columns = `3em repeat(${cx.lanes.length}, minmax(12em, 1fr))`;
  const lanes = cx.lanes.map((l, i) => `<div class="lane-head" style="grid-column:${i + 2}">${escape(l)}</div>`).join("");
  const steps = cx.steps
    .map((s, i) => {
      const shared = s.shared.length ? `<div class="shared">${escape(s.shared.join(" "))}</div>` : "";
      return (
        `<div class="num" style="grid-row:${i + 2};grid-column:1">${i + 1}</div>` +
        `<div class="step" tabindex="-1" data-step="${i}" data-lane="${s.lane}" style="grid-row:${i + 2};grid-column:${s.lane + 2}">` +
        `<div class="op">${escape(s.op)}</div><div class="fn">${escape(s.fn)}</div><div class="label">${escape(s.label)}</div>${shared}</div>`
      );
    })
    .join("");
  const objects = [...new Set(cx.steps.flatMap((s) => s.objects))].sort();
  const options = [`<option value="">every object</option>`, ...objects.map((o) => `<option value="${escape(o)}">${escape(o)}</option>`)].join("");
  return `<section class="cx" data-index="${index}" tabindex="0">
<h2 class="${cx.status}">${escape(cx.scenario)} under ${escape(cx.variant)}: ${escape(cx.status)}</h2>
<div class="controls"><button class="prev">◀ back</button><button class="next">forward ▶</button>
<label>filter by object <select>${options}</select></label> <span class="pos"></span></div>
<div class="swimlanes" style="grid-template-columns:${columns}"><div class="lane-head" style="grid-column:1">#</div>${lanes}${steps}</div>
<div class="diff"></div>
<p class="outcome">${escape(cx.outcome)}</p>
</section>`;
}

export function htmlReport(summary: Summary, counterexamples: readonly Swimlanes[]): string {
  // The data goes inside a <script>: no "</" may end it early.
  const data = JSON.stringify(counterexamples).replace(/</g, "\\u003c");
  const title = `mmcheck check: ${summary.ok ? "every expectation held" : "some expectations did not hold"}`;
  const counts = Object.entries(summary.counts)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `<span class="${s}">${escape(s)}: ${n}</span>`)
    .join(" · ");
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title><style>${STYLE}</style></head>
<body><h1>${escape(title)}</h1>
<p>${summary.rows.length} runs by ${escape(summary.tool.name)} ${escape(summary.tool.version)}${summary.shard ? ` (shard ${summary.shard.index}/${summary.shard.count})` : ""}: ${counts}</p>
${matrix(summary)}
${counterexamples.length ? `<h2>Counterexamples</h2>${counterexamples.map(counterexample).join("\n")}` : "<p>No counterexample.</p>"}
<script type="application/json" id="mmcheck-data">${data}</script>
<script>${SCRIPT}</script>
</body></html>
`;
}
