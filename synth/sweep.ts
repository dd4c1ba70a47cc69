/**
 * `mmcheck sweep`: every scenario of a bound (scenarios/arbitrary.ts `enumerate`), each searched
 * exhaustively in this process under the variant (and, with `against`, kept only if the other
 * variant holds there). `shard` k/N takes the scenarios whose place in the enumeration is k - 1
 * modulo N: a fixed slice, balanced in count and, as neighbours are alike, in work.
 */
import { yieldToEventLoop } from "../explorer/spread.js";
import type { Variant } from "../model/variant.js";
import { SWEEP_FORMAT, type SweepSummary } from "../reports/synth-schema.js";
import { enumerate, scenarioOf, type SweepBound } from "../scenarios/arbitrary.js";
import { judge, SWEEP_BUDGET } from "./check.js";
import { Findings } from "./findings.js";
import { summaryOf, Tally, writeSummary } from "./summary.js";

export interface SynthProgress {
  readonly done: number;
  /** Scenarios of the run (a fuzz run with only --time: undefined). */
  readonly total: number | undefined;
  readonly failures: number;
  readonly elapsedMs: number;
}

export interface SweepOptions {
  readonly variant: Variant;
  readonly against?: Variant;
  readonly bound: SweepBound;
  readonly shard: { readonly k: number; readonly n: number };
  readonly outDir: string;
  readonly interrupted: () => boolean;
  readonly onProgress?: (p: SynthProgress) => void;
  /** ExploreOptions.symmetry for every search (default on). */
  readonly symmetry?: boolean;
}

/** The scenarios of the bound in shard k/N. */
export function* shardOf(bound: SweepBound, shard: { k: number; n: number }) {
  for (const e of enumerate(bound)) if (e.index % shard.n === shard.k - 1) yield e;
}

/** Runs the sweep, writes DIR/summary.json and DIR/findings/, and returns the summary. */
export async function sweep(o: SweepOptions): Promise<SweepSummary> {
  let total: number | undefined = 0;
  let inShard = 0;
  let stopped = false;
  // Counted first, for the progress and the summary; a stop signal is seen between blocks.
  for (const e of enumerate(o.bound)) {
    total++;
    if (e.index % o.shard.n === o.shard.k - 1) inShard++;
    if (total % 4096 === 0) await yieldToEventLoop();
    if (o.interrupted()) {
      stopped = true;
      total = undefined;
      break;
    }
  }
  const tally = new Tally();
  const findings = new Findings(o.outDir, o.variant.name);
  for (const e of stopped ? [] : shardOf(o.bound, o.shard)) {
    if (o.interrupted()) {
      stopped = true;
      break;
    }
    const file = scenarioOf(e.world, e.threads, `sweep-${e.index}`);
    const judged = await judge(file, o.variant, o.against, { ...SWEEP_BUDGET, symmetry: o.symmetry });
    tally.count(judged.checked);
    if (judged.failure) findings.add(file, judged.failure, { index: e.index, foundMs: Math.round(tally.elapsedMs), ...(o.against && { against: o.against.name }) });
    o.onProgress?.({ done: tally.scenarios, total: inShard, failures: findings.size, elapsedMs: tally.elapsedMs });
  }
  const bound = stopped ? "interrupted" : tally.incomplete > 0 ? "incomplete" : undefined;
  const summary: SweepSummary = {
    format: SWEEP_FORMAT,
    ...(await summaryOf(o, tally, findings, bound)),
    options: { ...o.bound, shard: { ...o.shard }, ...(total !== undefined && { total }) },
  };
  writeSummary(o.outDir, summary);
  return summary;
}
