/**
 * `mmcheck merge DIR … --out DIR`: joins the output folders of shards into one, by the format
 * their summary.json names (`format`): each format's merger is one entry of MERGERS.
 */
import { join } from "node:path";
import { checkOutput, ensureDir } from "../base/output.js";
import { TOOL } from "../base/tool.js";
import { readJson, readReport, ReportError } from "../reports/read.js";
import type { Report } from "../reports/schema.js";
import { PASSING, readSummary, rowKey, summarise, SUMMARY_FORMAT, type Row } from "../reports/summary.js";
import { parseArgs, UsageError } from "./args.js";
import { writeOutputs } from "./matrix.js";
import { SWEEP_FORMAT } from "../reports/synth-schema.js";
import { mergeSweeps } from "../synth/merge.js";
import { prepareOut } from "../synth/out.js";

/** `mmcheck check`'s folders: their rows joined (each scenario × variant once), their reports copied. */
function mergeCheck(dirs: readonly string[], out: string): number {
  const summaries = dirs.map((d) => ({ dir: d, summary: readSummary(join(d, "summary.json")) }));
  const seen = new Map<string, string>();
  const rows: Row[] = [];
  const reports = new Map<string, Report>();
  for (const { dir, summary } of summaries)
    for (const r of summary.rows) {
      const other = seen.get(rowKey(r));
      if (other !== undefined) throw new UsageError(`${dir}: ${r.scenario} under ${r.variant} is also in ${other}: a shard given twice?`);
      seen.set(rowKey(r), dir);
      rows.push(r);
      if (r.report !== undefined) reports.set(r.report, readReport(join(dir, r.report)));
    }
  const summary = summarise(rows, summaries[0]!.summary.options, { ...TOOL });
  writeOutputs(out, summary, reports);
  const failing = summary.rows.filter((r) => !PASSING.has(r.status)).length;
  console.log(`merged ${dirs.length} folders, ${summary.rows.length} runs: ${summary.ok ? "every expectation held" : `${failing} did not meet their expectation`}; ${join(out, "summary.json")}`);
  return summary.ok ? 0 : 1;
}

/** `mmcheck sweep --shard`'s folders: the summary and findings one unsharded sweep writes. */
function mergeSweep(dirs: readonly string[], out: string): number {
  prepareOut(out);
  const s = mergeSweeps(dirs, out);
  console.log(`merged ${dirs.length} shards: ${s.stats.scenarios.toLocaleString("en-US")} scenarios, ${s.findings.length} distinct failures; ${join(out, "summary.json")}`);
  return s.outcome === "found" ? 1 : s.outcome === "stopped" ? 3 : 0;
}

/** By summary format; the exit code is the command's whose folders are merged. */
const MERGERS: Readonly<Record<string, (dirs: readonly string[], out: string) => number>> = {
  [SUMMARY_FORMAT]: mergeCheck,
  [SWEEP_FORMAT]: mergeSweep,
};

/** The `format` of DIR/summary.json. */
function formatOf(dir: string): string {
  const path = join(dir, "summary.json");
  const raw = readJson(path);
  const format = (raw as { format?: unknown } | null)?.format;
  if (typeof format !== "string") throw new ReportError(`${path}: format: missing (known: ${Object.keys(MERGERS).join(", ")})`);
  return format;
}

export function mergeCommand(args: readonly string[]): number {
  const { flags, positionals } = parseArgs("merge", args, { out: "value" });
  if (typeof flags.out !== "string") throw new UsageError("--out: required (the folder to write the merged summary into)");
  if (!positionals.length) throw new UsageError("DIR: missing (mmcheck merge DIR … --out DIR)");
  ensureDir(flags.out, "--out");
  checkOutput(join(flags.out, "summary.json"), "--out");
  const formats = positionals.map(formatOf);
  const merge = MERGERS[formats[0]!];
  if (!merge) throw new ReportError(`${join(positionals[0]!, "summary.json")}: format: unknown format "${formats[0]}" (known: ${Object.keys(MERGERS).join(", ")})`);
  const other = formats.findIndex((f) => f !== formats[0]);
  if (other >= 0) throw new ReportError(`${join(positionals[other]!, "summary.json")}: format: "${formats[other]}", not the first folder's "${formats[0]}"`);
  return merge(positionals, flags.out);
}
