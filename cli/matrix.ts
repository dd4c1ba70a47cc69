/**
 * The runs of `mmcheck check` and `mmcheck diff`: which scenario × variant pairs (names, globs,
 * --all-variants, --shard), run on a piscina pool of one thread per core, each run searched on
 * its thread alone (workers/check.ts) and bounded; and the output folder written from them.
 */
import { readFileSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { Piscina } from "piscina";
import { ensureDir, writeAtomic } from "../base/output.js";
import { replay } from "../explorer/trace.js";
import { defaultWorkers, workerFile } from "../explorer/pool.js";
import { hugetlbfs_bad_mount_option } from "../model/hugetlb/inode.js";
import { findVariant, VARIANTS } from "../model/variant.js";
import { buildMm } from "../models/mm.js";
import { htmlReport } from "../reports/html.js";
import { threadsFromItf } from "../reports/itf.js";
import { junitXml } from "../reports/junit.js";
import { outcomeText } from "../reports/junit.js";
import type { Report } from "../reports/schema.js";
import { stepSummary } from "../reports/step-summary.js";
import { statusOf, type Expected, type Row, type Summary } from "../reports/summary.js";
import { swimlanes, type Swimlanes } from "../reports/swimlane.js";
import { writeItf, writeReport } from "../reports/write.js";
import { loadScenario, shippedScenarios } from "../scenarios/load.js";
import type { CheckResult, CheckTask } from "../workers/check.js";
import { UsageError } from "./args.js";

export interface Run {
  readonly scenario: string;
  readonly variant: string;
  readonly expected: Expected;
}

/** A shell glob (`*`, `?`, `[…]`) as a whole-name regular expression. */
function globRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*") re += ".*";
    else if (c === "?") re += ".";
    else if (c === "[") {
      const end = glob.indexOf("]", i + 1);
      if (end < 0) throw new UsageError(`--scenario: ${glob}: "[" without its "]"`);
      re += `[${glob.slice(i + 1, end).replace(/^!/, "^").replace(/\\/g, "\\\\")}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

/** The scenarios --scenario names: shipped names, globs over them, or paths; all shipped by default. */
export function selectScenarios(patterns: readonly string[] | undefined): string[] {
  const shipped = shippedScenarios();
  if (!patterns?.length) return shipped;
  const out: string[] = [];
  for (const p of patterns) {
    if (/[*?[]/.test(p) && !/[/\\]/.test(p)) {
      const re = globRegExp(p);
      const hits = shipped.filter((n) => re.test(n));
      if (!hits.length) throw new UsageError(`--scenario: ${p} matches no shipped scenario (see mmcheck list)`);
      out.push(...hits);
    } else out.push(p);
  }
  return [...new Set(out)];
}

/**
 * Each scenario's runs: the variants its `expect:` names (default), those --variant names, or
 * every variant (--all-variants); a variant its `expect:` does not name has expectation none.
 */
/** A run the variant's kernel cannot set up (its mount refuses the scenario's options): not run. */
export interface Refused {
  readonly scenario: string;
  readonly variant: string;
  readonly reason: string;
}

export function selectRuns(scenarios: readonly string[], variants: readonly string[] | undefined, all: boolean): { runs: Run[]; refused: Refused[] } {
  for (const v of variants ?? [])
    if (!VARIANTS.some((x) => x.name === v)) throw new UsageError(`--variant: unknown variant "${v}" (known: ${VARIANTS.map((x) => x.name).join(", ")})`);
  const runs: Run[] = [];
  const refused: Refused[] = [];
  for (const scenario of scenarios) {
    const { expect, config } = loadScenario(scenario);
    const names = all ? VARIANTS.map((v) => v.name) : variants?.length ? variants : Object.keys(expect).length ? Object.keys(expect) : ["modern"];
    for (const variant of names) {
      const reason = hugetlbfs_bad_mount_option(config, findVariant(variant)!);
      if (reason) {
        refused.push({ scenario, variant, reason });
        continue;
      }
      const e = expect[variant];
      runs.push({ scenario, variant, expected: e === undefined ? "none" : e === "pass" || e === "not-applicable" ? e : { verdict: "violation", invariant: e.invariant, ...(e.finding !== undefined && { finding: e.finding }) } });
    }
  }
  return { runs, refused };
}

/** `k/N`, 1 ≤ k ≤ N. */
export function parseShard(text: string): { index: number; count: number } {
  const m = /^([0-9]+)\/([0-9]+)$/.exec(text);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count || count > 1000) throw new UsageError(`--shard: "${text}": expected k/N with 1 ≤ k ≤ N ≤ 1000 (e.g. 1/2)`);
  return { index, count };
}

/**
 * Shard k of N: the runs dealt, longest first, each to the shard with the least time so far
 * (the lowest-numbered on a tie), by the durations of a previous summary (a run it lacks counts
 * as the median of those it has; with none, every run counts 1). The same runs and timings
 * give the same shards on every machine.
 */
export function shardRuns(runs: readonly Run[], shard: { index: number; count: number }, timings?: ReadonlyMap<string, number>): Run[] {
  const key = (r: Run) => `${r.scenario} ${r.variant}`;
  const known = runs.map((r) => timings?.get(key(r))).filter((t): t is number => t !== undefined).sort((a, b) => a - b);
  const fallback = known.length ? known[Math.floor(known.length / 2)]! : 1;
  const weight = (r: Run) => Math.max(1, timings?.get(key(r)) ?? fallback);
  const order = [...runs].sort((a, b) => weight(b) - weight(a) || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const load = new Array<number>(shard.count).fill(0);
  const mine: Run[] = [];
  for (const r of order) {
    let s = 0;
    for (let i = 1; i < shard.count; i++) if (load[i]! < load[s]!) s = i;
    load[s]! += weight(r);
    if (s === shard.index - 1) mine.push(r);
  }
  return mine;
}

export interface Bounds {
  readonly maxStates?: number;
  readonly maxDepth?: number;
  readonly runSeconds?: number;
  readonly budgetSeconds?: number;
  readonly workers?: number;
  /** ExploreOptions.symmetry of every run (default on). */
  readonly symmetry?: boolean;
}

export interface Outcome {
  readonly run: Run;
  readonly report: Report;
  readonly diagram?: string;
}

/** Runs each on the pool; `onDone` after each, in the order they finish. Results in the runs' order. */
export async function runAll(runs: readonly Run[], bounds: Bounds, onDone?: (o: Outcome, done: number) => void): Promise<Outcome[]> {
  const threads = Math.max(1, Math.min(bounds.workers ?? defaultWorkers(), runs.length));
  const pool = new Piscina<CheckTask, CheckResult>({ filename: workerFile(), name: "check", minThreads: threads, maxThreads: threads, idleTimeout: 1000 });
  const budgetEnd = bounds.budgetSeconds !== undefined ? Date.now() + bounds.budgetSeconds * 1000 : undefined;
  let done = 0;
  try {
    return await Promise.all(
      runs.map(async (run) => {
        // The run's own time starts when a thread takes it: the deadline is set in the worker's queue order.
        const task = (): CheckTask => {
          const ends = [budgetEnd, bounds.runSeconds !== undefined ? Date.now() + bounds.runSeconds * 1000 : undefined].filter((x): x is number => x !== undefined);
          return { scenario: run.scenario, variant: run.variant, maxStates: bounds.maxStates, maxDepth: bounds.maxDepth, symmetry: bounds.symmetry, ...(ends.length && { deadline: Math.min(...ends) }) };
        };
        const r = await pool.run(task());
        const o: Outcome = { run, ...r };
        onDone?.(o, ++done);
        return o;
      }),
    );
  } finally {
    await pool.destroy();
  }
}

/** A file name for a run's report in DIR/reports/. */
export function reportName(scenario: string, variant: string): string {
  const base = /[/\\]/.test(scenario) || /\.(ya?ml|json)$/.test(scenario) ? basename(scenario, extname(scenario)) : scenario;
  return `${base.replace(/[^A-Za-z0-9._-]/g, "_")}--${variant}.json`;
}

/** A run's row in the summary; `report` its path in the output folder when one is kept. */
export function rowOf(o: Outcome, report?: string): Row {
  const r = o.report;
  const verdict = r.verdict as Row["verdict"];
  const v = r.verdict === "violation" ? r.violation : undefined;
  return {
    scenario: o.run.scenario,
    variant: o.run.variant,
    expected: o.run.expected,
    verdict,
    status: statusOf(o.run.expected, verdict, v?.invariant),
    ...(v && { invariant: v.invariant, message: v.message, depth: v.depth }),
    ...(r.verdict === "incomplete" && { bound: r.bound }),
    stats: { distinctStates: r.stats.distinctStates, statesGenerated: r.stats.statesGenerated, maxDepth: r.stats.maxDepth, durationMs: r.stats.durationMs },
    ...(o.diagram !== undefined && { diagram: o.diagram }),
    ...(report !== undefined && { report }),
  };
}

/** The swimlanes of a report's counterexample: the model built again and the trace replayed. */
export function reportSwimlanes(report: Report, status: string): Swimlanes | undefined {
  if (report.verdict !== "violation") return undefined;
  const model = buildMm({ scenario: report.scenario, variant: report.variant, params: report.options.params, kernel: report.options.kernel });
  const run = replay(model.system, threadsFromItf(report.violation.trace, model.describe.threads));
  const v = report.violation;
  return swimlanes(model, run, { scenario: report.scenario, variant: report.variant, status, outcome: `${v.invariant} violated at depth ${v.depth}: ${v.message}` });
}

/**
 * Writes DIR/summary.json, junit.xml, step-summary.md (also appended to $GITHUB_STEP_SUMMARY
 * when set), report.html, and each kept report under DIR/reports/ (by the rows' `report`).
 */
export function writeOutputs(dir: string, summary: Summary, reports: ReadonlyMap<string, Report>): void {
  ensureDir(join(dir, "reports"), "--out");
  for (const [rel, report] of reports) {
    writeReport(join(dir, rel), report, "--out");
    writeItf(join(dir, rel), report, "--out");
  }
  const cxs = summary.rows.flatMap((r) => {
    const rep = r.report !== undefined ? reports.get(r.report) : undefined;
    const s = rep && reportSwimlanes(rep, r.status);
    return s ? [s] : [];
  });
  writeAtomic(join(dir, "summary.json"), [`${JSON.stringify(summary, null, 2)}\n`], "--out");
  writeAtomic(join(dir, "junit.xml"), [junitXml(summary)], "--out");
  const md = stepSummary(summary);
  writeAtomic(join(dir, "step-summary.md"), [md], "--out");
  writeAtomic(join(dir, "report.html"), [htmlReport(summary, cxs)], "--out");
  const gh = process.env.GITHUB_STEP_SUMMARY;
  if (gh) writeAtomic(gh, [readOr(gh), md], "$GITHUB_STEP_SUMMARY");
}

/** A file's text, or nothing if it is not there yet (GitHub's step summary file starts empty). */
function readOr(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** One line for a finished run. */
export function runLine(o: Outcome, row: Row): string {
  return `${row.status.padEnd(20)} ${o.run.scenario} under ${o.run.variant}: ${outcomeText(row)} (${(row.stats.durationMs / 1000).toFixed(2)} s)`;
}

