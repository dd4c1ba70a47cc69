/**
 * One breadth-first level, expanded in chunks (by one thread, or by workers in parallel) and
 * merged so that the result is the same however it was split: the next level holds each new
 * state once, in the order of its smallest claim — (position of its parent in this level,
 * thread that moved) — which is the order a sequential search finds them in. Violations are
 * chosen by the same key, so the counterexample does not depend on the workers either.
 */
import type { StateView } from "../model/state-view.js";
import type { Checker, Violation } from "./check.js";
import type { ClaimResult, LevelTable, VisitedTable } from "./shared-table.js";
import type { TransitionSystem } from "./system.js";

/**
 * A level: its states stay in the buffers their chunk wrote them to, as candidate entries
 * [pid, key, hi, lo, ...state]; `at` gives entry p's buffer (at[2p]) and word offset (at[2p + 1]).
 * Merging a level then moves no state, only builds `at`.
 */
export interface LevelBuffer {
  readonly bufs: readonly Int32Array[];
  readonly at: Int32Array;
  readonly count: number;
}

/** Words before the state in an entry. */
export const ENTRY_HEADER = 4;

/** A level of `count` entries stored back to back in one buffer. */
export function packedLevel(buf: Int32Array, count: number, words: number, shared: boolean): LevelBuffer {
  const at = new Int32Array(shared ? new SharedArrayBuffer(Math.max(1, 2 * count) * 4) : new ArrayBuffer(Math.max(1, 2 * count) * 4));
  for (let p = 0; p < count; p++) at[2 * p + 1] = p * (words + ENTRY_HEADER);
  return { bufs: [buf], at, count };
}

/** The shared memory of one level's expansion. */
export interface LevelShared {
  /** Every state of the earlier levels: read only during the level. */
  visited: VisitedTable;
  /** The states this level finds, with their claims. */
  found: LevelTable;
}

export interface FoundViolation extends Violation {
  /** The claim key of the transition that violated a step invariant, or −1. */
  readonly key: number;
  /** The level-table slot of the state that violated a state invariant, or −1. */
  readonly slot: number;
}

export interface ChunkResult {
  /** Candidates: [level-table slot, key, hi, lo, ...state] each. */
  candidates: Int32Array;
  nCandidates: number;
  generated: number;
  violations: FoundViolation[];
  /** The first state of the chunk from which no thread could step (deadlock), if any. */
  stuck: (Violation & { pos: number }) | null;
}

/** Expands states [start, end) of the level: every thread's step from each. */
export function expandChunk<V extends StateView>(
  system: TransitionSystem<V>,
  checker: Checker<V>,
  level: LevelBuffer,
  shared: LevelShared,
  start: number,
  end: number,
): ChunkResult {
  const words = system.stateWords;
  const cstride = words + ENTRY_HEADER;
  const threads = system.threads;
  // On shared memory when the search is parallel: the result then crosses back uncopied.
  const isShared = shared.found.buffer instanceof SharedArrayBuffer;
  const alloc = (words: number) => new Int32Array(isShared ? new SharedArrayBuffer(words * 4) : new ArrayBuffer(words * 4));
  // Most states have about one new successor: start there, double if not.
  let candidates = alloc(Math.max(16, end - start) * cstride);
  let n = 0;
  let generated = 0;
  const violations: FoundViolation[] = [];
  let stuck: ChunkResult["stuck"] = null;
  const next = new Int32Array(words);
  const found: ClaimResult = { slot: 0, fresh: false, lowered: false };

  for (let pos = start; pos < end; pos++) {
    const buf = level.bufs[level.at[2 * pos]!]!;
    const o = level.at[2 * pos + 1]!;
    const s = buf.subarray(o + ENTRY_HEADER, o + ENTRY_HEADER + words);
    const parentHi = buf[o + 2]!;
    const parentLo = buf[o + 3]!;
    let moved = false;
    for (let t = 0; t < threads; t++) {
      const tr = system.step(s, t, next, parentHi, parentLo);
      if (!tr) continue;
      moved = true;
      generated++;
      const hi = system.k.fpHi;
      const lo = system.k.fpLo;
      const key = pos * threads + t;
      const sv = checker.transition(s, next, tr);
      if (sv) {
        violations.push({ ...sv, key, slot: -1 });
        continue;
      }
      if (shared.visited.has(hi, lo)) continue;
      shared.found.claim(hi, lo, key, found);
      if (!found.lowered) continue;
      if (found.fresh) {
        const v = checker.state(next);
        if (v) violations.push({ ...v, key: -1, slot: found.slot });
      }
      if ((n + 1) * cstride > candidates.length) {
        const c = alloc(candidates.length * 2);
        c.set(candidates);
        candidates = c;
      }
      const c = n * cstride;
      candidates[c] = found.slot;
      candidates[c + 1] = key;
      candidates[c + 2] = hi;
      candidates[c + 3] = lo;
      candidates.set(next, c + 4);
      n++;
    }
    if (!moved && !stuck) {
      const d = checker.stuck(s);
      if (d) stuck = { ...d, pos };
    }
  }
  return { candidates, nCandidates: n, generated, violations, stuck };
}
