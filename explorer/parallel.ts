/**
 * The search spread over a piscina worker pool: this thread expands part of each level itself
 * and merges the workers' chunks of the rest in order (explorer/direct.ts, explorer/spread.ts),
 * so the verdict, the counts and the counterexample are those of explore() for any number of
 * workers.
 */
import { existsSync } from "node:fs";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { Piscina } from "piscina";
import type { StateView } from "../model/state-view.js";
import { buildModel, type ModelSpec } from "../workers/models.js";
import type { ExpandTask } from "../workers/expand.js";
import { LevelSearch, type ExploreOptions, type ExploreResult } from "./bfs.js";
import { expandHere } from "./direct.js";
import type { ChunkResult } from "./level.js";
import { QUEUED, SpreadLevels, yieldToEventLoop } from "./spread.js";

/**
 * Levels smaller than this are expanded on the main thread alone: below it, handing chunks to
 * the pool and waiting for the last of them at the level's end cost more than they save (peer
 * model N = 6…8 and split-unmap-xl, bench/results.json).
 */
const SPREAD_FROM = 16384;

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

/**
 * The search of a model, with `workers` threads (1: on this thread, still yielding to the event
 * loop between chunks so that an interrupt is seen). Checkpoints and resume as in explore().
 */
export async function exploreWith(spec: ModelSpec, workers: number, options: ExploreOptions = {}): Promise<ExploreResult> {
  const { system, invariants } = await buildModel(spec);
  const opts = { ...options, model: spec };
  const spreadFrom = options.spreadFrom ?? SPREAD_FROM;
  // Started only as levels grow towards spreadFrom: small searches never pay for the workers.
  let pool = null as Piscina<ExpandTask, ChunkResult> | null;
  const search = new LevelSearch(system, invariants, opts, workers > 1);

  /** Whether each pool thread has loaded and built the model: until then the levels stay here. */
  let ready = false;
  /**
   * The pool, started (with a first empty task per thread, which loads and builds the model
   * there) some levels before the first level big enough to be spread over it: at a sixteenth
   * of spreadFrom. A thread takes 50–150 ms to start on a 2-vCPU VM.
   */
  const startPool = (): Piscina<ExpandTask, ChunkResult> => {
    if (pool) return pool;
    const started = new Piscina<ExpandTask, ChunkResult>({
      filename: workerFile(),
      minThreads: workers - 1,
      maxThreads: workers - 1,
      idleTimeout: 60_000,
      concurrentTasksPerWorker: QUEUED,
    });
    const empty: ExpandTask = { spec, chunks: [], count: 0, start: 0, end: 0 };
    const loads = Array.from({ length: workers - 1 }, () => started.run(empty));
    Promise.all(loads).then(
      () => (ready = true),
      () => undefined,
    );
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

  let spread = null as SpreadLevels<StateView> | null;
  try {
    for (;;) {
      const result = search.next();
      if (result) return result;
      if (workers > 1 && search.level.count >= spreadFrom / 16) startPool();
      const done =
        workers <= 1 || search.level.count < spreadFrom || !ready
          ? await here()
          : await (spread ??= new SpreadLevels(search, startPool(), spec, workers, spreadFrom)).level();
      if (done) return done;
    }
  } finally {
    await spread?.close();
    await pool?.destroy();
  }
}
