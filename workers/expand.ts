/**
 * The piscina worker: expands one chunk of a level into candidates (explorer/level.ts) for the
 * main thread to merge. The model is built once per worker and kept.
 */
import { Checker } from "../explorer/check.js";
import { expandChunk, type ChunkResult, type LevelChunk } from "../explorer/level.js";
import type { StateView } from "../model/state-view.js";
import { buildModel, type ModelSpec } from "./models.js";

export interface ExpandTask {
  readonly spec: ModelSpec;
  /** The level's chunks that hold positions [start, end), on shared memory. */
  readonly chunks: readonly LevelChunk[];
  readonly count: number;
  readonly start: number;
  readonly end: number;
}

const models = new Map<string, { system: ReturnType<typeof buildModel>["system"]; checker: Checker<StateView> }>();

export default function expand(task: ExpandTask): ChunkResult {
  const key = JSON.stringify(task.spec);
  let m = models.get(key);
  if (!m) {
    const built = buildModel(task.spec);
    m = { system: built.system, checker: new Checker(built.system, built.invariants) };
    models.set(key, m);
  }
  return expandChunk(m.system, m.checker, { chunks: task.chunks, count: task.count }, task.start, task.end);
}
