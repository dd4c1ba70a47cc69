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

export const lockBalance: Invariant = {
  name: "lock-balance",
  summary: "a lock is released only by its holder, in the mode it was taken; no lock is held when an operation ends",
  step({ before, after, thread, step, opEnded }) {
    for (const l of before.L.locks()) {
      const was = before.a[l.off]!;
      if (was && was !== thread + 1 && after.a[l.off] !== was)
        return `${step.label} by thread ${thread} released ${l.name}${l.rw ? " (write)" : ""} held by thread ${was - 1}`;
      if (l.rw) {
        const dropped = before.a[l.off + 1]! & ~after.a[l.off + 1]! & ~(1 << thread);
        if (dropped) return `${step.label} by thread ${thread} released ${l.name} (read) held by another thread`;
      }
    }
    if (opEnded) {
      const held = holds(after, thread);
      if (held.length) return `thread ${thread} ended its operation holding ${held.join(", ")}`;
    }
    return null;
  },
};
