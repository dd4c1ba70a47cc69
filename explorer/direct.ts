/**
 * A level expanded by this thread alone. With no other thread reading the visited table, each
 * new state is added to it and to the trace store the moment it is found, and written straight
 * into the next level: one table lookup a transition, no level table, no candidates to merge.
 * States are expanded in level order and threads in number order, so each new state is found
 * first by its smallest (parent position, thread) key: the next level, the counts and the
 * counterexample are those of the workers' claim-based expansion (explorer/level.ts).
 */
import type { StateView } from "../model/state-view.js";
import type { ExploreResult, LevelSearch } from "./bfs.js";
import type { Violation } from "./check.js";
import { LevelWriter, readState } from "./level.js";

export class DirectLevel<V extends StateView> {
  private readonly out: LevelWriter;
  private readonly s: Int32Array;
  private readonly next: Int32Array;
  private ci = 0;
  /** The level's first state from which no thread could step (deadlock), if any. */
  private stuck: (Violation & { pos: number }) | null = null;
  /** The first violation found: the one with the smallest key. */
  private first: { v: Violation; key: number } | null = null;

  constructor(private readonly search: LevelSearch<V>) {
    const words = search.system.stateWords;
    this.out = new LevelWriter(words, search.chunkSize, search.shared);
    this.s = new Int32Array(words);
    this.next = new Int32Array(words);
  }

  /** Bytes of the next level written so far. */
  get bytes(): number {
    return this.out.bytes;
  }

  /** Expands the level's states [start, end); calls are made in level order. */
  expand(start: number, end: number): void {
    const { system, checker, table, traces, level } = this.search;
    const threads = system.threads;
    const idBase = this.search.levelIdBase;
    const { s, next, out } = this;
    let generated = 0;
    for (let pos = start; pos < end; pos++) {
      let chunk = level.chunks[this.ci]!;
      if (pos >= chunk.first + chunk.count) chunk = level.chunks[++this.ci]!;
      const i = pos - chunk.first;
      readState(chunk, i, s);
      const parentHi = chunk.fps[2 * i]!;
      const parentLo = chunk.fps[2 * i + 1]!;
      let moved = false;
      for (let t = 0; t < threads; t++) {
        const tr = system.step(s, t, next, parentHi, parentLo);
        if (!tr) continue;
        moved = true;
        generated++;
        const hi = system.k.fpHi;
        const lo = system.k.fpLo;
        const sv = checker.transition(s, next, tr);
        if (sv) {
          this.first ??= { v: sv, key: pos * threads + t };
          continue;
        }
        if (!table.add(hi, lo)) continue;
        traces.add(idBase + pos, t);
        const v = checker.state(next);
        if (v) this.first ??= { v, key: pos * threads + t };
        out.push(hi, lo, next);
      }
      if (!moved && !this.stuck) {
        const d = checker.stuck(s);
        if (d) this.stuck = { ...d, pos };
      }
    }
    this.search.generated += generated;
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
    const stop = search.duringLevel(level.bytes);
    if (stop) return stop;
  }
  return level.complete();
}
