/**
 * Exhaustive breadth-first search over the interleavings of a model's threads, deduplicated by
 * 64-bit fingerprint, level by level (explorer/search.ts). Each level is expanded in chunks — by
 * this thread alone (explorer/direct.ts), or spread over a piscina worker pool whose chunks are
 * merged in order (explorer/spread.ts) — so that the states, their order, the statistics and
 * the counterexample are the same however many workers ran: the violation reported is the one
 * at the smallest depth, the first in the sequential order.
 */
import type { StateView } from "../core/state-view.js";
import { AutoChoice, autoWorkers, cpuSample, idleCores, MEASURED_FROM } from "./auto.js";
import { expandHere } from "./direct.js";
import type { ExploreOptions, ExploreResult, Searched } from "./options.js";
import { defaultWorkers } from "./pool.js";
import { LevelSearch } from "./search.js";
import { SearchPool } from "./search-pool.js";
import { SpreadLevels, yieldSometimes } from "./spread.js";

/**
 * By default (`workers: "auto"`), the pool is started at the first level that would take this
 * long to expand on this thread alone: about 18,000 states of the peer model, 3,000 of the mm
 * model's split-unmap-xl (1.1 and 6 µs a state here). A search whose levels all stay smaller
 * does better without it.
 */
export const AUTO_START_MS = 20;

/**
 * Once the pool is ready, a level that would take this long or more is spread over it; a
 * smaller one is expanded here, as handing out and merging its chunks would cost more than
 * they save. Lower than START_MS: the levels that shrink towards a search's end are still
 * worth spreading once the pool runs (peer N = 7 on two workers: 6% faster than at 20 ms).
 */
const SPREAD_MS = 10;

/**
 * Measure the machine's idle cores over at least this long before an "auto" search starts its
 * pool: beside other searches and test runs, windows of 50 ms found a core idle now and then,
 * and the pool then started took the processor from the main thread (madv-vs-map ×0.86). Over
 * a second a process that comes and goes shows as the share of it that it ran; the last
 * minute's load average, a second gate until then, counted the runs just ended with this one:
 * after a run of the benchmark madv-vs-map's default waited 4.5 s to start its pool, 20 windows
 * of 200 ms each measuring a core idle (0.96–1.04) beside a load average of 1.52.
 */
const LOAD_SAMPLE_MS = 1000;

/**
 * A chunk handed out takes about this long: long enough that handing it out and merging it cost
 * little beside it (peer model: about 2,500 states; mm model: about 400).
 */
const TASK_MS = 3;

/**
 * By default, the pool is not started before the search has run this long: a pool thread's
 * start takes about 0.3 s of a core and its chunks run 4–40 times slower than this thread's
 * for a few hundred milliseconds more while its JIT compiles the model, and during the search's
 * first second this thread's own JIT keeps half of the second core busy. A search over by then
 * cannot win that back: started at its first 20 ms level, the pool made split-unmap-xl (1.5 s
 * on one worker, quiet 2-vCPU VM) 0.88 of one worker's speed, from 1,450–1,510 ms to 1,650–1,810.
 */
export const AUTO_START_AFTER_MS = 1500;

/**
 * Whether the pool is started before a level of `count` states (`takes(count, ms)`: would it
 * take `ms` or more on this thread), `searchMs` into the search. With a number of workers asked
 * for, at once: its threads load and build the model (about 0.5 s of a core on this VM, zod and
 * yaml included) and warm up while this thread runs the first levels; started at the first
 * 20 ms level instead, the worker was ready only after a third of split-unmap-xl's search. With
 * "auto", at the first level of AUTO_START_MS once the search has run AUTO_START_AFTER_MS
 * (`searchMs` is Infinity where options.spreadFrom replaces timing): a search whose levels stay
 * smaller, or that ends sooner, never pays for the pool.
 */
export function startsPool(auto: boolean, takes: (count: number, ms: number) => boolean, count: number, searchMs: number): boolean {
  return !auto || (searchMs >= AUTO_START_AFTER_MS && takes(count, AUTO_START_MS));
}

/**
 * The breadth-first search of a model, with `options.workers` threads (default 1: this thread
 * alone, still yielding to the event loop between chunks so that an interrupt is seen).
 */
export async function bfs<V extends StateView>(model: Searched<V>, options: ExploreOptions = {}): Promise<ExploreResult> {
  const auto = options.workers === "auto";
  // Without a reference, pool threads cannot build the model: "auto" is this thread alone.
  /** The most threads the search may take; with "auto", the pool's start decides (autoWorkers), and then its trial (AutoChoice). */
  const workers = options.pool?.workers ?? (auto ? (model.ref ? defaultWorkers() : 1) : (options.workers ?? 1));
  const ref = model.ref;
  if (workers > 1 && !ref) throw new Error("a search on more than one thread needs a model with a reference (core/model.ts ModelRef)");
  /** Milliseconds a state takes to expand on this thread, measured on the levels big enough to tell. */
  let msPerState = Infinity;
  /** Would a level of `count` states take `ms` or more on this thread (with options.spreadFrom: has it that many states)? */
  const takes = (count: number, ms: number) =>
    options.spreadFrom !== undefined ? count >= options.spreadFrom : msPerState < Infinity && count * msPerState >= ms;
  const choice = auto ? new AutoChoice() : null;
  /** Is the level about to be expanded, of `count` states, spread over a ready pool? */
  const spreadsLevel = (count: number) => takes(count, SPREAD_MS) && (choice?.spreadsLevel() ?? true);
  /** During a spread level: is the next, of `count` states so far, spread too? */
  const spreadsFollowing = (count: number) => takes(count, SPREAD_MS) && (choice?.spreadsFollowing() ?? true);
  /** The pool the caller started, if any, else the one started here (startsPool). */
  let pool = options.pool ?? null;
  const search = new LevelSearch(model, options, workers > 1);
  /** The machine's idle cores are measured from here for "auto". */
  let loadFrom = auto ? cpuSample() : null;
  /** The pool, unless "auto" finds no core to spare for it (measured again at the next level). */
  const startPool = (): void => {
    if (!loadFrom) {
      pool ??= new SearchPool(ref!, workers);
      return;
    }
    const now = cpuSample();
    if (now.wallMs - loadFrom.wallMs < LOAD_SAMPLE_MS) return;
    const n = autoWorkers(workers, idleCores(loadFrom, now));
    loadFrom = now;
    if (n > 1) pool ??= new SearchPool(ref!, n);
  };

  /** The states of a chunk handed out: TASK_MS of work, but at least 16 chunks a thread for a level, and 256 states. */
  const taskStates = (count: number) =>
    Math.max(256, Math.min(Math.ceil(count / (16 * pool!.workers)), Math.round(TASK_MS / msPerState)));

  /** The level on this thread (explorer/direct.ts), yielding to the event loop between chunks now and then. */
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
      await yieldSometimes();
    }
  };

  let spread = null as SpreadLevels<V> | null;
  const searchFrom = performance.now();
  try {
    for (;;) {
      const result = search.next();
      if (result) return result;
      const count = search.level.count;
      if (workers > 1 && !pool && !choice?.gaveUp && startsPool(auto, takes, count, options.spreadFrom !== undefined ? Infinity : performance.now() - searchFrom)) startPool();
      const spreads = pool?.ready === true && spreadsLevel(count);
      const t0 = performance.now();
      const done = !spreads ? await here() : await (spread ??= new SpreadLevels(search, pool!.piscina, ref!, pool!.workers, spreadsFollowing, taskStates)).level();
      if (done) return done;
      if (!choice || !pool?.ready) continue;
      choice.record(spreads, count, performance.now() - t0, performance.now() - searchFrom);
      if (choice.gaveUp) {
        await spread?.close();
        spread = null;
        await pool.destroy();
        pool = null;
      }
    }
  } finally {
    await spread?.close();
    await pool?.destroy();
    search.release();
  }
}
