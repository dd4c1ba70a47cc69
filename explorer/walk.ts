/**
 * Random walks through a model's interleavings, for scenarios too large to search exhaustively
 * (mmcheck fuzz): each walk runs from the initial state, one thread's step at a time, checking
 * every invariant as the breadth-first search does, until every thread is done, none can move
 * (the deadlock check), a violation, or `maxDepth` steps. Two schedules:
 * - uniform: each step by a thread drawn uniformly among those that can move;
 * - PCT (Burckhardt et al., "A randomized scheduler with probabilistic guarantees of finding
 *   bugs", ASPLOS 2010): the threads get random distinct priorities, the highest that can move
 *   runs, and at `changePoints` random steps the running thread drops below every other — a bug
 *   of depth d (d ordering constraints) is found with probability at least 1/(n k^(d-1)).
 * Deterministic: the same seed gives the same walks. A walk proves nothing: with nothing found
 * the result is incomplete (bound "walks").
 */
import { CHANGED, coverageArray, coveredLabels, TAKEN } from "../core/procedure.js";
import type { StateView } from "../core/state-view.js";
import { Checker, type Violation } from "./check.js";
import type { ExploreResult, Searched, WalkOptions } from "./options.js";

/** mulberry32: a small, fast, well-mixed 32-bit generator, so that a seed gives the same walks everywhere. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

export function randomWalks<V extends StateView>(model: Searched<V>, options: WalkOptions): ExploreResult {
  const t0 = performance.now();
  const system = model.system;
  // The steps the walks take (setup's among them), as the search's coverage counts them.
  const coverage = (system.coverage = coverageArray());
  const checker = new Checker(system, model.invariants);
  const random = prng(options.seed);
  const maxDepth = options.maxDepth ?? 10_000;
  const n = system.threads;
  let s = system.initial().slice();
  let next = new Int32Array(system.stateWords);
  const probe = new Int32Array(system.stateWords);
  const priority = new Float64Array(n);
  const path: number[] = [];
  let steps = 0;
  let longest = 0;
  /** The expected walk length, for placing PCT's change points: the last walk's. */
  let expected = 16;
  const stats = () => ({
    // Visited states, not deduplicated: walks keep no table.
    distinctStates: steps + 1,
    statesGenerated: steps,
    maxDepth: longest,
    durationMs: performance.now() - t0,
    bytesPerState: 0,
    peakBytes: 0,
    collisionProbability: 0,
    workers: 1,
  });
  const found = (v: Violation): ExploreResult => ({
    verdict: "violation",
    stats: stats(),
    coverage: coveredLabels(coverage, TAKEN),
    changed: coveredLabels(coverage, CHANGED),
    violation: { ...v, depth: path.length, threads: [...path] },
  });

  const initial = system.initial();
  const v0 = checker.state(initial);
  if (v0) return found(v0);
  for (let walk = 0; walk < options.walks; walk++) {
    s.set(initial);
    path.length = 0;
    for (let t = 0; t < n; t++) priority[t] = random();
    const changes = Array.from({ length: options.changePoints }, () => 1 + Math.floor(random() * expected));
    let lowest = 0;
    for (let depth = 0; depth < maxDepth; depth++) {
      const enabled: number[] = [];
      for (let t = 0; t < n; t++) if (!system.done(s, t) && system.step(s, t, probe)) enabled.push(t);
      if (enabled.length === 0) {
        const v = checker.stuck(s);
        if (v) return found(v);
        break;
      }
      let t = enabled[0]!;
      if (options.changePoints === 0) t = enabled[Math.floor(random() * enabled.length)]!;
      else for (const u of enabled) if (priority[u]! > priority[t]!) t = u;
      const tr = system.step(s, t, next)!;
      path.push(t);
      steps++;
      const v = checker.transition(s, next, tr) ?? checker.state(next);
      if (v) return found(v);
      [s, next] = [next, s];
      if (changes.includes(depth + 1)) priority[t] = --lowest;
    }
    longest = Math.max(longest, path.length);
    expected = Math.max(1, path.length);
  }
  return { verdict: "incomplete", stats: stats(), coverage: coveredLabels(coverage, TAKEN), changed: coveredLabels(coverage, CHANGED), bound: "walks" };
}
