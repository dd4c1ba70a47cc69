/**
 * How fast the machine is while the benchmark runs, in the two costs that bound the search:
 * a random read in a table of tens of megabytes (the visited table's cache misses) and a run of
 * integer arithmetic (the model's steps and the fingerprints). This VM's host is shared: the
 * same build's search times vary by a third from one hour to the next, and these figures, taken
 * before and after the cases, tell a slower build from a slower machine.
 */

/** Where each loop's last value goes, so that the compiler cannot drop the loop. */
let sink = 0;

/** Reads chained through a random cycle over 64 MB: each read's address is the last read's value. */
function randomReadNs(): number {
  const words = 16 << 20;
  const next = new Int32Array(words);
  for (let i = 0; i < words; i++) next[i] = i;
  // Sattolo's shuffle: one cycle through every word, so no read can be predicted or skipped.
  let seed = 0x9e3779b9;
  for (let i = words - 1; i > 0; i--) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    const j = seed % i;
    const t = next[i]!;
    next[i] = next[j]!;
    next[j] = t;
  }
  const reads = 4_000_000;
  let at = 0;
  const t0 = performance.now();
  for (let r = 0; r < reads; r++) at = next[at]!;
  sink ^= at;
  return ((performance.now() - t0) * 1e6) / reads;
}

/** A 32-bit hash chain (murmur3's finaliser), 50M rounds: integer work with no memory traffic. */
function integerNs(): number {
  const rounds = 50_000_000;
  let h = 1;
  const t0 = performance.now();
  for (let i = 0; i < rounds; i++) {
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b) + i;
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
  }
  sink ^= h;
  return ((performance.now() - t0) * 1e6) / rounds;
}

export interface Calibration {
  /** Nanoseconds a dependent random read in 64 MB takes (the best of three runs). */
  randomReadNs: number;
  /** Nanoseconds one round of the integer hash chain takes (the best of three runs). */
  integerRoundNs: number;
}

export function calibrate(): Calibration {
  const best = (f: () => number) => Math.min(f(), f(), f());
  return {
    randomReadNs: Math.round(best(randomReadNs) * 10) / 10,
    integerRoundNs: Math.round(best(integerNs) * 100) / 100,
  };
}
