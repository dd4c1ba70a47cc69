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
import { expandRange, LevelWriter, type Successors } from "./level.js";

export class DirectLevel<V extends StateView> implements Successors {
  private readonly out: LevelWriter;
  private readonly threads: number;
  /** The level's first state from which no thread could step (deadlock), if any. */
  private stuck: (Violation & { pos: number }) | null = null;
  /** The first violation found: the one with the smallest key. */
  private first: { v: Violation; key: number } | null = null;

  constructor(private readonly search: LevelSearch<V>) {
    this.out = new LevelWriter(search.system.stateWords, search.chunkSize, search.shared);
    this.threads = search.system.threads;
  }

  /** Bytes of the next level written so far. */
  get bytes(): number {
    return this.out.bytes;
  }

  /** Expands the level's states [start, end); calls are made in level order. */
  expand(start: number, end: number): void {
    const { system, checker, level } = this.search;
    const r = expandRange(system, checker, level, start, end, this);
    this.search.generated += r.generated;
    this.stuck ??= r.stuck;
  }

  violated(v: Violation, key: number): void {
    this.first ??= { v, key };
  }

  /** A state not in the table is new: into the table, the trace store and the next level. */
  found(pos: number, t: number, hi: number, lo: number, next: Int32Array): void {
    const search = this.search;
    if (!search.table.add(hi, lo)) return;
    search.traces.add(search.levelIdBase + pos, t);
    const v = search.checker.state(next);
    if (v) this.first ??= { v, key: pos * this.threads + t };
    this.out.push(hi, lo, next);
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
