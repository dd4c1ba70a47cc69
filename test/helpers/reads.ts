/** What the tests of declared reads (Invariant.reads) walk and record. */
import type { StateView } from "../../core/state-view.js";
import type { TransitionSystem } from "../../core/system.js";

/** The system's distinct states in breadth-first order, the first `limit` of them. */
export function* statesOf<V extends StateView>(system: TransitionSystem<V>, limit = Infinity): Generator<Int32Array> {
  const init = system.initial().slice();
  const seen = new Set([init.join(",")]);
  const queue = [init];
  for (let q = 0; q < queue.length && q < limit; q++) {
    const s = queue[q]!;
    yield s;
    for (let t = 0; t < system.threads; t++) {
      const next = new Int32Array(system.stateWords);
      if (!system.step(s, t, next)) continue;
      const key = next.join(",");
      if (seen.has(key)) continue;
      seen.add(key);
      queue.push(next);
    }
  }
}

/** State `s` as an array that adds to `read` the index of every word read from it. */
export function recording(s: Int32Array, read: Set<number>): Int32Array {
  return new Proxy(s, {
    get(target, p) {
      if (typeof p === "string" && /^\d+$/.test(p)) read.add(Number(p));
      return Reflect.get(target, p) as unknown;
    },
  });
}
