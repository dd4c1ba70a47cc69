/**
 * The merge of a level expanded by workers (explorer/level.ts), chunk by chunk in chunk order,
 * while later chunks are still being expanded: a candidate's claim can only be lowered by a
 * smaller key, from its own chunk or an earlier one, so once a chunk and every chunk before it
 * are expanded its candidates are final. Each kept candidate (still holding its state's
 * smallest claim, and not a state of an earlier level) goes to the visited table and the trace
 * store, and the chunk's kept states become a chunk of the next level, in buffers of their
 * exact size.
 */
import type { StateView } from "../model/state-view.js";
import type { ExploreResult, LevelSearch } from "./bfs.js";
import type { Violation } from "./check.js";
import { levelBytes, type ChunkResult, type LevelChunk, type LevelShared, type StateWords } from "./level.js";

export class LevelMerge<V extends StateView> {
  private readonly chunks: LevelChunk[] = [];
  private kept = 0;
  /** The level's first state from which no thread could step, if any. */
  private stuck: (Violation & { pos: number }) | null = null;
  /** The violation with the smallest key so far. */
  private best: { v: Violation; key: number } | null = null;

  constructor(
    private readonly search: LevelSearch<V>,
    private readonly shared: LevelShared,
  ) {}

  /** Bytes of the next level merged so far. */
  get bytes(): number {
    return levelBytes({ chunks: this.chunks, count: this.kept });
  }

  /**
   * Merges the next chunk's result; `waiting`: the bytes of the results expanded but not
   * merged yet, for the peak memory.
   */
  add(r: ChunkResult, waiting: number): void {
    const search = this.search;
    search.notePeak(this.shared.found.bytes + this.bytes + waiting + r.meta.byteLength + r.states.byteLength);
    search.generated += r.generated;
    this.stuck ??= r.stuck;
    for (const v of r.violations) {
      const key = v.slot >= 0 ? this.shared.found.claimAt(v.slot) : v.key;
      if (!this.best || key < this.best.key) this.best = { v: { invariant: v.invariant, message: v.message }, key };
    }
    const n = this.compact(r);
    if (n > 0) this.chunks.push(this.exactChunk(r, n));
    this.kept += n;
  }

  /** Every chunk is merged: the search's result if it ends at this level, else null. */
  finish(): ExploreResult | null {
    return this.search.duringLevel() ?? this.search.conclude({ chunks: this.chunks, count: this.kept }, this.stuck, this.best);
  }

  /**
   * Adds the chunk's kept candidates to the visited table and the trace store, moving them to
   * the front of its buffers as (hi, lo) and state; returns how many it kept.
   */
  private compact(r: ChunkResult): number {
    const { system, table, traces, levelIdBase } = this.search;
    const threads = system.threads;
    const words = system.stateWords;
    const m = r.meta;
    let n = 0;
    for (let i = 0; i < r.nCandidates; i++) {
      const key = m[4 * i + 1]!;
      if (this.shared.found.claimAt(m[4 * i]!) !== key) continue;
      const hi = m[4 * i + 2]!;
      const lo = m[4 * i + 3]!;
      if (!table.add(hi, lo)) continue;
      traces.add(levelIdBase + Math.floor(key / threads), key % threads);
      m[2 * n] = hi;
      m[2 * n + 1] = lo;
      if (n !== i) r.states.copyWithin(n * words, i * words, (i + 1) * words);
      n++;
    }
    return n;
  }

  /** The first `n` entries of a compacted chunk result, copied to buffers of their size. */
  private exactChunk(r: ChunkResult, n: number): LevelChunk {
    const words = this.search.system.stateWords;
    const buffer = (bytes: number) => (this.search.shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
    const fps = new Int32Array(buffer(n * 8));
    fps.set(r.meta.subarray(0, 2 * n));
    const states = new (r.states.constructor as new (b: ArrayBufferLike) => StateWords)(buffer(n * words * r.states.BYTES_PER_ELEMENT));
    states.set(r.states.subarray(0, n * words));
    return { first: this.kept, count: n, fps, states };
  }
}
