/** `mmcheck sweep`: its flags and help (the sweep itself is synth/sweep.ts). */
import { z } from "zod";
import { maxWorkers } from "../explorer/pool.js";
import { findVariant, VARIANTS, type Variant } from "../model/variant.js";
import type { SynthClass } from "../reports/synth-schema.js";
import { prepareOut } from "../synth/out.js";
import { sweep } from "../synth/sweep.js";
import { checkFlags, integerFlag, parseArgs, UsageError } from "./args.js";
import { stopSignal } from "./signals.js";
import { synthProgress } from "./synth-progress.js";

/** A variant flag's value, checked against the variants. */
export const variantFlag = z.string().transform((name, ctx): Variant => {
  const v = findVariant(name);
  if (v) return v;
  ctx.addIssue({ code: "custom", message: `unknown variant "${name}" (known: ${VARIANTS.map((x) => x.name).join(", ")})` });
  return z.NEVER;
});

/** The flags sweep and fuzz share: the output folder, progress, symmetry, threads. */
export const SYNTH_FLAGS = {
  out: z.string({ error: "required (the output folder)" }).min(1, "must not be empty"),
  workers: integerFlag(1, { value: maxWorkers(), why: "4 × the cores" }).optional(),
  "no-progress": z.literal(true).optional(),
  "no-symmetry": z.literal(true).optional(),
};
export const SYNTH_ARGS = { out: "value", workers: "value", "no-progress": "switch", "no-symmetry": "switch" } as const;

const SweepFlags = z.strictObject({
  variant: variantFlag.default(findVariant("modern")!),
  against: variantFlag.optional(),
  threads: integerFlag(1, { value: 4, why: "the enumeration grows as the power of the threads" }),
  ops: integerFlag(1, { value: 4, why: "the enumeration grows as the power of the operations" }),
  pages: integerFlag(1, { value: 3, why: "a sweep's mappings stay small; fuzz goes further" }).default(1),
  shard: z
    .string()
    .regex(/^[0-9]+\/[0-9]+$/, "k/N, e.g. 1/4")
    .transform((v) => ({ k: Number(v.split("/")[0]), n: Number(v.split("/")[1]) }))
    .refine((s) => s.n >= 1 && s.k >= 1 && s.k <= s.n, "k/N with 1 ≤ k ≤ N")
    .default({ k: 1, n: 1 }),
  ...SYNTH_FLAGS,
});

export async function sweepCommand(args: readonly string[]): Promise<number> {
  const { flags, positionals } = parseArgs("sweep", args, {
    variant: "value",
    against: "value",
    threads: "value",
    ops: "value",
    pages: "value",
    shard: "value",
    ...SYNTH_ARGS,
  });
  if (positionals.length) throw new UsageError(`${positionals[0]}: unexpected argument`);
  const o = checkFlags(SweepFlags, flags);
  return runSynth("sweep", o, (common) =>
    sweep({ variant: o.variant, against: o.against, bound: { threads: o.threads, ops: o.ops, pages: o.pages }, shard: o.shard, ...common }),
  );
}

/**
 * A sweep or fuzz run with what both commands give it (the output folder, prepared; the stop
 * signal; progress; symmetry), then its outcome printed and its exit code.
 */
export async function runSynth<S extends Parameters<typeof printOutcome>[1]>(
  what: string,
  o: { readonly out: string; readonly workers?: number; readonly "no-progress"?: true; readonly "no-symmetry"?: true },
  run: (common: { outDir: string; interrupted: () => boolean; onProgress: ReturnType<typeof synthProgress>["onProgress"]; symmetry: boolean; workers: number }) => Promise<S>,
): Promise<number> {
  prepareOut(o.out);
  const progress = synthProgress(!o["no-progress"], what);
  let summary;
  try {
    summary = await run({
      outDir: o.out,
      interrupted: () => stopSignal() !== undefined,
      onProgress: progress.onProgress,
      symmetry: !o["no-symmetry"],
      // One thread unless asked: on this 2-vCPU VM two were no faster (bench/results.json, synth.sweep).
      workers: o.workers ?? 1,
    });
  } finally {
    progress.stop();
  }
  return printOutcome(what, summary, o.out);
}

/** Findings printed one per line up to this many; past it, their classes. */
const FINDING_LINES = 20;

/** The run's outcome in a few lines, and its exit code. */
export function printOutcome(what: string, s: { outcome: string; bound?: string; stats: { scenarios: number; refused: number; exhaustive: number; walked: number; states: number; durationMs: number }; coverage: { covered: number; of: number }; findings: readonly { id: string; invariant: string; depth: number; count: number; known?: string[] }[]; classes: readonly SynthClass[] }, out: string): number {
  const st = s.stats;
  console.log(
    `${what}: ${st.scenarios.toLocaleString("en-US")} scenarios (${st.refused} refused, ${st.exhaustive} exhaustive, ${st.walked} walked), ` +
      `${st.states.toLocaleString("en-US")} states, ${(st.durationMs / 1000).toFixed(1)} s, ${s.coverage.covered} of the variant's ${s.coverage.of} steps covered`,
  );
  const known = (k: readonly string[] | undefined) => (k?.length ? ` = open finding ${k.join(", ")}` : "");
  // Past a screenful, one line per class (summary.json keeps every finding).
  if (s.findings.length <= FINDING_LINES)
    for (const f of s.findings) console.log(`  finding ${f.id}: ${f.invariant} at depth ${f.depth} (${f.count} scenarios)${known(f.known)}: ${out}/findings/${f.id}.yaml`);
  else
    for (const c of s.classes)
      console.log(`  ${c.invariant} in ${c.operations.join(" + ")}${known(c.known)}: ${c.findings.length} findings (${c.count} scenarios), first ${out}/findings/${c.findings[0]}.yaml`);
  const why = s.bound === "interrupted" ? `stopped by ${stopSignal() ?? "a signal"}` : s.bound === "time" ? "stopped by --time" : "some scenarios too large to search exhaustively";
  const newOnes = s.findings.filter((f) => !f.known?.length).length;
  console.log(s.outcome === "found" ? `${s.findings.length} distinct failures in ${s.classes.length} classes${newOnes < s.findings.length ? ` (${newOnes} not an open finding)` : ""}` : s.outcome === "stopped" ? `nothing found (${why})` : "nothing found");
  console.log(`summary: ${out}/summary.json`);
  return s.outcome === "found" ? 1 : s.outcome === "stopped" ? 3 : 0;
}
