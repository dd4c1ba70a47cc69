/**
 * Joins the summaries of a sweep's shards (`--shard k/N`, each in its own folder) into the
 * summary of the whole sweep, as one run would have written it: the counts added up, each
 * distinct failure once — the first in the enumeration's order, with its files, numbered in that
 * order —, the union of the steps covered — so that shards 1/N … N/N merged equal the sweep run unsharded (durations aside).
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { writeAtomic } from "../base/output.js";
import { TOOL } from "../base/tool.js";
import { ReportSchema } from "../reports/schema.js";
import { SWEEP_FORMAT, SweepSummarySchema, type SweepSummary, type SynthFinding } from "../reports/synth-schema.js";
import { writeReport } from "../reports/write.js";
import { FINDINGS_DIR, groupKey } from "./findings.js";
import { classesOf } from "./known.js";
import { coverageOf, SUMMARY_FILE, writeSummary } from "./summary.js";

/** A summary that cannot be merged: one line naming the folder and why. Exit 2. */
export class MergeError extends Error {
  override name = "MergeError";
}

/** The `format` of DIR/summary.json, for a merge command to dispatch on. */
export function summaryFormat(dir: string): unknown {
  const json = readSummaryJson(dir);
  return typeof json === "object" && json !== null ? (json as { format?: unknown }).format : undefined;
}

function readSummaryJson(dir: string): unknown {
  const path = join(dir, SUMMARY_FILE);
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new MergeError(`${path}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no summary here" : `not valid JSON (${(e as Error).message.split("\n")[0]})`}`);
  }
}

function readSweep(dir: string): SweepSummary {
  const r = SweepSummarySchema.safeParse(readSummaryJson(dir));
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new MergeError(`${join(dir, SUMMARY_FILE)}: ${issue.path.join(".") || "(top level)"}: ${issue.message}`);
  }
  return r.data;
}

/** Merges the shards' folders into `outDir`; returns the merged summary (also written there). */
export function mergeSweeps(dirs: readonly string[], outDir: string): SweepSummary {
  const shards = dirs.map((dir) => ({ dir, s: readSweep(dir) }));
  const first = shards[0]!.s;
  const same = (s: SweepSummary) =>
    s.variant === first.variant &&
    s.against === first.against &&
    s.options.threads === first.options.threads &&
    s.options.ops === first.options.ops &&
    s.options.pages === first.options.pages &&
    s.options.shard.n === first.options.shard.n;
  for (const { dir, s } of shards)
    if (!same(s)) throw new MergeError(`${dir}: a shard of another sweep (variant, --against, bound or N differ from ${shards[0]!.dir})`);
  const n = first.options.shard.n;
  const ks = shards.map(({ s }) => s.options.shard.k).sort((a, b) => a - b);
  if (ks.length !== n || ks.some((k, i) => k !== i + 1))
    throw new MergeError(`shards: got ${ks.map((k) => `${k}/${n}`).join(", ")}; every shard 1/${n} … ${n}/${n} once is needed`);

  const groups = new Map<string, { f: SynthFinding; dir: string }>();
  for (const { dir, s } of shards)
    for (const f of s.findings) {
      const key = groupKey(f.invariant, f.steps);
      const seen = groups.get(key);
      const count = f.count + (seen?.f.count ?? 0);
      if (!seen || f.index! < seen.f.index!) groups.set(key, { f: { ...f, count }, dir });
      else seen.f = { ...seen.f, count };
    }
  const findings = [...groups.values()].sort((a, b) => a.f.index! - b.f.index!);
  const merged: SynthFinding[] = findings.map(({ f, dir }, i) => {
    const id = String(i + 1).padStart(3, "0");
    copyFinding(dir, f, outDir, id);
    return { ...f, id, scenario: `${FINDINGS_DIR}/${id}.yaml`, report: `${FINDINGS_DIR}/${id}.json` };
  });
  const sum = (key: "scenarios" | "refused" | "exhaustive" | "walked" | "states" | "durationMs") => shards.reduce((t, { s }) => t + s.stats[key], 0);
  const bounds = shards.map(({ s }) => s.bound);
  const bound = bounds.includes("interrupted") ? "interrupted" : bounds.includes("incomplete") ? "incomplete" : undefined;
  const summary: SweepSummary = {
    format: SWEEP_FORMAT,
    tool: { ...TOOL },
    variant: first.variant,
    ...(first.against !== undefined && { against: first.against }),
    options: { ...first.options, shard: { k: 1, n: 1 } },
    outcome: merged.length > 0 ? "found" : bound ? "stopped" : "nothing-found",
    ...(bound && { bound }),
    stats: {
      scenarios: sum("scenarios"),
      refused: sum("refused"),
      exhaustive: sum("exhaustive"),
      walked: sum("walked"),
      states: sum("states"),
      durationMs: sum("durationMs"),
    },
    coverage: coverageOf(
      shards.flatMap(({ s }) => s.coverage.steps),
      first.variant,
    ),
    findings: merged,
    classes: classesOf(merged),
  };
  writeSummary(outDir, summary);
  return summary;
}

/** A finding's scenario file and report, renumbered into `outDir` (the report names its new scenario path). */
function copyFinding(dir: string, f: SynthFinding, outDir: string, id: string): void {
  mkdirSync(join(outDir, FINDINGS_DIR), { recursive: true });
  const scenarioPath = join(outDir, FINDINGS_DIR, `${id}.yaml`);
  const scenario = parse(readFileSync(join(dir, f.scenario), "utf8")) as Record<string, unknown>;
  writeAtomic(scenarioPath, [stringify({ ...scenario, name: `finding-${id}` })], "--out");
  // The trace's #meta names the scenario file by the path it was run with: the new path now.
  const text = readFileSync(join(dir, f.report), "utf8").replaceAll(JSON.stringify(join(dir, f.scenario)), JSON.stringify(scenarioPath));
  const report = ReportSchema.safeParse(JSON.parse(text));
  if (!report.success) throw new MergeError(`${join(dir, f.report)}: not a valid report`);
  // The report's own scenario field is relative to its folder (writeReport): the new file's path.
  writeReport(join(outDir, FINDINGS_DIR, `${id}.json`), { ...report.data, scenario: scenarioPath }, "--out");
}
