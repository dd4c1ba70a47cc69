/**
 * Locks are released only by their holder and in the mode they were taken, and no lock is
 * held when an operation ends. The unlock helpers (model/kernel.ts) record a release of a lock
 * that is not held, held by another thread, or held in the other mode (LOCK_MISUSE), which the
 * state check reads; the step check sees a lock word that a step wrote around them.
 */
import { type Kernel, LockMisuse } from "../model/kernel.js";
import { LOCK_MISUSE, LOCK_MISUSE_HOW } from "../model/layout.js";
import type { Invariant } from "./types.js";

/** The message for a misuse the unlock helpers recorded in k, or null. */
function misuse(k: Kernel): string | null {
  const off1 = k.a[LOCK_MISUSE]!;
  if (!off1) return null;
  const how = k.a[LOCK_MISUSE_HOW]!;
  const name = k.L.locks().find((l) => l.off === off1 - 1)?.name ?? `lock word ${off1 - 1}`;
  const holder = ((how >> 4) & 255) - 1;
  const t = (how >> 12) - 1;
  const who = `thread ${t} (${k.cfg.threads[t]?.name ?? "setup"})`;
  switch (how & 15) {
    case LockMisuse.NOT_HELD:
      return `${who} released ${name}, which was not held`;
    case LockMisuse.OTHER_THREAD:
      return `${who} released ${name} held by thread ${holder}`;
    case LockMisuse.UP_READ_OF_WRITER:
      return `${who} released ${name} for read (up_read) while thread ${holder} holds it for write`;
    default:
      return `${who} released ${name} for write (up_write) while thread ${holder} holds it for read`;
  }
}

function holds(k: Kernel, t: number): string[] {
  const out: string[] = [];
  for (const l of k.L.locks()) {
    if (k.a[l.off] === t + 1) out.push(l.rw ? `${l.name} (write)` : l.name);
    if (l.rw && k.a[l.off + 1]! & (1 << t)) out.push(`${l.name} (read)`);
  }
  return out;
}

/** What the checks look up per layout (lockTables). */
interface LockTables {
  /**
   * Per state word: 0, or for a lock's word, its index + 1, negated for an rwsem's word of
   * readers. The step check runs on every transition, on the words the step wrote only.
   */
  readonly lockOf: Int16Array;
  /** Each lock's word, and each rwsem's word of readers, as offsets (for holdsAny). */
  readonly writers: Int32Array;
  readonly readers: Int32Array;
}

const tables = new WeakMap<object, LockTables>();
/** The last layout asked for and its tables: a search asks for one layout on every transition, and a WeakMap lookup each time cost as much as the check. */
let lastLayout: object | null = null;
let last: LockTables | null = null;

function lockTables(k: Kernel): LockTables {
  if (k.L === lastLayout) return last!;
  let t = tables.get(k.L);
  if (!t) {
    const locks = k.L.locks();
    const lockOf = new Int16Array(k.a.length);
    locks.forEach((l, i) => {
      lockOf[l.off] = i + 1;
      if (l.rw) lockOf[l.off + 1] = -(i + 1);
    });
    t = { lockOf, writers: Int32Array.from(locks, (l) => l.off), readers: Int32Array.from(locks.filter((l) => l.rw), (l) => l.off + 1) };
    tables.set(k.L, t);
  }
  lastLayout = k.L;
  last = t;
  return t;
}

/** Does thread t hold any lock? What an operation's end asks: holds() names them only if so. */
function holdsAny(k: Kernel, t: number): boolean {
  const { writers, readers } = lockTables(k);
  const a = k.a;
  for (let i = 0; i < writers.length; i++) if (a[writers[i]!] === t + 1) return true;
  for (let i = 0; i < readers.length; i++) if (a[readers[i]!]! & (1 << t)) return true;
  return false;
}

export const lockBalance: Invariant = {
  name: "lock-balance",
  summary: "a lock is released only while held, by its holder, in the mode it was taken; no lock is held when an operation ends",
  reads: () => [LOCK_MISUSE, LOCK_MISUSE_HOW],
  state({ k }) {
    return misuse(k);
  },
  // A release is a lock word written; a lock left held is judged where the operation ends.
  stepWrites: (k) => [...lockTables(k).writers, ...lockTables(k).readers],
  onOpEnd: true,
  step({ before, after, thread, step, opEnded, written }) {
    const lockOf = lockTables(before).lockOf;
    const b = before.a;
    const a = after.a;
    // The first lock in the layout's order that was released wrongly: a lock word not written is unchanged.
    let first = Infinity;
    let byReader = false;
    for (let i = 0; i < written.logged; i += 2) {
      const o = written.log[i]!;
      const l = lockOf[o]!;
      if (l > 0) {
        const was = b[o]!;
        if (was && was !== thread + 1 && a[o] !== was && l - 1 <= first) {
          first = l - 1;
          byReader = false;
        }
      } else if (l < 0 && b[o]! & ~a[o]! & ~(1 << thread) && -l - 1 < first) {
        first = -l - 1;
        byReader = true;
      }
    }
    if (first < Infinity) {
      const l = before.L.locks()[first]!;
      if (byReader) return `${step.label} by thread ${thread} released ${l.name} (read) held by another thread`;
      return `${step.label} by thread ${thread} released ${l.name}${l.rw ? " (write)" : ""} held by thread ${b[l.off]! - 1}`;
    }
    if (opEnded && holdsAny(after, thread)) {
      const held = holds(after, thread);
      if (held.length) return `thread ${thread} ended its operation holding ${held.join(", ")}`;
    }
    return null;
  },
};
