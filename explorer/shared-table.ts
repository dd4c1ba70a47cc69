/**
 * The visited set, shared by the search's workers: 64-bit fingerprints in an open-addressing
 * table (linear probing) in a SharedArrayBuffer, three Int32 words a slot — the fingerprint's
 * two halves and a tag. A worker claims an empty slot with a compare-and-swap on the high half
 * (never 0: a 0 high half is stored as 1), then writes the tag, then the low half (never 0
 * either); a reader that finds the high half set waits for the low half before comparing.
 *
 * The tag is the provisional number of a state found in the level being expanded, offset by
 * that level's tag base: it lets a worker that meets a state found earlier in the same level
 * find the state's claim (explorer/level.ts), and tells it apart from a state of an older level.
 * The table grows only between levels, on the main thread, sized so that no level can fill it.
 */
const WORDS = 3;
const HI = 0;
const LO = 1;
const TAG = 2;

export interface InsertResult {
  /** The slot's tag. */
  tag: number;
  /** This call put the fingerprint in the table. */
  fresh: boolean;
}

export class SharedTable {
  slots: Int32Array;
  mask: number;
  /** Number of fingerprints, kept by the main thread between levels. */
  size = 0;

  constructor(capacityLog2 = 16, buffer?: SharedArrayBuffer | ArrayBuffer) {
    const cap = 1 << capacityLog2;
    this.slots = new Int32Array(buffer ?? new SharedArrayBuffer(cap * WORDS * 4));
    this.mask = this.slots.length / WORDS - 1;
  }

  get capacity(): number {
    return this.mask + 1;
  }

  get bytes(): number {
    return this.slots.byteLength;
  }

  get buffer(): SharedArrayBuffer | ArrayBuffer {
    return this.slots.buffer as SharedArrayBuffer | ArrayBuffer;
  }

  /**
   * Looks the fingerprint up and inserts it if absent, tagging a new slot with newTag().
   * Returns the slot's tag, and whether this call inserted it.
   */
  insert(hiIn: number, loIn: number, newTag: () => number, out: InsertResult): void {
    const hi = hiIn === 0 ? 1 : hiIn | 0;
    const lo = loIn === 0 ? 1 : loIn | 0;
    const s = this.slots;
    let i = (hi ^ Math.imul(lo, 0x9e3779b1)) & this.mask;
    for (;;) {
      const o = i * WORDS;
      let h = s[o + HI]!;
      if (h === 0) {
        h = Atomics.compareExchange(s, o + HI, 0, hi);
        if (h === 0) {
          const tag = newTag();
          Atomics.store(s, o + TAG, tag);
          Atomics.store(s, o + LO, lo);
          out.tag = tag;
          out.fresh = true;
          return;
        }
      }
      if (h === hi) {
        let l = s[o + LO]!;
        while (l === 0) l = Atomics.load(s, o + LO);
        if (l === lo) {
          out.tag = Atomics.load(s, o + TAG);
          out.fresh = false;
          return;
        }
      }
      i = (i + 1) & this.mask;
    }
  }

  /** A table with room for `needed` fingerprints at three-quarter load, holding these. */
  grownFor(needed: number): SharedTable {
    let log2 = Math.log2(this.capacity);
    while ((1 << log2) * 0.75 < needed) log2++;
    if (1 << log2 === this.capacity) return this;
    const t = new SharedTable(log2, this.buffer instanceof SharedArrayBuffer ? undefined : new ArrayBuffer((1 << log2) * WORDS * 4));
    const s = this.slots;
    const d = t.slots;
    for (let o = 0; o < s.length; o += WORDS) {
      const hi = s[o + HI]!;
      if (hi === 0) continue;
      let i = (hi ^ Math.imul(s[o + LO]!, 0x9e3779b1)) & t.mask;
      while (d[i * WORDS + HI] !== 0) i = (i + 1) & t.mask;
      d[i * WORDS + HI] = hi;
      d[i * WORDS + LO] = s[o + LO]!;
      d[i * WORDS + TAG] = s[o + TAG]!;
    }
    t.size = this.size;
    return t;
  }
}
