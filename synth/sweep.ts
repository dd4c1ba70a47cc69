/**
 * `mmcheck sweep`: every scenario of a bound (scenarios/arbitrary.ts `enumerate`), each searched
 * exhaustively in this process under the variant (and, with `against`, kept only if the other
 * variant holds there). `shard` k/N takes the scenarios whose place in the enumeration is k - 1
 * modulo N: a fixed slice, balanced in count and, as neighbours are alike, in work.
 */
import { yieldSometimes, yieldToEventLoop } from "../explorer/spread.js";
import { SWEEP_FORMAT, type SweepSummary } from "../reports/synth-schema.js";
import { enumerate, scenarioOf, type SweepBound } from "../scenarios/arbitrary.js";
import { findVariant, type Variant } from "../model/variant.js";
import { judge, SWEEP_BUDGET } from "./check.js";
import { Findings, outcomeOf, type Outcome } from "./findings.js";
import { inOrder } from "./pool.js";
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
  /** Threads to judge the scenarios on (default 1: this one, no pool). */
  readonly workers?: number;
}

/**
 * Scenarios a block: on a pool thread (synth/pool.ts) about 30 ms of a sweep's scenarios, long
 * beside handing the block over, short beside the run.
 */
const BLOCK = 32;

/** A block of a sweep's scenarios, as a pool thread (synth/worker.ts) is given it: plain data. */
export interface SweepBlock {
  readonly kind: "sweep";
  readonly variant: string;
  readonly against?: string;
  readonly symmetry?: boolean;
  /** The scenario files, in the enumeration's order, and their places in it. */
  readonly files: readonly Record<string, unknown>[];
  readonly indices: readonly number[];
}

/** The block's scenarios judged in order; on this thread, a stop signal ends it early (`interrupted`). */
export async function sweepBlock(b: SweepBlock, interrupted: () => boolean = () => false): Promise<Outcome[]> {
  const variant = findVariant(b.variant)!;
  const against = b.against === undefined ? undefined : findVariant(b.against)!;
  const out: Outcome[] = [];
  for (const file of b.files) {
    // A small search does not yield to the event loop itself: a stop signal is seen here.
    await yieldSometimes();
    if (interrupted()) break;
    out.push(outcomeOf(await judge(file, variant, against, { ...SWEEP_BUDGET, symmetry: b.symmetry })));
  }
  return out;
}

/** The shard's scenarios in blocks, in order. */
/** The shard's scenarios in blocks, in order; `enumerated` is told how many scenarios the bound has once they are all seen. */
function* blocksOf(o: SweepOptions, enumerated: (total: number) => void): Generator<SweepBlock> {
  let files: Record<string, unknown>[] = [];
  let indices: number[] = [];
  let seen = 0;
  const block = (): SweepBlock => ({ kind: "sweep", variant: o.variant.name, ...(o.against && { against: o.against.name }), symmetry: o.symmetry, files, indices });
  for (const e of enumerate(o.bound)) {
    seen++;
    if (e.index % o.shard.n !== o.shard.k - 1) continue;
    files.push(scenarioOf(e.world, e.threads, `sweep-${e.index}`));
    indices.push(e.index);
    if (files.length < BLOCK) continue;
    yield block();
    files = [];
    indices = [];
  }
  if (files.length > 0) yield block();
  enumerated(seen);
}

/** Runs the sweep, writes DIR/summary.json and DIR/findings/, and returns the summary. */
export async function sweep(o: SweepOptions): Promise<SweepSummary> {
  let total: number | undefined;
  let inShard: number | undefined;
  let stopped = false;
  // Counted first for the progress (a pass over the enumeration, the same for every shard);
  // without it, the summary's count is taken as the run goes. A stop signal is seen between blocks.
  if (o.onProgress) {
    let n = 0;
    let mine = 0;
    for (const e of enumerate(o.bound)) {
      n++;
      if (e.index % o.shard.n === o.shard.k - 1) mine++;
      if (n % 4096 === 0) await yieldToEventLoop();
      if (o.interrupted()) {
        stopped = true;
        break;
      }
    }
    if (!stopped) [total, inShard] = [n, mine];
  }
  const tally = new Tally();
  const findings = new Findings(o.outDir, o.variant);
  // Merged in the enumeration's order, whichever thread judged them.
  const blocks = stopped ? [] : blocksOf(o, (n) => (total = n));
  for await (const { block, result } of inOrder(blocks, o.workers ?? 1, (b) => sweepBlock(b, o.interrupted))) {
    result.forEach((outcome, i) => {
      tally.count(outcome);
      if (outcome.failure) findings.add(block.files[i]!, outcome.failure, { index: block.indices[i]!, foundMs: Math.round(tally.elapsedMs), ...(o.against && { against: o.against.name }) });
    });
    o.onProgress?.({ done: tally.scenarios, total: inShard, failures: findings.size, elapsedMs: tally.elapsedMs });
    if (o.interrupted()) {
      stopped = true;
      break;
    }
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
