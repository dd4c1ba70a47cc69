/**
 * The next level, built by this thread. It expands a run of the level itself, in one of two
 * ways. One at a time: with no other thread touching the visited table, each new state is
 * added to it and to the trace store the moment it is found, and written straight into the
 * next level — one table lookup a transition. Or in batches of states, each expanded into
 * candidates as a worker's chunk is (explorer/candidates.ts) and merged at once: the table lookups
 * of a batch are then made together, and their cache misses overlap. The workers' chunks after
 * that run are merged in order (merge()): each candidate not in the table yet is new. States
 * are taken in level order and threads in number order, so each new state is first met at its
 * smallest (parent position, thread) key: the next level, the counts and the counterexample are
 * the same however the level was split, and whichever way this thread expanded its part.
 */
import type { StateView } from "../core/state-view.js";
import type { ChunkResult } from "./candidates.js";
import type { Violation } from "./check.js";
import { expandRange, type Successors } from "./expand.js";
import { widestPacking, type LevelBuffer } from "./level.js";
import { LevelWriter } from "./level-writer.js";
import type { ExploreResult } from "./options.js";
import type { PackedParent } from "./packed.js";
import type { LevelSearch, PartialLevel } from "./search.js";

/** Candidates whose table slots merge() reads ahead at a time (VisitedTable.prefetch). */
const PREFETCH = 256;
export class DirectLevel<V extends StateView> implements Successors, PartialLevel {
  private readonly out: LevelWriter;
  private readonly threads: number;
  /** The level's first state from which no thread could step (deadlock), if any. */
  private stuck: (Violation & { pos: number }) | null = null;
  /** The first violation found: the one with the smallest key. */
  private first: { v: Violation; key: number } | null = null;
  /** merge()'s list of the candidates that are new, reused. */
  private kept = new Int32Array(0);

  constructor(private readonly search: LevelSearch<V>) {
    this.out = new LevelWriter(widestPacking(search.level, search.system.stateWords), search.chunkSize, search.buffers);
    this.threads = search.system.threads;
  }

  /** Bytes of the next level written so far. */
  get bytes(): number {
    return this.out.bytes;
  }

  /** Calls `f` with the fingerprint of each state written to the next level so far. */
  forEachFingerprint(f: (hi: number, lo: number) => void): void {
    this.out.forEachFingerprint(f);
  }

  /** The next level as far as it is written for good (the pool may expand it ahead, explorer/spread.ts). */
  written(): LevelBuffer {
    return this.out.sealed();
  }

  /** Expands the level's states [start, end); calls are made in level order. */
  expand(start: number, end: number): void {
    const { system, checker, level, batches: batch } = this.search;
    if (batch) {
      for (let s = start; s < end; s += batch.parents) this.merge(batch.expand(level, s, Math.min(end, s + batch.parents)));
      return;
    }
    const r = expandRange(system, checker, level, start, end, this, this.search.symmetry);
    this.search.generatedMore(r.generated);
    this.stuck ??= r.stuck;
  }

  violated(v: Violation, key: number): void {
    this.first ??= { v, key };
  }

  /** A state not in the table is new: into the table, the trace store and the next level. */
  found(pos: number, t: number, hi: number, lo: number, next: Int32Array, parent: PackedParent): void {
    const search = this.search;
    const key = pos * this.threads + t;
    if (!search.add(key, hi, lo)) return;
    const v = search.checker.stateAfterStep(next);
    if (v) this.first ??= { v, key };
    this.out.push(hi, lo, next, parent);
  }

  /**
   * Merges a worker's chunk or a batch, which comes after every state expanded or merged so far: its
   * candidates not in the table are new states. Its step violations all count; a state
   * violation counts if its state was new here (a state found earlier had the same violation
   * at a smaller key, or passed in an earlier level).
   */
  merge(r: ChunkResult): void {
    const search = this.search;
    const m = r.meta;
    const checked = r.violations.length > 0 && !this.first ? new Set(r.violations.map((v) => v.candidate)) : null;
    const fresh = checked ? new Set<number>() : null;
    if (this.kept.length < r.nCandidates) this.kept = new Int32Array(r.nCandidates);
    const kept = this.kept;
    let n = 0;
    for (let from = 0; from < r.nCandidates; from += PREFETCH) {
      const to = Math.min(r.nCandidates, from + PREFETCH);
      search.prefetch(m, 3 * from + 1, 3, to - from);
      for (let i = from; i < to; i++) {
        if (!search.add(m[3 * i]!, m[3 * i + 1]!, m[3 * i + 2]!)) continue;
        if (checked?.has(i)) fresh?.add(i);
        kept[n++] = i;
      }
    }
    this.out.append(m, r.states, r.packing, kept, n);
    search.generatedMore(r.generated);
    search.cover(r.covered, r.changed);
    this.stuck ??= r.stuck;
    const v = r.violations.find((v) => v.candidate < 0 || fresh?.has(v.candidate));
    if (v) this.first ??= { v: { invariant: v.invariant, message: v.message }, key: v.key };
  }

  /** The level is expanded: the search's result if it ends here, else null (the next level is installed). */
  complete(): ExploreResult | null {
    return this.search.conclude(this.out.finish(), this.stuck, this.first);
  }
}

/**
 * Expands the search's current level on this thread, pausing (yield) after each chunk so that a
 * caller can let its event loop run; returns the search's result if it ends at this level.
 */
export function* expandHere<V extends StateView>(search: LevelSearch<V>): Generator<void, ExploreResult | null> {
  const level = new DirectLevel(search);
  for (const [start, end] of search.chunks()) {
    level.expand(start, end);
    search.progress();
    yield;
    const stop = search.duringLevel(level);
    if (stop) return stop;
  }
  return level.complete();
}
