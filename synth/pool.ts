/**
 * A sweep's or fuzz run's scenarios on several threads: blocks of them (not a search's levels:
 * each search is a few dozen states) handed to a piscina pool (synth/worker.ts), whose results
 * come back in the blocks' order whatever order they finish in, so that the run's summary, the
 * numbering of its findings and their files are the same for any number of threads. One
 * thread: the blocks run here, in turn, with no pool to start.
 */
import { Piscina } from "piscina";
import { workerFile } from "../explorer/pool.js";

/** Blocks in flight a thread: one running, one waiting, so that no thread waits on the merge. */
const AHEAD = 2;

/**
 * The result of each block, in the blocks' order. `here` runs a block on this thread (one
 * worker); with more, each block is a task of the pool's (the same function there). The pool
 * stops taking blocks when the caller stops reading (a stop signal, --time, a first finding);
 * blocks in flight then are dropped.
 */
export async function* inOrder<T, R>(blocks: Iterable<T>, workers: number, here: (block: T) => Promise<R>): AsyncGenerator<{ block: T; result: R }> {
  if (workers <= 1) {
    for (const block of blocks) yield { block, result: await here(block) };
    return;
  }
  const pool = new Piscina<T, R>({ filename: workerFile("synth/entry.cjs"), name: "synth", minThreads: workers, maxThreads: workers, idleTimeout: 60_000 });
  const abort = new AbortController();
  const flying: { block: T; result: Promise<R> }[] = [];
  const source = blocks[Symbol.iterator]();
  const more = () => {
    while (flying.length < AHEAD * workers) {
      const next = source.next();
      if (next.done) return;
      const result = pool.run(next.value, { signal: abort.signal });
      // A block dropped when the run stops is not an error.
      result.catch(() => undefined);
      flying.push({ block: next.value, result });
    }
  };
  try {
    for (more(); flying.length > 0; more()) {
      const { block, result } = flying.shift()!;
      yield { block, result: await result };
    }
  } finally {
    abort.abort();
    await pool.destroy();
  }
}
