/**
 * Exhaustive breadth-first search over the interleavings of the scenario's threads, with
 * deduplication by fingerprint. Level by level, states in the order they were found, threads in
 * order: so the first violation is one at the smallest depth, and the same one on every run.
 */
import type { Invariant } from "../invariants/types.js";
import type { StateView } from "../model/state-view.js";
import { Checker, type Violation } from "./check.js";
import { fingerprint } from "../model/fingerprint.js";
import { TraceStore } from "./trace-store.js";
import type { TransitionSystem } from "./system.js";
import { FingerprintTable } from "./visited.js";

export interface ExploreOptions {
  readonly maxStates?: number;
  readonly maxDepth?: number;
  /** Called about every `progressEvery` distinct states, and once at the end. */
  readonly onProgress?: (p: Progress) => void;
  readonly progressEvery?: number;
}

export interface Progress {
  readonly distinctStates: number;
  readonly statesGenerated: number;
  readonly depth: number;
  readonly queued: number;
  readonly elapsedMs: number;
}

export interface Stats {
  readonly distinctStates: number;
  readonly statesGenerated: number;
  readonly maxDepth: number;
  readonly durationMs: number;
  readonly bytesPerState: number;
}

export interface ExploreResult {
  readonly verdict: "pass" | "violation" | "incomplete";
  readonly stats: Stats;
  /** Why the search stopped early, for `incomplete`. */
  readonly bound?: "max-states" | "max-depth";
  readonly violation?: Violation & {
    readonly depth: number;
    /** The threads that moved, from the initial state to the violation. */
    readonly threads: readonly number[];
  };
}

/** One BFS level: states back to back, each preceded by its id and fingerprint. */
class Level {
  buf: Int32Array;
  count = 0;
  constructor(
    private readonly words: number,
    initial = 1024,
  ) {
    this.buf = new Int32Array(initial * (words + 3));
  }
  push(id: number, hi: number, lo: number, s: Int32Array): void {
    const stride = this.words + 3;
    if ((this.count + 1) * stride > this.buf.length) {
      const b = new Int32Array(this.buf.length * 2);
      b.set(this.buf);
      this.buf = b;
    }
    const o = this.count * stride;
    this.buf[o] = id;
    this.buf[o + 1] = hi;
    this.buf[o + 2] = lo;
    this.buf.set(s, o + 3);
    this.count++;
  }
}

export function explore<V extends StateView>(
  machine: TransitionSystem<V>,
  invariants: readonly Invariant<V>[],
  opts: ExploreOptions = {},
): ExploreResult {
  const t0 = Date.now();
  const words = machine.stateWords;
  const stride = words + 3;
  const checker = new Checker(machine, invariants);
  const visited = new FingerprintTable();
  const traces = new TraceStore();
  const maxStates = opts.maxStates ?? Infinity;
  const maxDepth = opts.maxDepth ?? Infinity;
  const every = opts.progressEvery ?? 50_000;
  let generated = 0;
  let depth = 0;
  let nextReport = every;

  const stats = (): Stats => ({
    distinctStates: visited.size,
    statesGenerated: generated,
    maxDepth: depth,
    durationMs: Date.now() - t0,
    bytesPerState: visited.size ? Math.round((visited.bytes + traces.bytes) / visited.size) : 0,
  });
  const progress = (queued: number) =>
    opts.onProgress?.({ distinctStates: visited.size, statesGenerated: generated, depth, queued, elapsedMs: Date.now() - t0 });
  const violated = (v: Violation, d: number, threads: number[]): ExploreResult => {
    depth = Math.max(depth, d);
    progress(0);
    return { verdict: "violation", stats: stats(), violation: { ...v, depth: d, threads } };
  };

  const init = machine.initial();
  const [ih, il] = fingerprint(init);
  visited.insert(ih, il);
  traces.add(-1, 0);
  const initViolation = checker.state(init);
  if (initViolation) return violated(initViolation, 0, []);

  let level = new Level(words);
  level.push(0, ih, il, init);
  const next = new Int32Array(words);
  let bound: ExploreResult["bound"];

  while (level.count > 0) {
    if (depth >= maxDepth) {
      // States at the depth bound are not expanded; the search is incomplete if any could move.
      for (let i = 0; i < level.count && !bound; i++) {
        const s = level.buf.subarray(i * stride + 3, (i + 1) * stride);
        for (let t = 0; t < machine.threads && !bound; t++) if (machine.step(s, t, next)) bound = "max-depth";
      }
      break;
    }
    const nextLevel = new Level(words, Math.max(1024, level.count));
    let pending: { v: Violation; threads: number[] } | null = null;
    for (let i = 0; i < level.count; i++) {
      const o = i * stride;
      const id = level.buf[o]!;
      const s = level.buf.subarray(o + 3, o + stride);
      let moved = false;
      for (let t = 0; t < machine.threads; t++) {
        const tr = machine.step(s, t, next, level.buf[o + 1]!, level.buf[o + 2]!);
        if (!tr) continue;
        const hi = machine.k.fpHi;
        const lo = machine.k.fpLo;
        moved = true;
        generated++;
        if (pending) continue; // a violation one level down is known: only a deadlock here can beat it
        const sv = checker.transition(s, next, tr);
        if (sv) {
          pending = { v: sv, threads: [...traces.path(id), t] };
          continue;
        }
        const nid = visited.insert(hi, lo);
        if (nid < 0) continue;
        traces.add(id, t);
        const v = checker.state(next);
        if (v) {
          pending = { v, threads: traces.path(nid) };
          continue;
        }
        nextLevel.push(nid, hi, lo, next);
        if (visited.size >= nextReport) {
          nextReport += every;
          progress(level.count - i + nextLevel.count);
        }
      }
      if (!moved) {
        const d = checker.stuck(s);
        if (d) return violated(d, depth, traces.path(id));
      }
      if (visited.size >= maxStates && !pending) {
        bound = "max-states";
        break;
      }
    }
    if (pending) return violated(pending.v, depth + 1, pending.threads);
    if (bound) break;
    level = nextLevel;
    if (level.count > 0) depth++;
  }
  progress(0);
  return bound ? { verdict: "incomplete", stats: stats(), bound } : { verdict: "pass", stats: stats() };
}
