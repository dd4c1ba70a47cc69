/** `mmcheck merge DIR … --out DIR`: joins results by their summary's `format` (a sweep's shards: synth/merge.ts). */
import { mkdirSync } from "node:fs";
import { SWEEP_FORMAT } from "../reports/synth-schema.js";
import { mergeSweeps, summaryFormat, MergeError } from "../synth/merge.js";
import { prepareOut } from "../synth/out.js";
import { checkFlags, parseArgs, UsageError } from "./args.js";
import { z } from "zod";

export const MERGE_USAGE = `  mmcheck merge DIR ... --out DIR
      Joins the output folders of a sweep's shards (--shard 1/N ... N/N) into the summary and
      findings one unsharded sweep writes. Exit 0 nothing found, 1 a finding, 2 bad input.`;

const MergeFlags = z.strictObject({ out: z.string({ error: "required (the output folder)" }).min(1, "must not be empty") });

export function mergeCommand(args: readonly string[]): number {
  const { flags, positionals } = parseArgs("merge", args, { out: "value" });
  const o = checkFlags(MergeFlags, flags);
  if (positionals.length === 0) throw new UsageError("DIR: missing (mmcheck merge DIR ... --out DIR)");
  for (const dir of positionals) {
    const format = summaryFormat(dir);
    if (format !== SWEEP_FORMAT) throw new MergeError(`${dir}: summary format ${JSON.stringify(format)}: merge joins ${SWEEP_FORMAT} (sweep shards)`);
  }
  prepareOut(o.out);
  mkdirSync(o.out, { recursive: true });
  const s = mergeSweeps(positionals, o.out);
  console.log(`merged ${positionals.length} shards: ${s.stats.scenarios.toLocaleString("en-US")} scenarios, ${s.findings.length} distinct failures`);
  console.log(`summary: ${o.out}/summary.json`);
  return s.outcome === "found" ? 1 : s.outcome === "stopped" ? 3 : 0;
}
