/**
 * Locks are released only by their holder and in the mode they were taken, and no lock is
 * held when an operation ends.
 */
import type { Kernel } from "../model/kernel.js";
import type { Invariant } from "./types.js";

function holds(k: Kernel, t: number): string[] {
  const out: string[] = [];
  for (const l of k.L.locks()) {
    if (k.a[l.off] === t + 1) out.push(l.rw ? `${l.name} (write)` : l.name);
    if (l.rw && k.a[l.off + 1]! & (1 << t)) out.push(`${l.name} (read)`);
  }
  return out;
}

/** The lock words of a layout as plain arrays: this runs on every transition. */
const offsetsOf = new WeakMap<object, { off: Int32Array; rw: Uint8Array }>();
function lockWords(k: Kernel): { off: Int32Array; rw: Uint8Array } {
  let w = offsetsOf.get(k.L);
  if (!w) {
    const locks = k.L.locks();
    w = { off: Int32Array.from(locks, (l) => l.off), rw: Uint8Array.from(locks, (l) => (l.rw ? 1 : 0)) };
    offsetsOf.set(k.L, w);
  }
  return w;
}

export const lockBalance: Invariant = {
  name: "lock-balance",
  summary: "a lock is released only by its holder, in the mode it was taken; no lock is held when an operation ends",
  step({ before, after, thread, step, opEnded }) {
    const { off, rw } = lockWords(before);
    const b = before.a;
    const a = after.a;
    for (let i = 0; i < off.length; i++) {
      const o = off[i]!;
      const was = b[o]!;
      if (was && was !== thread + 1 && a[o] !== was) {
        const l = before.L.locks()[i]!;
        return `${step.label} by thread ${thread} released ${l.name}${l.rw ? " (write)" : ""} held by thread ${was - 1}`;
      }
      if (rw[i] && b[o + 1]! & ~a[o + 1]! & ~(1 << thread))
        return `${step.label} by thread ${thread} released ${before.L.locks()[i]!.name} (read) held by another thread`;
    }
    if (opEnded) {
      const held = holds(after, thread);
      if (held.length) return `thread ${thread} ended its operation holding ${held.join(", ")}`;
    }
    return null;
  },
};
