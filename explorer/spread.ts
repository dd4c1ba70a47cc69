/**
 * Levels spread over this thread and a piscina pool, pipelined: once the pool has taken every
 * chunk of the level, it goes on with the first chunks of the next level that this thread has
 * written so far, instead of waiting while this thread merges the level's last chunks. A chunk
 * expanded ahead is merged like any other once its level is the current one, so the merge
 * order, and with it the next level, the counts and the counterexample, are those of one thread's search.
 */
import type { Piscina } from "piscina";
import type { ModelRef } from "../core/model.js";
import type { StateView } from "../core/state-view.js";
import { expandChunk, recycle, type ChunkResult } from "./candidates.js";
import { DirectLevel } from "./direct.js";
import { chunkOf, type LevelBuffer, type LevelChunk } from "./level.js";
import type { ExploreResult } from "./options.js";
import type { ExpandTask } from "./pool.js";
import type { LevelSearch } from "./search.js";
import { QUEUED_WHILE_GROWING } from "./search-pool.js";

/**
 * Tasks handed to each pool thread at a time: it starts the next the moment it ends one, and
 * has work while this thread is busy between two yields to the event loop. More would let the
 * pool take the chunks this thread is about to expand itself, and keep it waiting for them.
 * Fewer while a pool thread is slower than this thread (inFlightMost).
 */
const QUEUED = 4;

/** Weight of a chunk's pace in the running estimates of the threads' paces. */
const PACE_WEIGHT = 0.5;


/** Buffers handed back with a task at most: a chunk's result takes two. */
const RETURNED_PER_TASK = 4;

/** A running estimate of a thread's milliseconds a state, `was`, with a chunk's `now`. */
const pace = (was: number, now: number) => (was === Infinity ? now : was + PACE_WEIGHT * (now - was));

/** Lets the event loop run (a Ctrl-C handler, progress output, piscina's hand-outs) between chunks. */
export const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** How long this thread runs at most without yielding (yieldSometimes): a stop signal's handler waits that long. */
const YIELD_EVERY_MS = 5;
let yielded = performance.now();

/**
 * Yields to the event loop if this thread has not done so for YIELD_EVERY_MS: a sweep's searches
 * of a few dozen states each, a level or two a chunk, spent more on yielding after every chunk
 * than on their states.
 */
export async function yieldSometimes(): Promise<void> {
  if (performance.now() - yielded < YIELD_EVERY_MS) return;
  await yieldToEventLoop();
  yielded = performance.now();
}

/** A level's chunks as this thread and the pool share them: [start, end) ranges in level order. */
class LevelWork {
  readonly ranges: [number, number][] = [];
  /** Taken by this thread or handed to the pool. */
  readonly taken: boolean[] = [];
  /** The pool's results not merged yet. */
  readonly results: (ChunkResult | undefined)[] = [];
  /** Whether each chunk was expanded by this thread (its buffers stay here once merged). */
  readonly here: boolean[] = [];
  /** Level positions covered by the ranges: [0, end). */
  end = 0;

  add(start: number, end: number): number {
    this.ranges.push([start, end]);
    this.taken.push(false);
    this.results.push(undefined);
    this.here.push(false);
    this.end = end;
    return this.ranges.length - 1;
  }
}

export class SpreadLevels<V extends StateView> {
  /** The current level's work, and its chunks' size. */
  private work = new LevelWork();
  private size = 1;
  /**
   * Where the pool takes its next chunk of the current level, downwards from the last, and
   * where this thread expands or merges its next, upwards from the first: the level's split
   * between them follows their paces, measured as they go.
   */
  private down = -1;
  private next = 0;
  /** The next level's chunks handed to the pool before it is installed, and the level being written. */
  private ahead = new LevelWork();
  private direct: DirectLevel<V> | null = null;
  private inFlight = 0;
  /** Bytes of the pool's results not merged yet. */
  private waiting = 0;
  private failure: { error: unknown } | null = null;
  /** Buffers of the pool's chunks merged, handed back to the pool with its next tasks (ExpandTask.free). */
  private returned: ArrayBufferLike[] = [];
  private wake: (() => void) | null = null;
  /** No more hand-outs: the search is stopping. */
  private closed = false;
  /** Milliseconds a state takes on a pool thread (from its chunks' own timing) and on this thread, running estimates. */
  private poolPace = Infinity;
  private ownPace = Infinity;

  constructor(
    private readonly search: LevelSearch<V>,
    private readonly pool: Piscina<ExpandTask, ChunkResult>,
    private readonly model: ModelRef,
    private readonly workers: number,
    /** Is a level of this many states spread? The next level is expanded ahead only once it is sure to be. */
    private readonly spreads: (count: number) => boolean,
    /** The states of a chunk handed out, for a level of `count` states. */
    private readonly taskStates: (count: number) => number,
  ) {}

  /** Expands the search's current level; the search's result if it ends here, else null. */
  async level(): Promise<ExploreResult | null> {
    const { search } = this;
    const level = search.level;
    const direct = new DirectLevel(search);
    this.direct = direct;
    search.spreadOver(this.workers);
    this.size = Math.min(search.chunkSize, this.taskStates(level.count));
    // The chunks expanded ahead come first; the rest of the level is cut after them.
    const work = this.ahead;
    for (let s = work.end; s < level.count; s += this.size) work.add(s, Math.min(level.count, s + this.size));
    this.work = work;
    this.ahead = new LevelWork();
    this.down = work.ranges.length - 1;
    this.next = 0;
    this.feed();
    while (this.next < work.ranges.length) {
      const next = this.next;
      if (this.failure) throw this.failure.error;
      const r = work.results[next];
      if (!work.taken[next]) {
        const [start, end] = work.ranges[next]!;
        this.beforeGrowth((end - start) * search.system.threads);
        work.taken[next] = true;
        this.next++;
        const t0 = performance.now();
        direct.expand(start, end);
        this.ownPace = pace(this.ownPace, (performance.now() - t0) / (end - start));
      } else if (r) {
        work.results[next] = undefined;
        this.next++;
        this.waiting -= r.meta.byteLength + r.states.byteLength;
        this.beforeGrowth(r.nCandidates);
        direct.merge(r);
        if (work.here[next]) recycle([r.meta.buffer, r.states.buffer]);
        else this.returned.push(r.meta.buffer, r.states.buffer);
      } else if (!this.expandAnother()) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = null;
        continue;
      }
      search.notePeak(direct.bytes + this.waiting);
      search.progress();
      // What this thread wrote may complete a chunk of the next level for an idle pool thread.
      this.feed();
      await yieldToEventLoop();
      const stop = search.duringLevel(direct, this.waiting);
      if (stop) return stop;
    }
    this.direct = null;
    return direct.complete();
  }

  /**
   * If adding `extra` states may grow the visited table, which this thread does alone for tens
   * of milliseconds, the pool is first handed enough work to go on meanwhile, and the table
   * grows now.
   */
  private beforeGrowth(extra: number): void {
    if (!this.search.growsWithin(extra)) return;
    this.feed(QUEUED_WHILE_GROWING);
    this.search.reserve(extra);
  }

  /** Waits for the pool's tasks in flight, and hands out no more: before the search returns. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.inFlight > 0) {
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
  }

  /**
   * While the chunk to merge next is still in the pool's hands, this thread expands a chunk of
   * the next level as a worker would. Not one of the current level's after it: those are the
   * pool's (it takes them from the level's end), or, after a chunk expanded ahead, this thread's
   * own, which expanded into candidates to merge later took three times its direct time a state
   * (split-unmap-xl). False if there is none.
   */
  private expandAnother(): boolean {
    const { system, checker, symmetry } = this.search;
    const next = this.direct!.written();
    const a = this.aheadChunk(next);
    if (a < 0) return false;
    this.ahead.taken[a] = true;
    this.ahead.here[a] = true;
    this.finished(this.ahead, a, expandChunk(system, checker, next, ...this.ahead.ranges[a]!, symmetry));
    return true;
  }

  /**
   * The tasks a pool thread holds at most, out of `queued`: a pool thread still compiling the
   * model (a thread's JIT is its own), or given less of the processor than this thread, takes
   * so much longer over each chunk that this thread, which merges in order, waited for its queue
   * (split-unmap-xl on the loaded VM: 335 ms of a 600 ms level, behind 16 chunks handed out
   * before the table grew to a pool thread 15–35 times slower). Chunks not handed out, this
   * thread expands itself. Until a first chunk comes back, its pace is unknown: one.
   */
  private inFlightMost(queued: number): number {
    const most = Math.max(1, Math.min(queued, Math.round((queued * this.ownPace) / this.poolPace)));
    return (Number.isNaN(most) ? 1 : most) * (this.workers - 1);
  }

  private finished(work: LevelWork, c: number, r: ChunkResult): void {
    work.results[c] = r;
    this.waiting += r.meta.byteLength + r.states.byteLength;
  }

  /**
   * Keeps `queued` tasks a pool thread in its hands: the current level's chunks from its end
   * down while they lie beyond what this thread will reach before the pool ends them, then the
   * next level's as this thread writes it, then the current level's down to this thread's.
   */
  private feed(queued = QUEUED): void {
    for (let most = this.inFlightMost(queued); !this.failure && !this.closed && this.inFlight < most; ) {
      let work = this.work;
      let level: LevelBuffer = this.search.level;
      let c = this.downwards(this.next + most);
      if (c < 0) {
        const next = this.direct?.written();
        c = next ? this.aheadChunk(next) : -1;
        if (c >= 0) {
          work = this.ahead;
          level = next!;
        } else c = this.downwards(this.next);
      }
      if (c < 0) return;
      work.taken[c] = true;
      this.inFlight++;
      const range = work.ranges[c]!;
      this.pool.run(this.task(level, range)).then(
        (r) => {
          this.inFlight--;
          this.poolPace = pace(this.poolPace, r.ms / (range[1] - range[0]));
          this.finished(work, c, r);
          this.feed();
          this.wake?.();
        },
        (error: unknown) => {
          this.inFlight--;
          this.failure ??= { error };
          this.wake?.();
        },
      );
    }
  }

  /** The pool's next chunk of the current level, downwards from the last, if at or above chunk `least`; else −1. */
  private downwards(least: number): number {
    const taken = this.work.taken;
    while (this.down >= least && taken[this.down]) this.down--;
    return this.down >= least ? this.down-- : -1;
  }

  /**
   * A chunk of the next level, from what this thread has written of it so far (`next`), if a
   * whole chunk is there past what was handed out, and the next level will be spread and
   * expanded at all.
   */
  private aheadChunk(next: LevelBuffer): number {
    if (!this.spreads(next.count) || !this.search.expandsNextLevel()) return -1;
    const start = this.ahead.end;
    if (next.count - start < this.size) return -1;
    return this.ahead.add(start, start + this.size);
  }

  private task(level: LevelBuffer, [start, end]: [number, number]): ExpandTask {
    const chunks: readonly LevelChunk[] = level.chunks;
    const free = this.returned.splice(0, RETURNED_PER_TASK);
    return {
      model: this.model,
      symmetry: this.search.symmetry !== undefined,
      chunks: chunks.slice(chunkOf(chunks, start), chunkOf(chunks, end - 1) + 1),
      count: level.count,
      start,
      end,
      free,
    };
  }
}
