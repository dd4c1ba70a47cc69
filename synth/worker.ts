/**
 * The piscina task of `mmcheck sweep` and `mmcheck fuzz` with more than one thread: a block of
 * scenarios (synth/pool.ts), each judged on this thread as the main thread would, the outcomes
 * returned in order for the main thread to merge.
 */
import { fuzzBlock, type FuzzBlock } from "./fuzz.js";
import { sweepBlock, type SweepBlock } from "./sweep.js";

export default function synth(task: SweepBlock | FuzzBlock): Promise<unknown> {
  return task.kind === "sweep" ? sweepBlock(task) : fuzzBlock(task);
}
