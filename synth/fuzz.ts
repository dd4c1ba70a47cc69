/**
 * `mmcheck fuzz`: random scenarios (scenarios/arbitrary.ts `drawnArbitrary`, larger than a sweep
 * reaches), each searched exhaustively when small and by random walks when not (synth/check.ts).
 * A failure is shrunk on both axes: fast-check shrinks the scenario (fewer threads and
 * operations, a smaller world) as long as it still fails on the same invariant, then a greedy
 * pass (synth/minimise.ts) removes what fast-check cannot; the minimal scenario is then searched
 * breadth-first for the shortest trace. The run goes on after a finding,
 * from the next scenario, until --runs, --time or a stop signal; each distinct failure is
 * written once (synth/findings.ts). Everything follows from the seed: the same seed gives the
 * same scenarios, verdicts and findings, and a finding's fast-check path regenerates it
 * (`--path`: the value at the path, minimised again).
 */
import fc from "fast-check";
import type { Variant } from "../model/variant.js";
import { FUZZ_FORMAT, type FuzzSummary } from "../reports/synth-schema.js";
import { drawnArbitrary, drawnScenario, opsOf, place, scenarioOfPlaced, worldSweep, type Drawn } from "../scenarios/arbitrary.js";
import { FUZZ_BUDGET, judge, type Budget, type Judged } from "./check.js";
import { yieldSometimes } from "../explorer/spread.js";
import { findVariant } from "../model/variant.js";
import { Findings, outcomeOf, type Outcome } from "./findings.js";
import { inOrder } from "./pool.js";
import { minimise, type Minimal } from "./minimise.js";
import type { SynthProgress } from "./sweep.js";
import { summaryOf, Tally, writeSummary } from "./summary.js";

export interface FuzzOptions {
  readonly variant: Variant;
  readonly against?: Variant;
  readonly seed: number;
  readonly runs: number;
  readonly timeSeconds?: number;
  /**
   * Regenerate the one scenario at this fast-check path (a finding's), instead of a run; `P@K`:
   * the K-th scenario of the sweep of the world drawn at P.
   */
  readonly path?: string;
  readonly outDir: string;
  /** End at the first finding (the benchmark's time to first find). */
  readonly untilFound?: boolean;
  /**
   * With untilFound: look for violations of this invariant alone (a bug-* variant's own; the
   * others are not checked, so no time goes to shrinking them) and end at its first finding.
   */
  readonly untilInvariant?: string;
  readonly interrupted: () => boolean;
  readonly onProgress?: (p: SynthProgress) => void;
  /** ExploreOptions.symmetry for every search (default on). */
  readonly symmetry?: boolean;
  /** Threads to judge the draws on (default 1: this one, no pool); shrinking runs on this one. */
  readonly workers?: number;
}

/** The shrunk scenario's search for its shortest trace: larger than a run's. */
const SHORTEST_BUDGET: Budget = { maxStates: 500_000, walks: FUZZ_BUDGET.walks };

export async function fuzz(o: FuzzOptions): Promise<FuzzSummary> {
  const budget: Budget = { ...FUZZ_BUDGET, symmetry: o.symmetry };
  const shortestBudget: Budget = { ...SHORTEST_BUDGET, symmetry: o.symmetry };
  const arb = drawnArbitrary();
  const tally = new Tally();
  const findings = new Findings(o.outDir, o.variant);
  // Date.now(): pool threads read the deadline too.
  const deadline = o.timeSeconds !== undefined ? Date.now() + o.timeSeconds * 1000 : Infinity;
  let stop: "interrupted" | "time" | undefined;
  const stopped = () => {
    if (o.interrupted()) stop = "interrupted";
    else if (Date.now() > deadline) stop = "time";
    return stop !== undefined;
  };
  const only = o.untilFound ? o.untilInvariant : undefined;
  const run = (m: Minimal, name: string, b = budget) => {
    const file = scenarioOfPlaced(m.world, m.threads, name);
    return judge(file, o.variant, o.against, b, only).then((judged) => ({ file, judged }));
  };
  /** The failure made minimal, then searched breadth-first for its shortest trace (else the walk's trace). */
  const shortest = async (found: Minimal, invariant: string, name: string) => {
    const m = await minimise(found, (file) => judge(file, o.variant, o.against, budget, only).then((j) => j.failure?.invariant === invariant), o.interrupted);
    const final = await run(m, name, shortestBudget);
    return final.judged.failure?.invariant === invariant ? final : run(m, name);
  };
  const progress = () =>
    o.onProgress?.({ done: tally.scenarios, total: o.timeSeconds === undefined ? o.runs : undefined, failures: findings.size, elapsedMs: tally.elapsedMs });
  const record = (file: Record<string, unknown>, judged: Judged, meta: { path: string; foundMs: number }) =>
    judged.failure && findings.add(file, outcomeOf(judged).failure!, { seed: o.seed, ...meta, ...(o.against && { against: o.against.name }) }, judged.failure.checked.model);
  const done = () => o.untilFound === true && findings.list().some((f) => o.untilInvariant === undefined || f.invariant === o.untilInvariant);

  if (o.path !== undefined) {
    // The value at the path, as fast-check regenerates it: the property only takes it.
    const [path, k] = o.path.split("@") as [string, string | undefined];
    let drawn: Drawn | undefined;
    await fc.check(
      fc.property(arb, (d) => {
        drawn ??= d;
        return true;
      }),
      { seed: o.seed, path, numRuns: 1 },
    );
    // A world's sweep: its K-th scenario.
    const found = drawn!.sweep ? sweepAt(drawn!, Number(k ?? 0)) : placed(drawn!);
    // The finding's scenario is this value minimised as the run did it.
    const { judged: first } = found ? await run(found, "fuzz-path") : { judged: undefined };
    if (first) tally.count(outcomeOf(first));
    if (found && first?.failure) {
      const { file, judged } = await shortest(found, first.failure.invariant, "fuzz-path");
      record(file, judged, { path: o.path, foundMs: Math.round(tally.elapsedMs) });
    }
  }

  // The draws judged in blocks, on this thread or the pool's, and merged here in draw order: the
  // tally, the failures and their shrinking (on this thread) as one thread drawing them in turn.
  const draws = o.path === undefined ? blocksOf(drawsFrom(arb, o.seed, o.runs), o, deadline, only) : [];
  merge: for await (const { block, result } of inOrder(draws, o.workers ?? 1, (b) => fuzzBlock(b, o.interrupted))) {
    for (const [i, r] of result.entries()) {
      if (stopped() || done()) break merge;
      const { at, drawn, again } = block.draws[i]!;
      if (again && !r.stopped) continue;
      for (const [k, outcome] of r.outcomes.entries()) {
        if (stopped()) break merge;
        tally.count(outcome);
        progress();
        if (!outcome.failure || !drawn.sweep) continue;
        // A world's sweep: a failure, already among the smallest scenarios, is shrunk by the
        // greedy pass alone and recorded, and the sweep goes on.
        const foundMs = Math.round(tally.elapsedMs);
        const { file, judged } = await shortest(sweepAt(drawn, k)!, outcome.failure.invariant, `fuzz-${at}`);
        record(file, judged, { path: `${at}@${k}`, foundMs });
        if (done()) break merge;
      }
      if (r.stopped) {
        stop = o.interrupted() ? "interrupted" : "time";
        break merge;
      }
      const failure = drawn.sweep ? undefined : r.outcomes[0]?.failure;
      if (!failure) continue;
      const foundMs = Math.round(tally.elapsedMs);
      const shrunk = await shrink(arb, o, { index: at, invariant: failure.invariant }, only);
      if (shrunk) {
        const { file, judged } = await shortest(placed(shrunk.drawn), failure.invariant, `fuzz-${at}`);
        record(file, judged, { path: shrunk.path, foundMs });
      }
    }
  }

  const bound = stop ?? (tally.incomplete > 0 ? "incomplete" : undefined);
  const summary: FuzzSummary = {
    format: FUZZ_FORMAT,
    ...(await summaryOf(o, tally, findings, bound)),
    options: { seed: o.seed, runs: o.runs, ...(o.timeSeconds !== undefined && { timeSeconds: o.timeSeconds }) },
  };
  writeSummary(o.outDir, summary);
  return summary;
}

/** The K-th scenario of a drawn world's sweep, placed; undefined past its last. */
function sweepAt(d: Drawn, k: number): Minimal | undefined {
  let i = 0;
  for (const threads of worldSweep(d.world)) if (i++ === k) return { world: d.world, threads: place(d.world, threads) };
  return undefined;
}

/**
 * fast-check's shrinking of the failing run at `failed.index`, kept to failures of the same
 * invariant (and, against another variant, to scenarios that variant still holds); a stop
 * signal or --time ends it where it is. The path is fast-check's, from the seed.
 */
async function shrink(arb: fc.Arbitrary<Drawn>, o: FuzzOptions, failed: { index: number; invariant: string }, only: string | undefined) {
  const details = await fc.check(
    fc.asyncProperty(arb, async (d) => {
      // A world's sweep is no smaller scenario of a drawn one.
      if (o.interrupted() || d.sweep) return true;
      const judged = await judge(drawnScenario(d), o.variant, o.against, { ...FUZZ_BUDGET, symmetry: o.symmetry }, only);
      return judged.failure?.invariant !== failed.invariant;
    }),
    { seed: o.seed, path: String(failed.index), numRuns: 1 },
  );
  if (!details.failed || !details.counterexample) return undefined;
  return { drawn: details.counterexample[0], path: details.counterexamplePath! };
}

const placed = (d: Drawn): Minimal => ({ world: d.world, threads: place(d.world, opsOf(d)) });

/**
 * Draws fast-check makes this many at a time: each batch is drawn from the seed at its first
 * index (fast-check's path: the same values as one run drawing them in turn), and skipping to
 * it takes about 2 µs a draw skipped.
 */
const DRAWS_AT_ONCE = 1024;

/** The seed's draws 0, 1, … below `runs`, with their indices (fast-check's paths). */
function* drawsFrom(arb: fc.Arbitrary<Drawn>, seed: number, runs: number): Generator<{ at: number; drawn: Drawn }> {
  for (let start = 0; start < runs; start += DRAWS_AT_ONCE) {
    const batch = fc.sample(arb, { seed, path: String(start), numRuns: Math.min(DRAWS_AT_ONCE, runs - start) });
    for (const [i, drawn] of batch.entries()) yield { at: start + i, drawn };
  }
}

/** Draws a block: a pool thread's task of a few small scenarios, or a world's sweep. */
const BLOCK = 8;

/** A draw of a block: its index (fast-check's path), the value, and whether it is a world's sweep of a world swept at an earlier draw. */
interface Draw {
  readonly at: number;
  readonly drawn: Drawn;
  readonly again?: true;
}

/** A block of draws, as a pool thread (synth/worker.ts) is given it: plain data. */
export interface FuzzBlock {
  readonly kind: "fuzz";
  readonly variant: string;
  readonly against?: string;
  readonly symmetry?: boolean;
  /** Date.now() past which no scenario is judged (--time). */
  readonly deadline?: number;
  /** The one invariant searched for (--until a finding of it), as judge() takes it. */
  readonly only?: string;
  readonly draws: readonly Draw[];
}

/**
 * A draw judged: its scenarios' outcomes (a world's sweep has one for each of its scenarios, a
 * world swept before none), or `stopped` when the deadline or a stop signal came first.
 */
export interface DrawResult {
  readonly outcomes: Outcome[];
  readonly stopped?: true;
}

/** The draws in blocks, each world's sweep marked when its world was swept at an earlier draw (each is swept once a run). */
function* blocksOf(draws: Iterable<{ at: number; drawn: Drawn }>, o: FuzzOptions, deadline: number, only: string | undefined): Generator<FuzzBlock> {
  const block = (list: Draw[]): FuzzBlock => ({
    kind: "fuzz",
    variant: o.variant.name,
    ...(o.against && { against: o.against.name }),
    symmetry: o.symmetry,
    ...(deadline < Infinity && { deadline }),
    ...(only !== undefined && { only }),
    draws: list,
  });
  const swept = new Set<string>();
  let list: Draw[] = [];
  for (const d of draws) {
    const world = d.drawn.sweep ? JSON.stringify(d.drawn.world) : undefined;
    const again = world !== undefined && swept.has(world);
    if (world !== undefined) swept.add(world);
    list.push(again ? { ...d, again } : d);
    if (list.length < BLOCK) continue;
    yield block(list);
    list = [];
  }
  if (list.length > 0) yield block(list);
}

/** The block's draws judged in order, as one thread drawing them in turn would (on this thread, a stop signal ends it). */
export async function fuzzBlock(b: FuzzBlock, interrupted: () => boolean = () => false): Promise<DrawResult[]> {
  const variant = findVariant(b.variant)!;
  const against = b.against === undefined ? undefined : findVariant(b.against)!;
  const budget: Budget = { ...FUZZ_BUDGET, symmetry: b.symmetry };
  // A small search does not yield to the event loop itself: a stop signal is seen here.
  const late = async () => {
    await yieldSometimes();
    return interrupted() || (b.deadline !== undefined && Date.now() > b.deadline);
  };
  const judged = (m: Minimal, name: string) => judge(scenarioOfPlaced(m.world, m.threads, name), variant, against, budget, b.only).then(outcomeOf);
  const out: DrawResult[] = [];
  for (const { at, drawn, again } of b.draws) {
    if (await late()) {
      out.push({ outcomes: [], stopped: true });
      break;
    }
    if (again) {
      out.push({ outcomes: [] });
      continue;
    }
    if (!drawn.sweep) {
      out.push({ outcomes: [await judged(placed(drawn), `fuzz-${at}`)] });
      continue;
    }
    // Every small scenario of the world.
    const outcomes: Outcome[] = [];
    let result: DrawResult = { outcomes };
    let k = 0;
    for (const threads of worldSweep(drawn.world)) {
      if (await late()) {
        result = { outcomes, stopped: true };
        break;
      }
      outcomes.push(await judged({ world: drawn.world, threads: place(drawn.world, threads) }, `fuzz-${at}-${k}`));
      k++;
    }
    out.push(result);
    if (result.stopped) break;
  }
  return out;
}
