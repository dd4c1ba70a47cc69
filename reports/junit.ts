/**
 * A check summary as JUnit XML, the format CI test reporters read: a testsuite per scenario, a
 * testcase per variant run (classname the scenario, name the variant); a run that did not meet
 * its expectation is a failure whose body is the race diagram, an unexpected run without an
 * expectation (--all-variants) is skipped.
 */
import { STATUSES, type Row, type Summary } from "./summary.js";

const escape = (s: string) =>
  s
    // XML 1.0 has no form for most control characters (the diagram's ANSI colour is not used here).
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");

const seconds = (ms: number) => (ms / 1000).toFixed(3);

/** What was expected, in words. */
export function expectedText(r: Row): string {
  if (r.expected === "pass" || r.expected === "not-applicable") return r.expected;
  return r.expected === "none" ? "no expectation" : `violation of ${r.expected.invariant}`;
}

/** What happened, in words. */
export function outcomeText(r: Row): string {
  if (r.verdict === "violation") return `violation of ${r.invariant} at depth ${r.depth}`;
  if (r.verdict === "incomplete") return `incomplete (stopped by ${r.bound})`;
  return r.verdict;
}

function testcase(r: Row): string {
  const head = `    <testcase classname="${escape(r.scenario)}" name="${escape(r.variant)}" time="${seconds(r.stats.durationMs)}"`;
  const stats = `${r.stats.distinctStates} distinct states, ${r.stats.statesGenerated} generated, depth ${r.stats.maxDepth}`;
  if (r.status === "held") return `${head}>\n      <system-out>${escape(`${outcomeText(r)}; ${stats}`)}</system-out>\n    </testcase>`;
  if (r.status === "no-expectation") return `${head}>\n      <skipped message="${escape(`${STATUSES[r.status]}; ${outcomeText(r)}`)}"/>\n    </testcase>`;
  const message = `${r.status}: expected ${expectedText(r)}, got ${outcomeText(r)}`;
  const body = [message, stats, r.message ?? "", r.diagram ?? "", r.report ? `report: ${r.report}` : ""].filter(Boolean).join("\n\n");
  return `${head}>\n      <failure type="${r.status}" message="${escape(message)}">${escape(body)}</failure>\n    </testcase>`;
}

export function junitXml(summary: Summary): string {
  const suites = new Map<string, Row[]>();
  for (const r of summary.rows) suites.set(r.scenario, [...(suites.get(r.scenario) ?? []), r]);
  const failed = (rows: readonly Row[]) => rows.filter((r) => r.status !== "held" && r.status !== "no-expectation").length;
  const skipped = (rows: readonly Row[]) => rows.filter((r) => r.status === "no-expectation").length;
  const time = (rows: readonly Row[]) => seconds(rows.reduce((t, r) => t + r.stats.durationMs, 0));
  const out = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="mmcheck check" tests="${summary.rows.length}" failures="${failed(summary.rows)}" errors="0" skipped="${skipped(summary.rows)}" time="${time(summary.rows)}">`,
  ];
  for (const [scenario, rows] of suites) {
    out.push(`  <testsuite name="${escape(scenario)}" tests="${rows.length}" failures="${failed(rows)}" errors="0" skipped="${skipped(rows)}" time="${time(rows)}">`);
    for (const r of rows) out.push(testcase(r));
    out.push("  </testsuite>");
  }
  out.push("</testsuites>", "");
  return out.join("\n");
}
