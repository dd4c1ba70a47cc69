/**
 * The search spread over a piscina worker pool: this thread expands the first part of each
 * level itself and merges the workers' chunks of the rest in order (explorer/direct.ts), so
 * the verdict, the counts and the counterexample are those of explore() for any number of
 * workers.
 */
import { existsSync } from "node:fs";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { Piscina } from "piscina";
import { buildModel, type ModelSpec } from "../workers/models.js";
import type { ExpandTask } from "../workers/expand.js";
import { LevelSearch, type ExploreOptions, type ExploreResult } from "./bfs.js";
import { DirectLevel, expandHere } from "./direct.js";
import { chunkOf, expandChunk, type ChunkResult } from "./level.js";

/**
 * Levels smaller than this are expanded on the main thread alone: below it, handing chunks to
 * the pool and waiting for the last of them at the level's end cost more than they save (peer
 * model N = 6…8 and split-unmap-xl, bench/results.json).
 */
const SPREAD_FROM = 16384;

/**
 * The part of a level this thread expands itself, out of `workers` threads. Merging a state a
 * worker found costs it about a seventh of expanding one (profiled on the peer model), so it
 * takes a little less than 1/workers: own·1 + (1 − own)·b = (1 − own)/(workers − 1), b = 0.15.
 * The pool's threads take chunks below this point when they run out above it, and this thread
 * takes the pool's when it waits, so a wrong estimate costs little.
 */
function ownShare(workers: number): number {
  const c = 1 / (workers - 1);
  return (c - 0.15) / (1 - 0.15 + c);
}

export function defaultWorkers(): number {
  return Math.max(1, cpus().length);
}

/**
 * The worker's compiled file. From the sources (the tests run them through vite) the worker
 * still has to be the build's JavaScript: worker threads load plain files.
 */
function workerFile(): string {
  const here = import.meta.url;
  const url = here.endsWith(".ts") ? new URL("../dist/workers/expand.js", here) : new URL("../workers/expand.js", here);
  if (!existsSync(url)) throw new Error(`the worker ${fileURLToPath(url)} is missing: run the build (npm run build)`);
  return url.href;
}

/** Lets the event loop run (a Ctrl-C handler, progress output) between chunks. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The search of a model, with `workers` threads (1: on this thread, still yielding to the event
 * loop between chunks so that an interrupt is seen). Checkpoints and resume as in explore().
 */
export async function exploreWith(spec: ModelSpec, workers: number, options: ExploreOptions = {}): Promise<ExploreResult> {
  const { system, invariants } = buildModel(spec);
  const opts = { ...options, model: spec };
  const spreadFrom = options.spreadFrom ?? SPREAD_FROM;
  // Started only as levels grow towards spreadFrom: small searches never pay for the workers.
  let pool = null as Piscina<ExpandTask, ChunkResult> | null;
  const search = new LevelSearch(system, invariants, opts, workers > 1);

  /**
   * The pool, started (with a first empty task per thread, which loads and builds the model
   * there) a few levels before the first level big enough to be spread over it: at a quarter
   * of spreadFrom.
   */
  const startPool = (): Piscina<ExpandTask, ChunkResult> => {
    if (pool) return pool;
    const started = new Piscina<ExpandTask, ChunkResult>({
      filename: workerFile(),
      minThreads: workers - 1,
      maxThreads: workers - 1,
      idleTimeout: 60_000,
    });
    const empty: ExpandTask = { spec, chunks: [], count: 0, start: 0, end: 0 };
    for (let i = 1; i < workers; i++) started.run(empty).catch(() => undefined);
    pool = started;
    return started;
  };

  /** The level on this thread (explorer/direct.ts), yielding to the event loop between chunks. */
  const here = async (): Promise<ExploreResult | null> => {
    const level = expandHere(search);
    for (let step = level.next(); ; step = level.next()) {
      if (step.done) return step.value;
      await yieldToEventLoop();
    }
  };

  /**
   * The level spread over this thread and the pool. This thread expands the level from its
   * start straight into the next level (explorer/direct.ts); the pool's threads expand chunks
   * from a point further on, up to the end and then back down, into candidates; this thread
   * merges those in order once it reaches them, and when the next chunk is still in the pool's
   * hands it expands another one the pool has not taken yet, as a worker would. The pool is
   * kept two tasks a thread ahead, handed out (piscina does it from the event loop) whenever
   * this thread yields.
   */
  const spread = async (): Promise<ExploreResult | null> => {
    const level = search.level;
    const workerPool = startPool();
    const direct = new DirectLevel(search);
    const chunks = search.chunks(Math.min(search.chunkSize, Math.max(256, Math.ceil(level.count / (16 * workers)))));
    const taken = new Uint8Array(chunks.length);
    const results: (ChunkResult | undefined)[] = new Array(chunks.length);
    // This thread's own run: its share of the level, less what merging the rest costs it.
    let up = Math.min(chunks.length - 1, Math.floor(chunks.length * ownShare(workers)));
    let down = up - 1;
    let waiting = 0;
    let inFlight = 0;
    let failure = null as { error: unknown } | null;
    let wake = null as (() => void) | null;
    const task = ([start, end]: [number, number]): ExpandTask => ({
      spec,
      chunks: level.chunks.slice(chunkOf(level.chunks, start), chunkOf(level.chunks, end - 1) + 1),
      count: level.count,
      start,
      end,
    });
    const finished = (c: number, r: ChunkResult) => {
      results[c] = r;
      waiting += r.meta.byteLength + r.states.byteLength;
    };
    /** The pool's next chunk: upwards from its starting point, then downwards from it. */
    const forPool = (): number => {
      while (up < chunks.length && taken[up]) up++;
      if (up < chunks.length) return up++;
      while (down >= 0 && taken[down]) down--;
      return down >= 0 ? down-- : -1;
    };
    const feed = () => {
      while (!failure && inFlight < 2 * (workers - 1)) {
        const c = forPool();
        if (c < 0) return;
        taken[c] = 1;
        inFlight++;
        workerPool.run(task(chunks[c]!)).then(
          (r) => {
            inFlight--;
            finished(c, r);
            feed();
            wake?.();
          },
          (error: unknown) => {
            inFlight--;
            failure ??= { error };
            wake?.();
          },
        );
      }
    };
    feed();
    for (let next = 0; next < chunks.length; ) {
      if (failure) throw failure.error;
      const r = results[next];
      if (!taken[next]) {
        taken[next] = 1;
        direct.expand(...chunks[next++]!);
      } else if (r) {
        results[next++] = undefined;
        waiting -= r.meta.byteLength + r.states.byteLength;
        direct.merge(r);
      } else {
        const c = taken.lastIndexOf(0);
        if (c < 0) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = null;
          continue;
        }
        taken[c] = 1;
        finished(c, expandChunk(system, search.checker, level, ...chunks[c]!));
      }
      search.notePeak(direct.bytes + waiting);
      search.progress();
      await yieldToEventLoop();
      const stop = search.duringLevel(direct.bytes + waiting);
      if (stop) {
        await drain();
        return stop;
      }
    }
    return direct.complete();

    /** Waits for the pool's tasks in flight, before the search returns early. */
    async function drain(): Promise<void> {
      up = chunks.length;
      down = -1;
      while (inFlight > 0) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
      }
    }
  };

  try {
    for (;;) {
      const result = search.next();
      if (result) return result;
      if (workers > 1 && search.level.count >= spreadFrom / 4) startPool();
      const done = workers <= 1 || search.level.count < spreadFrom ? await here() : await spread();
      if (done) return done;
    }
  } finally {
    await pool?.destroy();
  }
}
