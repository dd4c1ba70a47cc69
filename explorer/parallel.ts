/**
 * The search spread over a piscina worker pool: each level's chunks go to the workers and to
 * this thread, which claim the states they find in the shared level table; this thread merges
 * the chunks in order (explorer/merge.ts), so the verdict, the counts and the counterexample
 * are those of explore() for any number of workers.
 */
import { existsSync } from "node:fs";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { Piscina } from "piscina";
import { buildModel, type ModelSpec } from "../workers/models.js";
import type { ExpandTask } from "../workers/expand.js";
import { LevelSearch, type ExploreOptions, type ExploreResult } from "./bfs.js";
import { expandHere } from "./direct.js";
import { chunkOf, expandChunk, type ChunkResult } from "./level.js";
import { LevelMerge } from "./merge.js";

/** Levels smaller than this are expanded on the main thread: a round trip costs more. */
const SMALL_LEVEL = 1024;

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
  // Started only as levels grow towards SMALL_LEVEL: small searches never pay for the workers.
  let pool = null as Piscina<ExpandTask, ChunkResult> | null;
  const search = new LevelSearch(system, invariants, opts, workers > 1);

  /**
   * The pool, started (with a first empty task per thread, which loads and builds the model
   * there) a few levels before the first level big enough to be spread over it.
   */
  const startPool = (): Piscina<ExpandTask, ChunkResult> => {
    if (pool) return pool;
    const started = new Piscina<ExpandTask, ChunkResult>({
      filename: workerFile(),
      minThreads: workers - 1,
      maxThreads: workers - 1,
      idleTimeout: 60_000,
    });
    const empty: ExpandTask = { spec, found: new SharedArrayBuffer(12), chunks: [], count: 0, start: 0, end: 0 };
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
   * The level spread over the pool and this thread, merged chunk by chunk in order while later
   * chunks are expanded (explorer/merge.ts). This thread merges whenever the next chunk in
   * order is ready, and expands a chunk itself when it is not; the pool is kept two tasks a
   * thread ahead, handed out (piscina does it from the event loop) whenever this thread yields.
   */
  const spread = async (): Promise<ExploreResult | null> => {
    const level = search.level;
    const shared = search.prepare();
    const merge = new LevelMerge(search, shared);
    const task = (start: number, end: number): ExpandTask => ({
      spec,
      found: shared.found.buffer as SharedArrayBuffer,
      chunks: level.chunks.slice(chunkOf(level.chunks, start), chunkOf(level.chunks, end - 1) + 1),
      count: level.count,
      start,
      end,
    });
    const workerPool = startPool();
    const chunks = search.sharedChunks(workers);
    const results: (ChunkResult | undefined)[] = new Array(chunks.length);
    let waiting = 0;
    let dispatched = 0;
    let inFlight = 0;
    let failure = null as { error: unknown } | null;
    let wake = null as (() => void) | null;
    const done = (c: number, r: ChunkResult) => {
      results[c] = r;
      waiting += r.meta.byteLength + r.states.byteLength;
    };
    const feed = () => {
      while (!failure && inFlight < 2 * (workers - 1) && dispatched < chunks.length) {
        const c = dispatched++;
        inFlight++;
        workerPool.run(task(...chunks[c]!)).then(
          (r) => {
            inFlight--;
            done(c, r);
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
    for (let merged = 0; merged < chunks.length; ) {
      if (failure) throw failure.error;
      const r = results[merged];
      if (r) {
        results[merged++] = undefined;
        waiting -= r.meta.byteLength + r.states.byteLength;
        merge.add(r, waiting);
        search.progress();
      } else if (dispatched < chunks.length) {
        const c = dispatched++;
        done(c, expandChunk(system, search.checker, level, shared, ...chunks[c]!));
      } else {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
        continue;
      }
      await yieldToEventLoop();
    }
    return merge.finish();
  };

  try {
    for (;;) {
      const result = search.next();
      if (result) return result;
      if (workers > 1 && search.level.count >= SMALL_LEVEL / 8) startPool();
      const done = workers <= 1 || search.level.count < SMALL_LEVEL ? await here() : await spread();
      if (done) return done;
    }
  } finally {
    await pool?.destroy();
  }
}
