/**
 * The worker pool's side of a search: how many threads, the worker's file, and the task a pool
 * thread runs (workers/expand.ts): a chunk of a level expanded on the model the reference names,
 * which each thread builds for itself.
 */
import { existsSync } from "node:fs";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import type { ModelRef } from "../core/model.js";
import type { LevelChunk } from "./level.js";

export interface ExpandTask {
  readonly model: ModelRef;
  /** Use the model's symmetry of names (ExploreOptions.symmetry). */
  readonly symmetry: boolean;
  /** The level's chunks that hold positions [start, end), on shared memory. */
  readonly chunks: readonly LevelChunk[];
  readonly count: number;
  readonly start: number;
  readonly end: number;
  /** Buffers of the pool's earlier chunks, merged since: the worker writes its next candidates in them. */
  readonly free?: readonly ArrayBufferLike[];
}

export function defaultWorkers(): number {
  return Math.max(1, cpus().length);
}

/** More threads than this only share the cores, each with its own copy of the model and its chunks. */
export const WORKERS_PER_CORE = 4;
export function maxWorkers(): number {
  return WORKERS_PER_CORE * defaultWorkers();
}

/**
 * The file piscina's threads load (`entry`, from the build's root: workers/entry.cjs by default,
 * whose exports a pool's `name` picks: the search's `expand`, check's `check`). From the sources
 * (the tests run them through vite) it still has to be the build's JavaScript: worker threads
 * load plain files.
 */
export function workerFile(entry = "workers/entry.cjs"): string {
  const here = import.meta.url;
  const url = here.endsWith(".ts") ? new URL(`../dist/${entry}`, here) : new URL(`../${entry}`, here);
  if (!existsSync(url)) throw new Error(`the worker ${fileURLToPath(url)} is missing: run the build (npm run build)`);
  return url.href;
}
