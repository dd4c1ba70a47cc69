/**
 * Exhaustive breadth-first search over the interleavings of a model's threads, deduplicated by
 * 64-bit fingerprint, level by level (explorer/search.ts). Each level is expanded in chunks — by
 * this thread alone (explorer/direct.ts), or spread over a piscina worker pool whose chunks are
 * merged in order (explorer/spread.ts) — so that the states, their order, the statistics and
 * the counterexample are the same however many workers ran: the violation reported is the one
 * at the smallest depth, the first in the sequential order.
 */
import { Piscina } from "piscina";
import type { StateView } from "../core/state-view.js";
import type { ChunkResult } from "./candidates.js";
import { expandHere } from "./direct.js";
import type { ExploreOptions, ExploreResult, Searched } from "./options.js";
import { workerFile, type ExpandTask } from "./pool.js";
import { LevelSearch } from "./search.js";
import { QUEUED_WHILE_GROWING, SpreadLevels, yieldToEventLoop } from "./spread.js";

/**
 * The pool is started at the first level that would take this long to expand on this thread
 * alone: about 18,000 states of the peer model, 3,000 of the mm model's split-unmap-xl (1.1 and
 * 6 µs a state here). A search whose levels all stay smaller does better without it.
 */
const START_MS = 20;

/**
 * Once the pool is ready, a level that would take this long or more is spread over it; a
 * smaller one is expanded here, as handing out and merging its chunks would cost more than
 * they save. Lower than START_MS: the levels that shrink towards a search's end are still
 * worth spreading once the pool runs (peer N = 7 on two workers: 6% faster than at 20 ms).
 */
const SPREAD_MS = 10;

/** Levels of fewer states are not timed: too quick to time, and run before the JIT has compiled the model. */
const MEASURED_FROM = 2048;

/**
 * A chunk handed out takes about this long: long enough that handing it out and merging it cost
 * little beside it (peer model: about 2,500 states; mm model: about 400).
 */
const TASK_MS = 3;

/**
 * The breadth-first search of a model, with `options.workers` threads (default 1: this thread
 * alone, still yielding to the event loop between chunks so that an interrupt is seen).
 */
export async function bfs<V extends StateView>(model: Searched<V>, options: ExploreOptions = {}): Promise<ExploreResult> {
  const workers = options.workers ?? 1;
  const ref = model.ref;
  if (workers > 1 && !ref) throw new Error("a search on more than one thread needs a model with a reference (core/model.ts ModelRef)");
  /** Milliseconds a state takes to expand on this thread, measured on the levels big enough to tell. */
  let msPerState = Infinity;
  /** Would a level of `count` states take `ms` or more on this thread (with options.spreadFrom: has it that many states)? */
  const takes = (count: number, ms: number) =>
    options.spreadFrom !== undefined ? count >= options.spreadFrom : msPerState < Infinity && count * msPerState >= ms;
  const spreads = (count: number) => takes(count, SPREAD_MS);
  let pool = null as Piscina<ExpandTask, ChunkResult> | null;
  const search = new LevelSearch(model, options, workers > 1);

  /** Whether each pool thread has loaded and built the model: until then the levels stay here. */
  let ready = false;
  /**
   * The pool, started (with a first empty task per thread, which loads and builds the model
   * there and warms it up) at the first level of START_MS; levels stay on this thread until it
   * is ready. Not earlier: its start costs this thread about 60 ms (both threads share the
   * machine's memory bandwidth), all lost if the levels then stay small, and no earlier sign
   * tells such a search apart (the peer model's levels grow alike up to that size at N = 6,
   * where they stay under it, and at N = 8).
   */
  const startPool = (): Piscina<ExpandTask, ChunkResult> => {
    if (pool) return pool;
    const started = new Piscina<ExpandTask, ChunkResult>({
      filename: workerFile(),
      minThreads: workers - 1,
      maxThreads: workers - 1,
      idleTimeout: 60_000,
      concurrentTasksPerWorker: QUEUED_WHILE_GROWING,
    });
    const empty: ExpandTask = { model: ref!, symmetry: search.symmetry !== undefined, chunks: [], count: 0, start: 0, end: 0 };
    const loads = Array.from({ length: workers - 1 }, () => started.run(empty));
    Promise.all(loads).then(
      () => (ready = true),
      () => undefined,
    );
    pool = started;
    return started;
  };

  /** The states of a chunk handed out: TASK_MS of work, but at least 16 chunks a thread for a level, and 256 states. */
  const taskStates = (count: number) =>
    Math.max(256, Math.min(Math.ceil(count / (16 * workers)), Math.round(TASK_MS / msPerState)));

  /** The level on this thread (explorer/direct.ts), yielding to the event loop between chunks. */
  const here = async (): Promise<ExploreResult | null> => {
    const count = search.level.count;
    const t0 = performance.now();
    const level = expandHere(search);
    for (let step = level.next(); ; step = level.next()) {
      if (step.done) {
        // The least so far: the first levels run before the JIT has compiled the model.
        if (count >= MEASURED_FROM) msPerState = Math.min(msPerState, (performance.now() - t0) / count);
        return step.value;
      }
      await yieldToEventLoop();
    }
  };

  let spread = null as SpreadLevels<V> | null;
  try {
    for (;;) {
      const result = search.next();
      if (result) return result;
      if (workers > 1 && takes(search.level.count, START_MS)) startPool();
      const done =
        workers <= 1 || !ready || !spreads(search.level.count)
          ? await here()
          : await (spread ??= new SpreadLevels(search, startPool(), ref!, workers, spreads, taskStates)).level();
      if (done) return done;
    }
  } finally {
    await spread?.close();
    await pool?.destroy();
  }
}
