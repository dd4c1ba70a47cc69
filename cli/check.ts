/** `mmcheck check`: the scenario × variant matrix against each scenario's `expect:`, for CI and nightly runs. */
import { z } from "zod";
import { TOOL } from "../base/tool.js";
import { checkOutput, ensureDir } from "../base/output.js";
import { join } from "node:path";
import { maxWorkers } from "../explorer/pool.js";
import { readSummary, summarise, PASSING } from "../reports/summary.js";
import type { Report } from "../reports/schema.js";
import { checkFlags, integerFlag, parseArgs, UsageError } from "./args.js";
import { parseShard, reportName, rowOf, runAll, runLine, selectRuns, selectScenarios, shardRuns, writeOutputs } from "./matrix.js";

const seconds = z
  .string()
  .regex(/^[0-9]+(\.[0-9]+)?$/, "a number of seconds")
  .transform(Number)
  .pipe(z.number().positive("must be more than 0"));

export const CHECK_FLAGS = {
  scenario: "list",
  variant: "list",
  "all-variants": "switch",
  shard: "value",
  timings: "value",
  out: "value",
  "max-states": "value",
  "max-depth": "value",
  "run-time": "value",
  "time-budget": "value",
  workers: "value",
  "no-symmetry": "switch",
} as const;

const CheckFlags = z.strictObject({
  scenario: z.array(z.string().min(1, "must not be empty")).optional(),
  variant: z.array(z.string().min(1, "must not be empty")).optional(),
  "all-variants": z.literal(true).optional(),
  shard: z.string().transform(parseShard).optional(),
  timings: z.string().min(1, "must not be empty").optional(),
  out: z.string({ error: "required (the folder to write summary.json, junit.xml, step-summary.md, report.html and reports/ into)" }).min(1, "must not be empty"),
  "max-states": integerFlag(1).optional(),
  "max-depth": integerFlag(0).optional(),
  "run-time": seconds.optional(),
  "time-budget": seconds.optional(),
  workers: integerFlag(1, { value: maxWorkers(), why: "4 × the cores" }).optional(),
  "no-symmetry": z.literal(true).optional(),
});

export async function checkCommand(args: readonly string[]): Promise<number> {
  const { flags, positionals } = parseArgs("check", args, CHECK_FLAGS);
  if (positionals.length) throw new UsageError(`${positionals[0]}: unexpected argument (scenarios go after --scenario)`);
  const opts = checkFlags(CheckFlags, flags);
  if (opts["all-variants"] && opts.variant) throw new UsageError("--all-variants: not with --variant");
  ensureDir(opts.out, "--out");
  checkOutput(join(opts.out, "summary.json"), "--out");
  const timings = opts.timings !== undefined ? new Map(readSummary(opts.timings).rows.map((r) => [`${r.scenario} ${r.variant}`, r.stats.durationMs])) : undefined;
  const { runs: all, refused } = selectRuns(selectScenarios(opts.scenario), opts.variant, opts["all-variants"] === true);
  for (const r of refused) console.log(`not run: ${r.scenario} under ${r.variant}: ${r.reason}`);
  const runs = opts.shard ? shardRuns(all, opts.shard, timings) : all;
  const bounds = {
    maxStates: opts["max-states"],
    maxDepth: opts["max-depth"],
    runSeconds: opts["run-time"],
    budgetSeconds: opts["time-budget"],
    workers: opts.workers,
    symmetry: !opts["no-symmetry"],
  };
  console.log(`mmcheck check: ${runs.length} runs${opts.shard ? ` (shard ${opts.shard.index}/${opts.shard.count} of ${all.length})` : ""}`);
  const outcomes = await runAll(runs, bounds, (o, done) => {
    process.stderr.write(`[${done}/${runs.length}] ${runLine(o, rowOf(o))}\n`);
  });
  // Kept: the report of every run that did not meet its expectation, and of every counterexample.
  const reports = new Map<string, Report>();
  const rows = outcomes.map((o) => {
    const row = rowOf(o);
    if (PASSING.has(row.status) && o.report.verdict !== "violation") return row;
    const rel = `reports/${reportName(o.run.scenario, o.run.variant)}`;
    reports.set(rel, o.report);
    return rowOf(o, rel);
  });
  const options = {
    ...(bounds.maxStates !== undefined && { maxStates: bounds.maxStates }),
    ...(bounds.maxDepth !== undefined && { maxDepth: bounds.maxDepth }),
    ...(bounds.runSeconds !== undefined && { runSeconds: bounds.runSeconds }),
    ...(bounds.budgetSeconds !== undefined && { budgetSeconds: bounds.budgetSeconds }),
  };
  const summary = summarise(rows, options, { ...TOOL }, opts.shard);
  writeOutputs(opts.out, summary, reports);
  const failing = summary.rows.filter((r) => !PASSING.has(r.status));
  for (const r of failing) console.log(`${r.status}: ${r.scenario} under ${r.variant}${r.report ? ` (${join(opts.out, r.report)})` : ""}`);
  console.log(
    `${summary.ok ? "every expectation held" : `${failing.length} of ${summary.rows.length} runs did not meet their expectation`}; ` +
      `${join(opts.out, "summary.json")}, junit.xml, step-summary.md, report.html`,
  );
  return summary.ok ? 0 : 1;
}
