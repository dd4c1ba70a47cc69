/**
 * One breadth-first level, expanded in chunks (by one thread, or by workers in parallel) and
 * merged so that the result is the same however it was split: the next level holds each new
 * state once, in the order of its smallest claim — (position of its parent in this level,
 * thread that moved) — which is the order a sequential search finds them in. Violations are
 * chosen by the same key, so the counterexample does not depend on the workers either.
 */
import type { StateView } from "../model/state-view.js";
import type { Checker, Violation } from "./check.js";
import { SharedTable, type InsertResult } from "./shared-table.js";
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

/**
 * The shared memory of one level's expansion. A new state is numbered by the claim key of the
 * transition that put it in the table (its provisional number, unique without a shared counter
 * that the workers would contend on).
 */
export interface LevelShared {
  table: SharedTable;
  /** Per provisional number: the smallest claim key seen for that new state. */
  claims: Int32Array;
  /** Tags of this level's new states are tagBase + provisional number. */
  tagBase: number;
}

export interface FoundViolation extends Violation {
  /** The claim key of the transition that violated a step invariant, or −1. */
  readonly key: number;
  /** The provisional number of the state that violated a state invariant, or −1. */
  readonly pid: number;
}

export interface ChunkResult {
  /** Candidates: [pid, key, hi, lo, ...state] each. */
  candidates: Int32Array;
  nCandidates: number;
  generated: number;
  violations: FoundViolation[];
  /** The first state of the chunk from which no thread could step (deadlock), if any. */
  stuck: (Violation & { pos: number }) | null;
}

const NO_CLAIM = 0x7fffffff;

export function newClaims(n: number, shared: boolean): Int32Array {
  const c = new Int32Array(shared ? new SharedArrayBuffer(Math.max(1, n) * 4) : new ArrayBuffer(Math.max(1, n) * 4));
  c.fill(NO_CLAIM);
  return c;
}

/** Lowers claims[pid] to key if key is smaller; true if it did. */
function claim(claims: Int32Array, pid: number, key: number): boolean {
  let cur = Atomics.load(claims, pid);
  while (key < cur) {
    const prev = Atomics.compareExchange(claims, pid, cur, key);
    if (prev === cur) return true;
    cur = prev;
  }
  return false;
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
  const isShared = shared.table.buffer instanceof SharedArrayBuffer;
  const alloc = (words: number) => new Int32Array(isShared ? new SharedArrayBuffer(words * 4) : new ArrayBuffer(words * 4));
  // Most states have about one new successor: start there, double if not.
  let candidates = alloc(Math.max(16, end - start) * cstride);
  let n = 0;
  let generated = 0;
  const violations: FoundViolation[] = [];
  let stuck: ChunkResult["stuck"] = null;
  const next = new Int32Array(words);
  const ins: InsertResult = { tag: 0, fresh: false };
  let key = 0;
  const newTag = () => shared.tagBase + key;

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
      key = pos * threads + t;
      const sv = checker.transition(s, next, tr);
      if (sv) {
        violations.push({ ...sv, key, pid: -1 });
        continue;
      }
      shared.table.insert(hi, lo, newTag, ins);
      const pid = ins.tag - shared.tagBase;
      if (pid < 0) continue; // found in an earlier level
      if (!claim(shared.claims, pid, key)) continue;
      if (ins.fresh) {
        const v = checker.state(next);
        if (v) violations.push({ ...v, key: -1, pid });
      }
      if ((n + 1) * cstride > candidates.length) {
        const c = alloc(candidates.length * 2);
        c.set(candidates);
        candidates = c;
      }
      const c = n * cstride;
      candidates[c] = pid;
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
