/**
 * The state of a breadth-first search between its levels (explorer/bfs.ts): the initial state or
 * a checkpoint to resume, the bounds, checkpoints, statistics, and the verdict once a level is
 * expanded.
 */
import { CHANGED, cover, coverageArray, coveredLabels, TAKEN } from "../core/procedure.js";
import type { StateView } from "../core/state-view.js";
import type { Symmetry, TransitionSystem } from "../core/system.js";
import { BatchExpander, defaultBatch } from "./candidates.js";
import { Checker, type Violation } from "./check.js";
import { CheckpointError, identityMismatch, writeCheckpoint, type CheckpointData } from "./checkpoint.js";
import { ChunkBuffers } from "./chunk-buffers.js";
import { stateFingerprint } from "./expand.js";
import { levelBytes, levelFrom, readState, type LevelBuffer } from "./level.js";
import { AFTER_SEARCH_BYTES, type Bound, type ExploreOptions, type ExploreResult, type Searched, type Stats } from "./options.js";
import { VisitedTable } from "./tables.js";
import { TraceStore } from "./trace-store.js";

const DEFAULT_CHUNK = 4096;

/** The next level as far as it is written, as a bound that stops the search mid-level needs it. */
export interface PartialLevel {
  readonly bytes: number;
  forEachFingerprint(f: (hi: number, lo: number) => void): void;
}

/**
 * The search's state between levels — the visited table, the trace store, the current level
 * and the counters — which only its own methods change; the expansion of a level is left to
 * the caller (explorer/direct.ts, explorer/spread.ts), which adds the states it finds through
 * add().
 */
export class LevelSearch<V extends StateView> {
  readonly checker: Checker<V>;
  private traces = new TraceStore();
  private table: VisitedTable;
  /** The levels' chunk buffers (explorer/chunk-buffers.ts). */
  readonly buffers: ChunkBuffers;
  /** This thread's batches, reused level after level, if it expands in batches (explorer/direct.ts). */
  readonly batches: BatchExpander<V> | null;
  private current: LevelBuffer;
  /** Id of the level's first state in the trace store. */
  private levelIdBase = 0;
  private depth = 0;
  private generated = 0;
  /** `generated` when the current level's expansion began. */
  private generatedBefore = 0;
  private peakBytes = 0;
  /** The most threads a level was expanded on (spreadOver). */
  private threads = 1;
  /** What the process held besides the search's own memory when the search was set up. */
  private readonly baselineBytes: number;
  private started = false;
  private t0 = Date.now();
  private lastCheckpoint = Date.now();

  readonly system: TransitionSystem<V>;
  /** The model's symmetry of names, unless the options turn it off (ExploreOptions.symmetry). */
  readonly symmetry: Symmetry | undefined;
  /**
   * The steps taken so far (core/procedure.ts), the system's coverage array while this thread
   * expands; chunks expanded apart are merged into it with their states (cover()).
   */
  private readonly coverage: Uint8Array;

  constructor(
    /** What is searched: its identity and reference are recorded in checkpoints, the identity checked on resume. */
    private readonly model: Searched<V>,
    private readonly opts: ExploreOptions,
    private readonly shared: boolean,
  ) {
    const system = model.system;
    this.system = system;
    this.symmetry = opts.symmetry === false ? undefined : system.symmetry;
    this.coverage = system.coverage = coverageArray();
    this.checker = new Checker(system, model.invariants);
    this.buffers = new ChunkBuffers(shared);
    const batch = opts.batch ?? defaultBatch(system.stateWords);
    this.batches = batch > 0 ? new BatchExpander(system, this.checker, batch, this.symmetry) : null;
    const capacity = initialCapacity(opts.maxStates);
    // A search on one thread takes the table and trace store a finished one gave back (release()).
    const at = shared ? -1 : spares.findIndex((s) => s.table.capacity === capacity);
    const spare = at >= 0 ? spares.splice(at, 1)[0]! : undefined;
    this.table = spare?.table ?? new VisitedTable(capacity);
    if (spare) this.traces = spare.traces;
    this.current = { chunks: [], count: 0 };
    this.baselineBytes = opts.maxMemoryBytes !== undefined ? Math.max(0, process.memoryUsage.rss() - this.memoryBytes()) : 0;
  }

  /**
   * The search is over: its visited table (cleared, if it never grew) and trace store are kept
   * for the next search on this thread, and its batches' buffers (BatchExpander.release). A
   * sweep runs thousands of searches of a few dozen states, which spent most of their time
   * allocating these and zeroing their pages.
   */
  release(): void {
    this.batches?.release();
    if (this.shared || spares.length >= SPARES || this.table.capacity !== initialCapacity(this.opts.maxStates)) return;
    this.table.clear();
    this.traces.clear();
    spares.push({ table: this.table, traces: this.traces });
  }

  get chunkSize(): number {
    return this.opts.chunkSize ?? DEFAULT_CHUNK;
  }

  /** The level being expanded. */
  get level(): LevelBuffer {
    return this.current;
  }

  /**
   * A state of fingerprint (hi, lo) found at key `key` (its parent's level position · threads +
   * the thread that moved): true if it is new, and then in the visited table and the trace store.
   */
  add(key: number, hi: number, lo: number): boolean {
    if (!this.table.add(hi, lo)) return false;
    const threads = this.system.threads;
    this.traces.add(this.levelIdBase + Math.floor(key / threads), key % threads);
    return true;
  }

  /** Reads ahead the table slots of `n` fingerprints at meta[from], meta[from + stride], … (VisitedTable.prefetch). */
  prefetch(meta: Int32Array, from: number, stride: number, n: number): void {
    this.table.prefetch(meta, from, stride, n);
  }

  /** Marks the steps a chunk expanded apart took (ChunkResult.covered). */
  cover(taken: readonly string[], changed: readonly string[]): void {
    const unknown = cover(this.coverage, taken, TAKEN) ?? cover(this.coverage, changed, CHANGED);
    if (unknown !== undefined) throw new Error(`a chunk's coverage names a step this model does not have: ${unknown}`);
  }

  /** Counts transitions taken while expanding the level. */
  generatedMore(n: number): void {
    this.generated += n;
  }

  /** Will --max-depth let the level after this one be expanded? */
  expandsNextLevel(): boolean {
    return this.depth + 1 < (this.opts.maxDepth ?? Infinity);
  }

  /** Would adding `extra` states grow the visited table? */
  growsWithin(extra: number): boolean {
    return this.table.growsWithin(extra);
  }

  /** Grows the visited table now to hold `extra` more states. */
  reserve(extra: number): void {
    this.table.reserve(extra);
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
    const [hi, lo] = stateFingerprint(init, this.symmetry);
    this.table.add(hi, lo);
    this.traces.add(-1, 0);
    const v = this.checker.state(init);
    if (v) return this.violated(v, 0, []);
    const entry = new Int32Array(init.length + 2);
    entry[0] = hi;
    entry[1] = lo;
    entry.set(init, 2);
    this.current = levelFrom(entry, 1, init.length, this.shared, small(this.opts.maxStates) ? 1 : 0);
    return null;
  }

  private restore({ path, header: h, table, parent, via, level }: CheckpointData): void {
    const fail = (why: string): never => {
      throw new CheckpointError(`--resume: ${path ?? "checkpoint"}: ${why}`);
    };
    const mismatch = identityMismatch(h.identity, this.model.identity);
    if (mismatch) fail(`of another search: ${mismatch}`);
    if (h.words !== this.system.stateWords) fail(`of another search: states of ${h.words} words, not ${this.system.stateWords}`);
    if (h.symmetry !== (this.symmetry !== undefined))
      fail(`of a search ${h.symmetry ? "with" : "without"} symmetry reduction: resume it ${h.symmetry ? "without" : "with"} --no-symmetry`);
    const restored = VisitedTable.from(table, h.tableCapacity, h.tableSize);
    if (typeof restored === "string") return fail(`inconsistent: ${restored}`);
    this.table = restored;
    this.traces = TraceStore.from(parent, via);
    this.current = levelFrom(level, h.levelCount, this.system.stateWords, this.shared);
    this.depth = h.depth;
    this.generated = h.generated;
    this.levelIdBase = h.levelIdBase;
    const unknown = cover(this.coverage, h.coverage, TAKEN) ?? cover(this.coverage, h.changed, CHANGED);
    if (unknown !== undefined) fail(`inconsistent: its coverage names a step this model does not have: ${unknown}`);
    this.t0 = Date.now() - h.elapsedMs;
  }

  private writeCheckpoint(): void {
    const c = this.opts.checkpoint;
    if (!c) return;
    writeCheckpoint(c.path, {
      header: {
        identity: this.model.identity,
        model: this.model.ref ?? null,
        words: this.system.stateWords,
        symmetry: this.symmetry !== undefined,
        depth: this.depth,
        generated: this.generated,
        tableSize: this.table.size,
        tableCapacity: this.table.capacity,
        levelIdBase: this.levelIdBase,
        levelCount: this.level.count,
        coverage: coveredLabels(this.coverage, TAKEN),
        changed: coveredLabels(this.coverage, CHANGED),
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

  /**
   * During a level: the result if a bound stops the search, with its statistics as far as it
   * went. The level is dropped, and with --checkpoint the states it had added to the table and
   * the trace store are taken back, which leaves the search as the level found it: that is
   * checkpointed. `next`: the next level as written so far; `waiting`: bytes of the pool's
   * chunks not merged yet.
   */
  duringLevel(next: PartialLevel, waiting = 0): ExploreResult | null {
    const bound = this.boundDuringLevel(next.bytes + waiting);
    if (!bound) return null;
    const result = this.finish(bound);
    if (this.opts.checkpoint) {
      next.forEachFingerprint((hi, lo) => {
        if (!this.table.remove(hi, lo)) throw new Error("a state of the next level is not in the visited table");
      });
      this.traces.truncate(this.levelIdBase + this.level.count);
      if (this.table.size !== this.traces.size) throw new Error(`${this.table.size} states in the table, ${this.traces.size} traced`);
      this.generated = this.generatedBefore;
      this.writeCheckpoint();
    }
    return result;
  }

  /** Why the next level must not be expanded, if a bound says so. */
  private boundBeforeLevel(): Bound | undefined {
    if (this.level.count === 0) return undefined;
    if (this.depth >= (this.opts.maxDepth ?? Infinity)) return this.anyMoves() ? "max-depth" : undefined;
    if (this.table.size >= (this.opts.maxStates ?? Infinity)) return "max-states";
    return this.boundDuringLevel();
  }

  private boundDuringLevel(pending = 0): Bound | undefined {
    if (this.opts.interrupted?.()) return "interrupted";
    const max = this.opts.maxMemoryBytes;
    if (max !== undefined && this.residentBytes(pending) > max) return "max-memory";
    return undefined;
  }

  /** The current level's states, each after its fingerprint, back to back (for a checkpoint). */
  private levelStates(): Int32Array {
    const words = this.system.stateWords;
    const out = new Int32Array(this.level.count * (words + 2));
    const s = new Int32Array(words);
    for (const c of this.level.chunks)
      for (let i = 0; i < c.count; i++) {
        const o = (c.first + i) * (words + 2);
        out[o] = c.fps[2 * i]!;
        out[o + 1] = c.fps[2 * i + 1]!;
        readState(c, i, s);
        out.set(s, o + 2);
      }
    return out;
  }

  /** Can any state of the level step? Its steps are not taken: not marked in the coverage. */
  private anyMoves(): boolean {
    const s = new Int32Array(this.system.stateWords);
    const next = new Int32Array(this.system.stateWords);
    this.system.coverage = coverageArray();
    try {
      for (const c of this.level.chunks)
        for (let i = 0; i < c.count; i++) {
          readState(c, i, s);
          for (let t = 0; t < this.system.threads; t++) if (this.system.step(s, t, next)) return true;
        }
      return false;
    } finally {
      this.system.coverage = this.coverage;
    }
  }

  /**
   * The process's resident memory as the bound counts it (ExploreOptions.maxMemoryBytes):
   * `pending` bytes of the next level are written so far.
   */
  private residentBytes(pending: number): number {
    const now = Math.max(process.memoryUsage.rss(), this.baselineBytes + this.memoryBytes() + pending);
    // A chunk of this thread, or a worker's merged here, adds at most this many states.
    const growth = this.table.growsWithin(this.chunkSize * this.system.threads) ? this.table.growthBytes() : 0;
    return now + growth + AFTER_SEARCH_BYTES;
  }

  private memoryBytes(): number {
    return this.table.bytes + this.traces.bytes + levelBytes(this.level) + this.buffers.bytes;
  }

  /** A level is expanded on `threads` threads, this one included (explorer/spread.ts). */
  spreadOver(threads: number): void {
    this.threads = Math.max(this.threads, threads);
  }

  /** Records the memory held at a point of the level: the search's own and `levelBytes` more. */
  notePeak(levelBytes: number): void {
    this.peakBytes = Math.max(this.peakBytes, this.memoryBytes() + levelBytes);
  }

  /** Before each level: the search's result if it ends here, else null (expand the level). */
  next(): ExploreResult | null {
    if (!this.started) {
      this.started = true;
      const first = this.start();
      if (first) return first;
    }
    if (this.level.count === 0) return this.finish();
    this.generatedBefore = this.generated;
    return this.beforeLevel();
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
   * The level is expanded and its new states are in the table and the trace store: the result
   * if the level found a violation — a state of the level from which no thread can step first,
   * else the violation with the smallest key — or null, the next level installed.
   */
  conclude(next: LevelBuffer, stuck: (Violation & { pos: number }) | null, best: { v: Violation; key: number } | null): ExploreResult | null {
    this.notePeak(levelBytes(next));
    const threads = this.system.threads;
    if (stuck)
      return this.violated({ invariant: stuck.invariant, message: stuck.message }, this.depth, this.traces.path(this.levelIdBase + stuck.pos));
    if (best) {
      const parent = this.levelIdBase + Math.floor(best.key / threads);
      return this.violated(best.v, this.depth + 1, [...this.traces.path(parent), best.key % threads]);
    }
    this.levelIdBase += this.level.count;
    this.buffers.release(this.level, levelBytes(next));
    this.current = next;
    if (next.count > 0) this.depth++;
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
      workers: this.threads,
    };
  }

  private violated(v: Violation, depth: number, threads: number[]): ExploreResult {
    this.depth = Math.max(this.depth, depth);
    this.progress();
    return { verdict: "violation", stats: this.stats(), ...this.covered(), violation: { ...v, depth, threads } };
  }

  private finish(bound?: Bound): ExploreResult {
    this.progress();
    const covered = this.covered();
    if (bound) return { verdict: "incomplete", stats: this.stats(), ...covered, bound };
    const applicable = !this.model.changes || covered.changed.length > 0;
    return { verdict: applicable ? "pass" : "not-applicable", stats: this.stats(), ...covered };
  }

  private covered(): { coverage: string[]; changed: string[] } {
    return { coverage: coveredLabels(this.coverage, TAKEN), changed: coveredLabels(this.coverage, CHANGED) };
  }
}


/** Tables and trace stores of finished searches on this thread (LevelSearch.release), for the next. */
const spares: { table: VisitedTable; traces: TraceStore }[] = [];
const SPARES = 2;

/**
 * A search bounded to at most this many states is small (a sweep's or fuzz's scenario: a few
 * dozen states, thousands of searches a run). Its table starts at 1 Ki slots, as zeroing a
 * larger one would cost more than the search, and its levels at a byte a word, not at the
 * widths its initial state needs: each width a state then needs is a new packing to make
 * (explorer/packed.ts), which cost such a search more than its states did; bytes a word are one
 * packing per state size, shared by every search of that size, widened only for a wider word.
 */
const SMALL_SEARCH = 20_000;

function small(maxStates: number | undefined): boolean {
  return maxStates !== undefined && maxStates <= SMALL_SEARCH;
}

/** The visited table's first capacity: 64 Ki slots, or 1 Ki for a small search. */
function initialCapacity(maxStates: number | undefined): number {
  return small(maxStates) ? 1 << 10 : 1 << 16;
}
