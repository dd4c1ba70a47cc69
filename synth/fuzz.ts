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
import { Findings } from "./findings.js";
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
  /** With untilFound: end at the first finding on this invariant only (a bug-* variant's own, past the others). */
  readonly untilInvariant?: string;
  readonly interrupted: () => boolean;
  readonly onProgress?: (p: SynthProgress) => void;
  /** ExploreOptions.symmetry for every search (default on). */
  readonly symmetry?: boolean;
}

/** The shrunk scenario's search for its shortest trace: larger than a run's. */
const SHORTEST_BUDGET: Budget = { maxStates: 500_000, walks: FUZZ_BUDGET.walks };

export async function fuzz(o: FuzzOptions): Promise<FuzzSummary> {
  const budget: Budget = { ...FUZZ_BUDGET, symmetry: o.symmetry };
  const shortestBudget: Budget = { ...SHORTEST_BUDGET, symmetry: o.symmetry };
  const arb = drawnArbitrary();
  const tally = new Tally();
  const findings = new Findings(o.outDir, o.variant.name);
  const deadline = o.timeSeconds !== undefined ? performance.now() + o.timeSeconds * 1000 : Infinity;
  let stop: "interrupted" | "time" | undefined;
  const stopped = () => {
    if (o.interrupted()) stop = "interrupted";
    else if (performance.now() > deadline) stop = "time";
    return stop !== undefined;
  };
  const run = (m: Minimal, name: string, b = budget) => {
    const file = scenarioOfPlaced(m.world, m.threads, name);
    return judge(file, o.variant, o.against, b).then((judged) => ({ file, judged }));
  };
  const placed = (d: Drawn): Minimal => ({ world: d.world, threads: place(d.world, opsOf(d)) });
  /** The failure made minimal, then searched breadth-first for its shortest trace (else the walk's trace). */
  const shortest = async (found: Minimal, invariant: string, name: string) => {
    const m = await minimise(found, (file) => judge(file, o.variant, o.against, budget).then((j) => j.failure?.invariant === invariant), o.interrupted);
    const final = await run(m, name, shortestBudget);
    return final.judged.failure?.invariant === invariant ? final : run(m, name);
  };
  const record = (file: Record<string, unknown>, judged: Judged, meta: { path: string; foundMs: number }) =>
    judged.failure && findings.add(file, judged.failure, { seed: o.seed, ...meta, ...(o.against && { against: o.against.name }) });

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
    if (first) tally.count(first.checked);
    if (found && first?.failure) {
      const { file, judged } = await shortest(found, first.failure.invariant, "fuzz-path");
      record(file, judged, { path: o.path, foundMs: Math.round(tally.elapsedMs) });
    }
  }

  let next = 0;
  while (o.path === undefined && next < o.runs && !stop) {
    let failed: { index: number; invariant: string; foundMs: number; swept?: { k: number; found: Minimal } } | undefined;
    let index = next;
    const progress = () =>
      o.onProgress?.({ done: tally.scenarios, total: o.timeSeconds === undefined ? o.runs : undefined, failures: findings.size, elapsedMs: tally.elapsedMs });
    await fc.check(
      fc.asyncProperty(arb, async (d) => {
        if (stopped()) return false;
        const at = index++;
        if (d.sweep) {
          // Every small scenario of the world, until one fails.
          let k = 0;
          for (const threads of worldSweep(d.world)) {
            if (stopped()) return false;
            const found: Minimal = { world: d.world, threads: place(d.world, threads) };
            const { judged } = await run(found, `fuzz-${at}-${k}`);
            tally.count(judged.checked);
            progress();
            if (judged.failure) {
              failed = { index: at, invariant: judged.failure.invariant, foundMs: Math.round(tally.elapsedMs), swept: { k, found } };
              return false;
            }
            k++;
          }
          return true;
        }
        const { judged } = await run(placed(d), `fuzz-${at}`);
        tally.count(judged.checked);
        progress();
        if (!judged.failure) return true;
        failed = { index: at, invariant: judged.failure.invariant, foundMs: Math.round(tally.elapsedMs) };
        return false;
      }),
      { seed: o.seed, path: String(next), numRuns: o.runs - next, endOnFailure: true },
    );
    if (!failed) break;
    // A world's sweep found the failure among its smallest scenarios: the greedy pass alone shrinks it.
    const shrunk = failed.swept
      ? { found: failed.swept.found, path: `${failed.index}@${failed.swept.k}` }
      : await shrink(arb, o, failed).then((x) => x && { found: placed(x.drawn), path: x.path });
    if (shrunk) {
      const { file, judged } = await shortest(shrunk.found, failed.invariant, `fuzz-${failed.index}`);
      record(file, judged, { path: shrunk.path, foundMs: failed.foundMs });
    }
    next = failed.index + 1;
    if (o.untilFound && findings.list().some((f) => o.untilInvariant === undefined || f.invariant === o.untilInvariant)) break;
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
async function shrink(arb: fc.Arbitrary<Drawn>, o: FuzzOptions, failed: { index: number; invariant: string }) {
  const details = await fc.check(
    fc.asyncProperty(arb, async (d) => {
      // A world's sweep is no smaller scenario of a drawn one.
      if (o.interrupted() || d.sweep) return true;
      const judged = await judge(drawnScenario(d), o.variant, o.against, { ...FUZZ_BUDGET, symmetry: o.symmetry });
      return judged.failure?.invariant !== failed.invariant;
    }),
    { seed: o.seed, path: String(failed.index), numRuns: 1 },
  );
  if (!details.failed || !details.counterexample) return undefined;
  return { drawn: details.counterexample[0], path: details.counterexamplePath! };
}
