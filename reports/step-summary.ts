/**
 * A check summary as a GitHub step summary (Markdown): the counts, the matrix (a row per
 * scenario, a column per variant), the runs that did not meet their expectation, and each
 * counterexample's race diagram in a <details>. GitHub takes at most 1 MiB a step: diagrams are
 * left out, last first, until the text fits.
 */
import { expectedText, outcomeText } from "./junit.js";
import { PASSING, type Row, type Status, type Summary } from "./summary.js";

/** GitHub's limit for one step's summary, less room for what other steps add. */
export const STEP_SUMMARY_BYTES = 1000 * 1024;

const MARK: Record<Status, string> = {
  held: "✅",
  "unexpected-violation": "❌",
  "violation-gone": "❗",
  incomplete: "⏳",
  "not-applicable": "➖",
  "now-applicable": "❗",
  "no-expectation": "·",
};

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
const escapeHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export function stepSummary(summary: Summary, maxBytes = STEP_SUMMARY_BYTES): string {
  const variants = [...new Set(summary.rows.map((r) => r.variant))].sort();
  const scenarios = [...new Set(summary.rows.map((r) => r.scenario))];
  const byKey = new Map(summary.rows.map((r) => [`${r.scenario} ${r.variant}`, r]));
  const title = `## mmcheck check: ${summary.ok ? "every expectation held" : "some expectations did not hold"}`;
  const counts = Object.entries(summary.counts)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${MARK[s as Status]} ${s}: ${n}`)
    .join(" · ");
  const head = [title, "", `${summary.rows.length} runs${summary.shard ? ` (shard ${summary.shard.index}/${summary.shard.count})` : ""}: ${counts}`, ""];
  const matrix = [
    `| scenario | ${variants.map(cell).join(" | ")} |`,
    `|---|${variants.map(() => "---").join("|")}|`,
    ...scenarios.map((s) => `| ${cell(s)} | ${variants.map((v) => { const r = byKey.get(`${s} ${v}`); return r ? `${MARK[r.status]}${r.verdict === "violation" ? ` ${cell(r.invariant!)}` : ""}` : ""; }).join(" | ")} |`),
    "",
  ];
  const failing = summary.rows.filter((r) => !PASSING.has(r.status));
  const failures = failing.length
    ? ["### Did not meet the expectation", "", ...failing.map((r) => `- **${cell(r.scenario)}** under \`${r.variant}\`: ${r.status}: expected ${expectedText(r)}, got ${outcomeText(r)}${r.report ? ` (\`${r.report}\`)` : ""}`), ""]
    : [];
  const details = (r: Row) =>
    [`<details><summary>${escapeHtml(`${MARK[r.status]} ${r.scenario} under ${r.variant}: ${outcomeText(r)}`)}</summary>`, "", "<pre>", escapeHtml(r.diagram!), "</pre>", "</details>", ""].join("\n");
  const counterexamples = summary.rows.filter((r) => r.diagram !== undefined);
  // Those that did not meet their expectation first: they are what a reader looks for.
  counterexamples.sort((a, b) => Number(PASSING.has(a.status)) - Number(PASSING.has(b.status)));
  const fixed = [...head, ...matrix, ...failures].join("\n");
  const parts: string[] = [];
  let bytes = Buffer.byteLength(fixed) + 200;
  for (const r of counterexamples) {
    const d = details(r);
    if (bytes + Buffer.byteLength(d) > maxBytes) break;
    parts.push(d);
    bytes += Buffer.byteLength(d);
  }
  const left = counterexamples.length - parts.length;
  const counter = counterexamples.length ? ["### Counterexamples", "", ...parts, ...(left ? [`(${left} more left out to stay under GitHub's 1 MiB: see report.html)`, ""] : [])] : [];
  return `${[fixed, ...counter].join("\n")}\n`;
}
