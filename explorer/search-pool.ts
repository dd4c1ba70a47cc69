/**
 * The pool of threads that expand a search's chunks (workers/expand.ts), started before the search
 * needs it: by the search itself, or by its caller before the model is even built here
 * (`mmcheck explore --workers N`, the benchmark), so that the threads load and build the model
 * while this thread builds its own.
 */
import { Piscina } from "piscina";
import type { ModelRef } from "../core/model.js";
import type { ChunkResult } from "./candidates.js";
import { workerFile, type ExpandTask } from "./pool.js";

/**
 * Tasks a pool thread is given before the visited table grows (piscina's
 * concurrentTasksPerWorker, the most it holds): a growth at N = 8 takes 20–50 ms, as long as
 * up to 16 chunks.
 */
export const QUEUED_WHILE_GROWING = 16;

export class SearchPool {
  readonly piscina: Piscina<ExpandTask, ChunkResult>;
  /** Whether each thread has loaded and built the model (then warmed it up): until then the levels stay on the search's thread. */
  ready = false;

  /** `workers`: the search's threads, this one included: the pool has one fewer. */
  constructor(
    readonly ref: ModelRef,
    readonly workers: number,
  ) {
    this.piscina = new Piscina<ExpandTask, ChunkResult>({
      filename: workerFile(),
      name: "expand",
      minThreads: workers - 1,
      maxThreads: workers - 1,
      idleTimeout: 60_000,
      concurrentTasksPerWorker: QUEUED_WHILE_GROWING,
    });
    // A first empty task per thread loads and builds the model there. A model that cannot be
    // built fails here too, where it is reported: the pool then stays unready.
    const empty: ExpandTask = { model: ref, symmetry: false, chunks: [], count: 0, start: 0, end: 0 };
    Promise.all(Array.from({ length: workers - 1 }, () => this.piscina.run(empty))).then(
      () => (this.ready = true),
      () => undefined,
    );
  }

  destroy(): Promise<void> {
    return this.piscina.destroy();
  }
}
