/**
 * The fingerprint tables of the search, in SharedArrayBuffers so that workers see them.
 *
 * VisitedTable holds every state's 64-bit fingerprint (two Int32 words a slot, open addressing,
 * linear probing). During a level it is only read; the main thread adds the level's new states
 * when it merges the level, so it needs no atomics and no per-slot extra.
 *
 * LevelTable holds the states found in the level being expanded, with their claim: the
 * smallest (parent position, thread) key that reached each (explorer/level.ts). Workers insert
 * concurrently: a compare-and-swap on the high half (never 0: a 0 is stored as 1) claims an
 * empty slot, the claim is lowered with compare-and-swap, and the low half (never 0 either) is
 * written last; a reader that finds the high half waits for the low half before comparing.
 */
const EMPTY = 0;

function norm(x: number): number {
  return x === 0 ? 1 : x | 0;
}

function home(hi: number, lo: number, mask: number): number {
  return (hi ^ Math.imul(lo, 0x9e3779b1)) & mask;
}

function newBuffer(bytes: number, shared: boolean): SharedArrayBuffer | ArrayBuffer {
  return shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
}

export class VisitedTable {
  readonly slots: Int32Array;
  readonly mask: number;
  /** Fingerprints held; kept by the main thread. */
  size = 0;

  constructor(capacityLog2: number, shared: boolean, buffer?: SharedArrayBuffer | ArrayBuffer) {
    this.slots = new Int32Array(buffer ?? newBuffer((1 << capacityLog2) * 8, shared));
    this.mask = this.slots.length / 2 - 1;
  }

  get bytes(): number {
    return this.slots.byteLength;
  }

  get buffer(): SharedArrayBuffer | ArrayBuffer {
    return this.slots.buffer as SharedArrayBuffer | ArrayBuffer;
  }

  has(hiIn: number, loIn: number): boolean {
    const hi = norm(hiIn);
    const lo = norm(loIn);
    const s = this.slots;
    for (let i = home(hi, lo, this.mask); ; i = (i + 1) & this.mask) {
      const h = s[2 * i]!;
      if (h === EMPTY) return false;
      if (h === hi && s[2 * i + 1] === lo) return true;
    }
  }

  /** Adds a fingerprint not yet present (main thread, between levels). */
  add(hiIn: number, loIn: number): void {
    const hi = norm(hiIn);
    const lo = norm(loIn);
    const s = this.slots;
    let i = home(hi, lo, this.mask);
    while (s[2 * i] !== EMPTY) i = (i + 1) & this.mask;
    s[2 * i] = hi;
    s[2 * i + 1] = lo;
    this.size++;
  }

  /** This table, or a larger copy, with room for `needed` fingerprints at three-quarter load. */
  grownFor(needed: number): VisitedTable {
    let log2 = Math.log2(this.mask + 1);
    while ((1 << log2) * 0.75 < needed) log2++;
    if (1 << log2 === this.mask + 1) return this;
    const t = new VisitedTable(log2, this.buffer instanceof SharedArrayBuffer);
    const s = this.slots;
    for (let i = 0; i <= this.mask; i++) if (s[2 * i] !== EMPTY) t.add(s[2 * i]!, s[2 * i + 1]!);
    return t;
  }
}

export interface ClaimResult {
  /** The slot of the state in the level table. */
  slot: number;
  /** This call put the state in the table. */
  fresh: boolean;
  /** This call's key is now the state's smallest claim. */
  lowered: boolean;
}

export class LevelTable {
  readonly slots: Int32Array;
  readonly mask: number;

  /** Room for `entries` states at half load. */
  constructor(entries: number, shared: boolean, buffer?: SharedArrayBuffer | ArrayBuffer) {
    let cap = 16;
    while (cap < entries * 2) cap *= 2;
    this.slots = new Int32Array(buffer ?? newBuffer(cap * 12, shared));
    this.mask = this.slots.length / 3 - 1;
  }

  get buffer(): SharedArrayBuffer | ArrayBuffer {
    return this.slots.buffer as SharedArrayBuffer | ArrayBuffer;
  }

  /** The state's smallest claim so far. */
  claimAt(slot: number): number {
    return this.slots[3 * slot + 2]!;
  }

  /** Finds or inserts the fingerprint and lowers its claim to `key` if that is smaller. */
  claim(hiIn: number, loIn: number, key: number, out: ClaimResult): void {
    const hi = norm(hiIn);
    const lo = norm(loIn);
    const s = this.slots;
    for (let i = home(hi, lo, this.mask); ; i = (i + 1) & this.mask) {
      const o = 3 * i;
      let h = s[o]!;
      if (h === EMPTY) {
        h = Atomics.compareExchange(s, o, EMPTY, hi);
        if (h === EMPTY) {
          Atomics.store(s, o + 2, key);
          Atomics.store(s, o + 1, lo);
          out.slot = i;
          out.fresh = true;
          out.lowered = true;
          return;
        }
      }
      if (h !== hi) continue;
      let l = s[o + 1]!;
      while (l === EMPTY) l = Atomics.load(s, o + 1);
      if (l !== lo) continue;
      out.slot = i;
      out.fresh = false;
      out.lowered = false;
      let cur = Atomics.load(s, o + 2);
      while (key < cur) {
        const prev = Atomics.compareExchange(s, o + 2, cur, key);
        if (prev === cur) {
          out.lowered = true;
          return;
        }
        cur = prev;
      }
      return;
    }
  }
}
