/**
 * The search spread over a piscina worker pool: each level's chunks go to the workers, which
 * expand them against the shared fingerprint table; the main thread merges them exactly as
 * explore() does, so the verdict, the counts and the counterexample are the same for any
 * number of workers.
 */
import { existsSync } from "node:fs";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { Piscina } from "piscina";
import { buildModel, type ModelSpec } from "../workers/models.js";
import type { ExpandTask } from "../workers/expand.js";
import { LevelSearch, type ExploreOptions, type ExploreResult } from "./bfs.js";
import { expandHere } from "./direct.js";
import { chunkOf, expandChunk, type ChunkResult, type LevelShared } from "./level.js";

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
  // Started at the first level big enough to be worth a round trip: small searches never pay
  // for starting the workers.
  let pool = null as Piscina<ExpandTask, ChunkResult> | null;
  const search = new LevelSearch(system, invariants, opts, workers > 1);

  /** The level on this thread (explorer/direct.ts), yielding to the event loop between chunks. */
  const here = async (): Promise<ExploreResult | null> => {
    const level = expandHere(search);
    for (let step = level.next(); ; step = level.next()) {
      if (step.done) return step.value;
      await yieldToEventLoop();
    }
  };

  const expandLevel = async (shared: LevelShared): Promise<ChunkResult[]> => {
    const level = search.level;
    const task = (start: number, end: number): ExpandTask => ({
      spec,
      visited: shared.visited.buffer as SharedArrayBuffer,
      visitedCapacity: shared.visited.capacity,
      found: shared.found.buffer as SharedArrayBuffer,
      chunks: level.chunks.slice(chunkOf(level.chunks, start), chunkOf(level.chunks, end - 1) + 1),
      count: level.count,
      start,
      end,
    });
    pool ??= new Piscina<ExpandTask, ChunkResult>({
      filename: workerFile(),
      minThreads: workers - 1,
      maxThreads: workers - 1,
      idleTimeout: 60_000,
    });
    const workerPool = pool;
    // A few chunks per thread, so that a slow chunk does not leave the others idle. This thread
    // is one of the `workers`: it expands its share of the chunks while the pool does the rest.
    const size = Math.max(256, Math.min(search.chunkSize, Math.ceil(search.level.count / (workers * 4))));
    const chunks = search.chunks(size);
    const local = Math.floor(chunks.length / workers);
    const pooled = chunks.slice(local).map(([start, end]) =>
      workerPool.run(task(start, end)).then((r) => {
        search.progress();
        return r;
      }),
    );
    // Yield first and between chunks: piscina hands tasks to the workers from the event loop.
    const mine: ChunkResult[] = [];
    for (const [start, end] of chunks.slice(0, local)) {
      await yieldToEventLoop();
      mine.push(expandChunk(system, search.checker, search.level, shared, start, end));
    }
    return [...mine, ...(await Promise.all(pooled))];
  };

  try {
    for (;;) {
      const result = search.next();
      if (result) return result;
      let done: ExploreResult | null;
      if (workers <= 1 || search.level.count < SMALL_LEVEL) done = await here();
      else {
        const shared = search.prepare();
        done = search.complete(shared, await expandLevel(shared));
      }
      if (done) return done;
    }
  } finally {
    await pool?.destroy();
  }
}
