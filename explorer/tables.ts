/**
 * The fingerprint tables of the search.
 *
 * VisitedTable holds every state's 64-bit fingerprint, two Int32 words a slot, in an ordered
 * linear-probing table: a fingerprint's home slot is its high half scaled to the capacity
 * (monotone in the fingerprint), and every run of occupied slots is kept sorted. A lookup then
 * stops at the first larger fingerprint, so a miss costs about what a hit does and the table
 * can run at 80% load; and growing moves every fingerprint to a slot at or after its old one,
 * so the table grows in place, in a buffer that only lengthens: no second copy at any time.
 * Only the main thread uses it: it adds each new state as it finds it in the part of a level
 * it expands itself (or as it merges that part's batches), and as it merges the workers'
 * chunks after that part (explorer/direct.ts). Workers do not look states up in it: of the
 * transitions that lead to a known state, nearly all lead to one found in the same level,
 * mostly from a nearby parent, which the chunk's own FingerprintSet catches; the rest are
 * dropped at the merge.
 *
 * FingerprintSet is a chunk's or a batch's: the states it has found so far.
 */
const EMPTY = 0;

function norm(x: number): number {
  return x === 0 ? 1 : x | 0;
}

/** The high half scaled to [0, capacity): monotone, so runs can be kept in fingerprint order. */
function scaled(hi: number, capacity: number): number {
  return Math.floor((hi >>> 0) * capacity * 2 ** -32);
}

/**
 * A buffer that lengthens in place, up to `maxBytes` (reserved address space, not memory). It
 * is a growable SharedArrayBuffer even for a search on one thread: V8 reads fixed-length views
 * of one as fast as those of a plain buffer, where views of a resizable ArrayBuffer, or
 * length-tracking views, are several times slower. Views of it must therefore be given their
 * length, and made again after it grows.
 */
export function growableBuffer(bytes: number, maxBytes: number): SharedArrayBuffer {
  return new SharedArrayBuffer(bytes, { maxByteLength: maxBytes });
}

/** The most a growable buffer may reach (V8 refuses 2^32 bytes and more). */
const MAX_TABLE_BYTES = 2 ** 32 - 8;
/** Slots past the capacity, for the runs that spill over the last home slot; more are added as needed. */
const TAIL = 1024;
const MAX_LOAD = 0.8;
/**
 * Growth by two fifths keeps the load between 57% and 80%. Below SMALL_TABLE slots (128 MB) the
 * table doubles instead: it is a small part of the machine there, and growing half as often
 * saves more time than it costs memory.
 */
const GROWTH = 1.4;
const SMALL_TABLE = 2 ** 24;
/** Positions relocated per pass when growing in place. */
const BLOCK = 4096;
/** Where prefetch() puts what it read, so that the compiler keeps the reads. */
let prefetched = 0;

export class VisitedTable {
  slots: Int32Array;
  /** Home slots: [0, capacity); the slots after it hold spilled runs only. */
  capacity: number;
  /** Fingerprints held; kept by the main thread. */
  size = 0;

  constructor(capacity: number, buffer?: SharedArrayBuffer) {
    this.capacity = capacity;
    const b = buffer ?? growableBuffer((capacity + TAIL) * 8, MAX_TABLE_BYTES);
    this.slots = new Int32Array(b, 0, b.byteLength / 4);
  }

  /**
   * A table with the slots a checkpoint kept, or why they cannot be one of `capacity` home
   * slots holding `size` fingerprints: each must be at or after its home slot, in order within
   * its run, with an empty slot after the last run (a lookup would otherwise miss some).
   */
  static from(slots: Int32Array, capacity: number, size: number): VisitedTable | string {
    if (slots.length % 2 !== 0 || slots.length / 2 < capacity + TAIL) return `${slots.length / 2} table slots for tableCapacity ${capacity}`;
    if (size > capacity * MAX_LOAD) return `${size} fingerprints in a table of capacity ${capacity}`;
    let held = 0;
    for (let p = 0; p < slots.length / 2; p++) {
      const h = slots[2 * p]!;
      if (h === EMPTY) continue;
      held++;
      if (scaled(h, capacity) > p) return `table slot ${p} holds a fingerprint whose home slot is after it`;
      const ph = p > 0 ? slots[2 * p - 2]! : EMPTY;
      if (ph !== EMPTY && (ph >>> 0 > h >>> 0 || (ph === h && slots[2 * p - 1]! >>> 0 >= slots[2 * p + 1]! >>> 0)))
        return `table slot ${p} is out of order`;
    }
    if (held !== size) return `the table holds ${held} fingerprints, not ${size}`;
    if (slots[slots.length - 2] !== EMPTY) return "the table's last slot is not empty";
    const t = new VisitedTable(capacity, growableBuffer(slots.byteLength, MAX_TABLE_BYTES));
    t.slots.set(slots);
    t.size = size;
    return t;
  }

  get bytes(): number {
    return this.slots.byteLength;
  }

  /** Empties the table for another search (explorer/scratch.ts). */
  clear(): void {
    this.slots.fill(EMPTY);
    this.size = 0;
  }

  get buffer(): SharedArrayBuffer {
    return this.slots.buffer as SharedArrayBuffer;
  }

  /** The slot holding the fingerprint or, if absent, the slot it would go to. */
  private find(hi: number, lo: number): number {
    const s = this.slots;
    const uhi = hi >>> 0;
    const ulo = lo >>> 0;
    for (let i = scaled(hi, this.capacity); ; i++) {
      const h = s[2 * i]!;
      if (h === EMPTY) return i;
      const uh = h >>> 0;
      if (uh > uhi || (uh === uhi && s[2 * i + 1]! >>> 0 >= ulo)) return i;
    }
  }

  /**
   * Adds the fingerprint unless it is present; true if it was added. Only while no other
   * thread reads the table (between levels, or a search on one thread); grows it as needed.
   */
  add(hiIn: number, loIn: number): boolean {
    if (this.growsWithin(1)) this.grow(this.nextCapacity());
    const hi = norm(hiIn);
    const lo = norm(loIn);
    const i = this.find(hi, lo);
    if (this.slots[2 * i] === hi && this.slots[2 * i + 1] === lo) return false;
    let j = i;
    while (this.slots[2 * j] !== EMPTY) j++;
    // Keep an empty slot after the last run: lookups stop there.
    if (2 * j + 4 > this.slots.length) this.extend(2 * j + 2 * TAIL);
    const s = this.slots;
    // The run's tail moves up a slot; runs are short, so a loop beats copyWithin's call.
    for (let k = 2 * j + 1; k >= 2 * i + 2; k--) s[k] = s[k - 2]!;
    s[2 * i] = hi;
    s[2 * i + 1] = lo;
    this.size++;
    return true;
  }

  /**
   * Removes the fingerprint; true if it was there. Each following entry of its run that is
   * not at its home slot moves back a slot, so the run stays in order with no gap before any
   * entry's place (a search stopped during a level takes back the states it had added, to
   * checkpoint the level before: explorer/bfs.ts).
   */
  remove(hiIn: number, loIn: number): boolean {
    const hi = norm(hiIn);
    const lo = norm(loIn);
    const s = this.slots;
    let j = this.find(hi, lo);
    if (s[2 * j] !== hi || s[2 * j + 1] !== lo) return false;
    for (;;) {
      const h = s[2 * j + 2]!;
      if (h === EMPTY || scaled(h, this.capacity) > j) break;
      s[2 * j] = h;
      s[2 * j + 1] = s[2 * j + 3]!;
      j++;
    }
    s[2 * j] = EMPTY;
    s[2 * j + 1] = EMPTY;
    this.size--;
    return true;
  }

  /**
   * Reads the home slot of each of `count` fingerprints whose high halves are words[from],
   * words[from + step], …: these reads' cache misses overlap, where those of add() come one
   * after another, each add waiting for the last. Adding the same fingerprints next then finds
   * their slots in the cache: about 40% off each add of a new fingerprint, in batches of 64 to
   * 512 in a 64 MB table on this machine's VM; 3% off the peer model's N = 8 on two workers.
   */
  prefetch(words: Int32Array, from: number, step: number, count: number): void {
    const s = this.slots;
    const capacity = this.capacity;
    let x = 0;
    for (let i = 0, at = from; i < count; i++, at += step) x ^= s[2 * scaled(words[at]!, capacity)]!;
    prefetched ^= x;
  }

  /** Would adding `extra` fingerprints grow the table? */
  growsWithin(extra: number): boolean {
    return this.size + extra > this.capacity * MAX_LOAD;
  }

  /** Grows the table now, as far as adding `extra` fingerprints would. */
  reserve(extra: number): void {
    while (this.growsWithin(extra)) this.grow(this.nextCapacity());
  }

  /** The bytes the table's next growth adds. */
  growthBytes(): number {
    return Math.max(0, (this.nextCapacity() + TAIL) * 8 - this.bytes);
  }

  private nextCapacity(): number {
    return Math.ceil(this.capacity * (this.capacity < SMALL_TABLE ? 2 : GROWTH)) + 16;
  }

  /** Lengthens the buffer to `words` words (zeroed: empty slots). */
  private extend(words: number): void {
    this.buffer.grow(words * 4);
    this.slots = new Int32Array(this.buffer, 0, words);
  }

  /**
   * Moves every fingerprint to its place for the new capacity. Each goes to max(new home, the
   * previous one's place + 1), never before its old slot, so working back from the end only
   * overwrites slots already moved from. The places are computed forward, so a first pass
   * records the place before each block and a second moves the blocks back to front.
   */
  private grow(capacity: number): void {
    const old = this.slots.length / 2;
    const before = new Int32Array(Math.ceil(old / BLOCK));
    let q = -1;
    for (let b = 0, from = 0; from < old; b++, from += BLOCK) {
      before[b] = q;
      const s = this.slots;
      const to = Math.min(old, from + BLOCK);
      for (let p = from; p < to; p++) {
        const h = s[2 * p]!;
        if (h === EMPTY) continue;
        const home = scaled(h, capacity);
        q = home > q ? home : q + 1;
      }
    }
    this.extend(Math.max(capacity + TAIL, q + 1 + TAIL) * 2);
    const s = this.slots;
    const place = new Int32Array(BLOCK);
    for (let b = before.length - 1; b >= 0; b--) {
      const from = b * BLOCK;
      const to = Math.min(old, from + BLOCK);
      let at = before[b]!;
      for (let p = from; p < to; p++) {
        const h = s[2 * p]!;
        if (h === EMPTY) continue;
        const home = scaled(h, capacity);
        place[p - from] = at = home > at ? home : at + 1;
      }
      for (let p = to - 1; p >= from; p--) {
        const h = s[2 * p]!;
        const np = place[p - from]!;
        if (h === EMPTY || np === p) continue;
        s[2 * np] = h;
        s[2 * np + 1] = s[2 * p + 1]!;
        s[2 * p] = EMPTY;
        s[2 * p + 1] = EMPTY;
      }
    }
    this.capacity = capacity;
  }
}

/**
 * A worker's set of the fingerprints its chunk has found (open addressing, two words a slot),
 * so that a chunk hands over each successor once, at its smallest key in the chunk.
 */
export class FingerprintSet {
  private readonly slots: Int32Array;
  private readonly mask: number;

  /** Room for `entries` fingerprints at at most half load. */
  constructor(entries: number) {
    let cap = 16;
    while (cap < 2 * entries) cap *= 2;
    this.slots = new Int32Array(2 * cap);
    this.mask = cap - 1;
  }

  /** Empties the set. */
  clear(): void {
    this.slots.fill(EMPTY);
  }

  /** Adds the fingerprint unless it is present; true if it was added. */
  add(hiIn: number, loIn: number): boolean {
    const hi = norm(hiIn);
    const lo = norm(loIn);
    const s = this.slots;
    for (let i = (hi ^ Math.imul(lo, 0x9e3779b1)) & this.mask; ; i = (i + 1) & this.mask) {
      const h = s[2 * i]!;
      if (h === EMPTY) {
        s[2 * i] = hi;
        s[2 * i + 1] = lo;
        return true;
      }
      if (h === hi && s[2 * i + 1] === lo) return false;
    }
  }
}
