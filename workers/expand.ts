/**
 * The piscina worker: expands one chunk of a level into candidates (explorer/level.ts) for the
 * main thread to merge. The model is built once per worker and kept.
 */
import { Checker } from "../explorer/check.js";
import { expandChunk, type ChunkResult, type LevelChunk } from "../explorer/level.js";
import type { StateView } from "../model/state-view.js";
import { buildModel, type BuiltModel, type ModelSpec } from "./models.js";

export interface ExpandTask {
  readonly spec: ModelSpec;
  /** The level's chunks that hold positions [start, end), on shared memory. */
  readonly chunks: readonly LevelChunk[];
  readonly count: number;
  readonly start: number;
  readonly end: number;
}

/** Each model this worker has built, by its spec; a promise while it is being built. */
const models = new Map<string, Promise<{ system: BuiltModel["system"]; checker: Checker<StateView> }>>();

function model(spec: ModelSpec) {
  const key = JSON.stringify(spec);
  let m = models.get(key);
  if (!m) {
    m = buildModel(spec).then((built) => ({ system: built.system, checker: new Checker(built.system, built.invariants) }));
    models.set(key, m);
  }
  return m;
}

export default async function expand(task: ExpandTask): Promise<ChunkResult> {
  const { system, checker } = await model(task.spec);
  return expandChunk(system, checker, { chunks: task.chunks, count: task.count }, task.start, task.end);
}
