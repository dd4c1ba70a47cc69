/**
 * The piscina worker: expands one chunk of a level into candidates (explorer/candidates.ts) for
 * the main thread to merge. It builds the model the task's reference names (models/index.ts)
 * itself, once, and keeps it.
 */
import type { ModelRef } from "../core/model.js";
import type { StateView } from "../core/state-view.js";
import type { TransitionSystem } from "../core/system.js";
import { expandChunk, recycle, type ChunkResult } from "../explorer/candidates.js";
import { Checker } from "../explorer/check.js";
import { stateFingerprint } from "../explorer/expand.js";
import { levelFrom } from "../explorer/level.js";
import type { ExpandTask } from "../explorer/pool.js";
import { buildModel } from "../models/index.js";

type System = TransitionSystem<StateView>;

/** Each model this worker has built, by its reference; a promise while it is being built. */
const models = new Map<string, Promise<{ system: System; checker: Checker<StateView> }>>();

/**
 * The warm-up's limits. A worker's first chunks run before the JIT has compiled the model's
 * steps, 10–40 times slower than later ones: the warm-up runs on the pool's otherwise idle
 * thread until its pace stops improving — CONVERGED chunks of WARM_UP_CHUNK states in a row
 * none a tenth faster than the best — or WARM_UP_MS have passed (longer took the processor
 * from the main thread where the core was not idle after all). After a fixed 100 ms, the
 * first spread level's chunks took 3 (peer model N = 8) to 15 (split-unmap-xl) times this
 * thread's time a state, and the default's trial (explorer/auto.ts) judged the pool by them.
 */
const WARM_UP_MS = 250;
const WARM_UP_CHUNK = 512;
const CONVERGED = 4;

/**
 * Expands the model's first levels, each into candidates as expandChunk does for the main
 * thread, the results dropped: the code a chunk runs is then compiled when the first arrives.
 */
function warmUp(system: System, checker: Checker<StateView>): void {
  const words = system.stateWords;
  const initial = system.initial();
  const [hi, lo] = stateFingerprint(initial, system.symmetry);
  let level = levelFrom(Int32Array.of(hi, lo, ...initial), 1, words, false);
  const t0 = performance.now();
  let best = Infinity;
  for (let still = 0; still < CONVERGED && level.count > 0 && performance.now() - t0 < WARM_UP_MS; ) {
    const end = Math.min(level.count, WARM_UP_CHUNK);
    const c0 = performance.now();
    const r = expandChunk(system, checker, level, 0, end, system.symmetry);
    const pace = (performance.now() - c0) / end;
    // Chunks of the first levels, a few states each, tell nothing of the pace.
    if (end === WARM_UP_CHUNK) {
      still = pace < 0.9 * best ? 0 : still + 1;
      best = Math.min(best, pace);
    }
    const fps = new Int32Array(2 * r.nCandidates);
    for (let i = 0; i < r.nCandidates; i++) {
      fps[2 * i] = r.meta[3 * i + 1]!;
      fps[2 * i + 1] = r.meta[3 * i + 2]!;
    }
    level = { chunks: [{ first: 0, count: r.nCandidates, fps, states: r.states, packing: r.packing }], count: r.nCandidates };
  }
}

function model(ref: ModelRef) {
  const key = JSON.stringify(ref);
  let m = models.get(key);
  if (!m) {
    m = buildModel(ref).then((built) => {
      const checker = new Checker(built.system, built.invariants);
      warmUp(built.system, checker);
      return { system: built.system, checker };
    });
    models.set(key, m);
  }
  return m;
}

export default async function expand(task: ExpandTask): Promise<ChunkResult> {
  const { system, checker } = await model(task.model);
  if (task.free) recycle(task.free);
  return expandChunk(system, checker, { chunks: task.chunks, count: task.count }, task.start, task.end, task.symmetry ? system.symmetry : undefined);
}
