/**
 * The file the pool of a sweep or fuzz run loads (synth/pool.ts): CommonJS, as workers/entry.cts
 * is and for its reason (piscina's require() of an ES module aborted in CI); it imports the task.
 */
export async function synth(task: unknown): Promise<unknown> {
  return (await import("./worker.js")).default(task as never);
}
