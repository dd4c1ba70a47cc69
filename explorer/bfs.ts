/**
 * Exhaustive breadth-first search over the interleavings of a model's threads, deduplicated by
 * 64-bit fingerprint, level by level. Each level is expanded in chunks — here by this thread,
 * in explorer/parallel.ts by a worker pool — and merged (explorer/level.ts) so that the states,
 * their order, the statistics and the counterexample are the same however many workers ran:
 * the violation reported is the one at the smallest depth, the first in the sequential order.
 */
import type { Invariant } from "../invariants/types.js";
import { fingerprint } from "../model/fingerprint.js";
import type { StateView } from "../model/state-view.js";
import { Checker, type Violation } from "./check.js";
import { ENTRY_HEADER, expandChunk, packedLevel, type ChunkResult, type LevelBuffer, type LevelShared } from "./level.js";
import { LevelTable, VisitedTable } from "./shared-table.js";
import type { TransitionSystem } from "./system.js";
import { CheckpointError, writeCheckpoint, type CheckpointData } from "./checkpoint.js";
import { TraceStore } from "./trace-store.js";

export interface ExploreOptions {
  /** Stop (incomplete) before expanding a level once this many distinct states are known. */
  readonly maxStates?: number;
  /** States at this depth are not expanded. */
  readonly maxDepth?: number;
  /** Stop (incomplete) once the search's own memory (table, traces, levels) passes this. */
  readonly maxMemoryBytes?: number;
  /** Polled between chunks: true stops the search (incomplete), e.g. after Ctrl-C. */
  readonly interrupted?: () => boolean;
  /** Called after each chunk, and once at the end. */
  readonly onProgress?: (p: Progress) => void;
  /** States per chunk (default 4096). */
  readonly chunkSize?: number;
  /** Write a checkpoint between levels at most every `everyMs`, and when a bound stops the search. */
  readonly checkpoint?: { readonly path: string; readonly everyMs: number };
  /** Continue from this checkpoint instead of the initial state. */
  readonly resume?: CheckpointData;
  /** What is being searched, recorded in checkpoints and checked on resume. */
  readonly model?: unknown;
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
  /** Visited table and trace store, per distinct state. */
  readonly bytesPerState: number;
  /** The most memory the search held at once: table, trace store, two levels. */
  readonly peakBytes: number;
  /** Probability that a fingerprint collision merged two distinct states (as TLC estimates it). */
  readonly collisionProbability: number;
}

export type Bound = "max-states" | "max-depth" | "max-memory" | "interrupted";

export interface ExploreResult {
  readonly verdict: "pass" | "violation" | "incomplete";
  readonly stats: Stats;
  /** Why the search stopped early, for `incomplete`. */
  readonly bound?: Bound;
  readonly violation?: Violation & {
    readonly depth: number;
    /** The threads that moved, from the initial state to the violation. */
    readonly threads: readonly number[];
  };
}

const DEFAULT_CHUNK = 4096;

/** The search's state between levels; the expansion of a level is left to the caller. */
export class LevelSearch<V extends StateView> {
  readonly checker: Checker<V>;
  traces = new TraceStore();
  table: VisitedTable;
  level: LevelBuffer;
  /** Id of the level's first state in the trace store. */
  levelIdBase = 0;
  depth = 0;
  generated = 0;
  peakBytes = 0;
  private started = false;
  private t0 = Date.now();
  private lastCheckpoint = Date.now();

  constructor(
    readonly system: TransitionSystem<V>,
    invariants: readonly Invariant<V>[],
    readonly opts: ExploreOptions,
    readonly shared: boolean,
  ) {
    this.checker = new Checker(system, invariants);
    this.table = new VisitedTable(16, shared);
    this.level = { bufs: [], at: new Int32Array(0), count: 0 };
  }

  get chunkSize(): number {
    return this.opts.chunkSize ?? DEFAULT_CHUNK;
  }

  /**
   * Inserts and checks the initial state, or restores the checkpoint given to resume from;
   * a result if the initial state already violates an invariant.
   */
  private start(): ExploreResult | null {
    if (this.opts.resume) {
      this.restore(this.opts.resume);
      return null;
    }
    const init = this.system.initial();
    const [hi, lo] = fingerprint(init);
    this.table.add(hi, lo);
    this.traces.add(-1, 0);
    const v = this.checker.state(init);
    if (v) return this.violated(v, 0, []);
    const buf = this.alloc(init.length + ENTRY_HEADER);
    buf[2] = hi;
    buf[3] = lo;
    buf.set(init, ENTRY_HEADER);
    this.level = packedLevel(buf, 1, init.length, this.shared);
    return null;
  }

  private restore({ header: h, table, parent, via, level }: CheckpointData): void {
    if (JSON.stringify(h.model) !== JSON.stringify(this.opts.model ?? null) || h.words !== this.system.stateWords)
      throw new CheckpointError(`--resume: the checkpoint is of another search (${JSON.stringify(h.model)})`);
    const slots = this.alloc(table.length);
    slots.set(table);
    this.table = new VisitedTable(0, this.shared, slots.buffer as SharedArrayBuffer | ArrayBuffer);
    this.table.size = h.tableSize;
    this.traces = TraceStore.from(parent, via);
    // The checkpoint keeps each state after its fingerprint; entries have two more words.
    const words = this.system.stateWords;
    const buf = this.alloc(h.levelCount * (words + ENTRY_HEADER));
    for (let p = 0; p < h.levelCount; p++) buf.set(level.subarray(p * (words + 2), (p + 1) * (words + 2)), p * (words + ENTRY_HEADER) + 2);
    this.level = packedLevel(buf, h.levelCount, words, this.shared);
    this.depth = h.depth;
    this.generated = h.generated;
    this.levelIdBase = h.levelIdBase;
    this.t0 = Date.now() - h.elapsedMs;
  }

  private writeCheckpoint(): void {
    const c = this.opts.checkpoint;
    if (!c) return;
    writeCheckpoint(c.path, {
      header: {
        model: this.opts.model ?? null,
        words: this.system.stateWords,
        depth: this.depth,
        generated: this.generated,
        tableSize: this.table.size,
        levelIdBase: this.levelIdBase,
        levelCount: this.level.count,
        elapsedMs: Date.now() - this.t0,
      },
      table: this.table.slots,
      ...this.traces.contents(),
      level: this.levelStates(),
    });
    this.lastCheckpoint = Date.now();
  }

  /**
   * Between levels: the result if a bound stops the search here (with a checkpoint to resume
   * from), null to go on; writes a periodic checkpoint.
   */
  private beforeLevel(): ExploreResult | null {
    const bound = this.boundBeforeLevel();
    if (bound) {
      this.writeCheckpoint();
      return this.finish(bound);
    }
    if (this.opts.checkpoint && Date.now() - this.lastCheckpoint >= this.opts.checkpoint.everyMs) this.writeCheckpoint();
    return null;
  }

  /** During a level: the result if a bound stops the search (the level is dropped; the last checkpoint stands). */
  private duringLevel(): ExploreResult | null {
    const bound = this.boundDuringLevel();
    if (!bound) return null;
    return this.finish(bound);
  }

  private alloc(words: number): Int32Array {
    return new Int32Array(this.shared ? new SharedArrayBuffer(words * 4) : new ArrayBuffer(words * 4));
  }

  /** Why the next level must not be expanded, if a bound says so. */
  private boundBeforeLevel(): Bound | undefined {
    if (this.level.count === 0) return undefined;
    if (this.depth >= (this.opts.maxDepth ?? Infinity)) return this.anyMoves() ? "max-depth" : undefined;
    if (this.table.size >= (this.opts.maxStates ?? Infinity)) return "max-states";
    return this.boundDuringLevel();
  }

  private boundDuringLevel(): Bound | undefined {
    if (this.opts.interrupted?.()) return "interrupted";
    if (this.memoryBytes() > (this.opts.maxMemoryBytes ?? Infinity)) return "max-memory";
    return undefined;
  }

  /** Entry p of the current level: its state. */
  private state(p: number): Int32Array {
    const o = this.level.at[2 * p + 1]! + ENTRY_HEADER;
    return this.level.bufs[this.level.at[2 * p]!]!.subarray(o, o + this.system.stateWords);
  }

  /** The current level's states, each after its fingerprint, back to back (for a checkpoint). */
  private levelStates(): Int32Array {
    const words = this.system.stateWords;
    const out = new Int32Array(this.level.count * (words + 2));
    for (let p = 0; p < this.level.count; p++) {
      const o = this.level.at[2 * p + 1]!;
      out.set(this.level.bufs[this.level.at[2 * p]!]!.subarray(o + 2, o + ENTRY_HEADER + words), p * (words + 2));
    }
    return out;
  }

  private anyMoves(): boolean {
    const next = new Int32Array(this.system.stateWords);
    for (let p = 0; p < this.level.count; p++)
      for (let t = 0; t < this.system.threads; t++) if (this.system.step(this.state(p), t, next)) return true;
    return false;
  }

  private levelBytes(level: LevelBuffer): number {
    return level.at.byteLength + level.bufs.reduce((n, b) => n + b.byteLength, 0);
  }

  memoryBytes(): number {
    return this.table.bytes + this.traces.bytes + this.levelBytes(this.level);
  }

  /** The shared memory for expanding the current level: room for all it may find. */
  private prepare(): LevelShared {
    const worst = this.level.count * this.system.threads;
    this.table = this.table.grownFor(this.table.size + worst);
    return { visited: this.table, found: new LevelTable(worst, this.shared) };
  }

  /** The shared memory to expand the next level with, or the search's result if it ends here. */
  next(): LevelShared | ExploreResult {
    if (!this.started) {
      this.started = true;
      const first = this.start();
      if (first) return first;
    }
    if (this.level.count === 0) return this.finish();
    return this.beforeLevel() ?? this.prepare();
  }

  /** The level's chunk results are in: the result if the search ends here, else null. */
  complete(shared: LevelShared, results: readonly ChunkResult[]): ExploreResult | null {
    return this.duringLevel() ?? this.merge(shared, results);
  }

  /** The chunks of the current level, as [start, end) ranges of at most `size` states. */
  chunks(size = this.chunkSize): [number, number][] {
    const out: [number, number][] = [];
    for (let s = 0; s < this.level.count; s += size) out.push([s, Math.min(this.level.count, s + size)]);
    return out;
  }

  progress(): void {
    this.opts.onProgress?.({
      distinctStates: this.table.size,
      statesGenerated: this.generated,
      depth: this.depth,
      queued: this.level.count,
      elapsedMs: Date.now() - this.t0,
    });
  }

  /**
   * Merges the level's chunk results, in chunk order, into the next level; returns the result
   * if the level found a violation.
   */
  private merge(shared: LevelShared, results: readonly ChunkResult[]): ExploreResult | null {
    const threads = this.system.threads;
    const cstride = this.system.stateWords + ENTRY_HEADER;
    let kept = 0;
    for (const r of results) {
      this.generated += r.generated;
      for (let i = 0; i < r.nCandidates; i++) {
        const c = i * cstride;
        if (shared.found.claimAt(r.candidates[c]!) === r.candidates[c + 1]) kept++;
      }
    }
    const stuck = results.find((r) => r.stuck)?.stuck;
    let best: { v: Violation; key: number } | null = null;
    for (const r of results)
      for (const v of r.violations) {
        const key = v.slot >= 0 ? shared.found.claimAt(v.slot) : v.key;
        if (!best || key < best.key) best = { v: { invariant: v.invariant, message: v.message }, key };
      }

    // The next level is the kept candidates where they lie, in chunk order.
    const at = this.alloc(Math.max(1, 2 * kept));
    const nextIdBase = this.levelIdBase + this.level.count;
    let n = 0;
    results.forEach((r, b) => {
      for (let i = 0; i < r.nCandidates; i++) {
        const c = i * cstride;
        const key = r.candidates[c + 1]!;
        if (shared.found.claimAt(r.candidates[c]!) !== key) continue;
        at[2 * n] = b;
        at[2 * n + 1] = c;
        this.table.add(r.candidates[c + 2]!, r.candidates[c + 3]!);
        this.traces.add(this.levelIdBase + Math.floor(key / threads), key % threads);
        n++;
      }
    });
    const next: LevelBuffer = { bufs: results.map((r) => r.candidates), at, count: kept };
    this.peakBytes = Math.max(this.peakBytes, this.memoryBytes() + this.levelBytes(next));

    if (stuck)
      return this.violated({ invariant: stuck.invariant, message: stuck.message }, this.depth, this.traces.path(this.levelIdBase + stuck.pos));
    if (best) {
      const parent = this.levelIdBase + Math.floor(best.key / threads);
      return this.violated(best.v, this.depth + 1, [...this.traces.path(parent), best.key % threads]);
    }
    this.levelIdBase = nextIdBase;
    this.level = next;
    if (kept > 0) this.depth++;
    return null;
  }

  private stats(): Stats {
    const n = this.table.size;
    // Each new fingerprint could have collided with any of those before it: Σ i / 2^64.
    const collisionProbability = (n * (n - 1)) / 2 / 2 ** 64;
    return {
      distinctStates: n,
      statesGenerated: this.generated,
      maxDepth: this.depth,
      durationMs: Date.now() - this.t0,
      bytesPerState: n ? Math.round((this.table.bytes + this.traces.bytes) / n) : 0,
      peakBytes: Math.max(this.peakBytes, this.memoryBytes()),
      collisionProbability,
    };
  }

  violated(v: Violation, depth: number, threads: number[]): ExploreResult {
    this.depth = Math.max(this.depth, depth);
    this.progress();
    return { verdict: "violation", stats: this.stats(), violation: { ...v, depth, threads } };
  }

  finish(bound?: Bound): ExploreResult {
    this.progress();
    return bound ? { verdict: "incomplete", stats: this.stats(), bound } : { verdict: "pass", stats: this.stats() };
  }
}

/** The search on this thread. */
export function explore<V extends StateView>(
  system: TransitionSystem<V>,
  invariants: readonly Invariant<V>[],
  opts: ExploreOptions = {},
): ExploreResult {
  const search = new LevelSearch(system, invariants, opts, false);
  for (;;) {
    const shared = search.next();
    if ("verdict" in shared) return shared;
    const results: ChunkResult[] = [];
    for (const [start, end] of search.chunks()) {
      results.push(expandChunk(system, search.checker, search.level, shared, start, end));
      search.progress();
      if (opts.interrupted?.()) break;
    }
    const done = search.complete(shared, results);
    if (done) return done;
  }
}
