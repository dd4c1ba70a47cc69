/**
 * The visited set: 64-bit fingerprints in an open-addressing table (linear probing), two
 * Uint32 words a slot, doubling at half load. A V8 Set of strings would cost ~60 bytes and a
 * string build per state, and stops at 2^24 entries. Each entry also gets an id (insertion
 * order) that indexes the trace store.
 */
export class FingerprintTable {
  private keys: Uint32Array;
  private ids: Int32Array;
  private mask: number;
  size = 0;

  constructor(capacityLog2 = 16) {
    const cap = 1 << capacityLog2;
    this.keys = new Uint32Array(cap * 2);
    this.ids = new Int32Array(cap);
    this.mask = cap - 1;
  }

  get bytes(): number {
    return this.keys.byteLength + this.ids.byteLength;
  }

  /** Inserts a fingerprint; returns its new id, or -1 when it was already present. */
  insert(hi: number, lo: number): number {
    if (hi === 0 && lo === 0) lo = 1; // (0, 0) marks an empty slot
    if ((this.size + 1) * 2 > this.mask + 1) this.grow();
    const id = this.place(hi, lo, this.size);
    if (id >= 0) this.size++;
    return id;
  }

  private place(hi: number, lo: number, id: number): number {
    const keys = this.keys;
    let i = (hi ^ Math.imul(lo, 0x9e3779b1)) & this.mask;
    for (;;) {
      const kh = keys[2 * i]!;
      const kl = keys[2 * i + 1]!;
      if (kh === 0 && kl === 0) {
        keys[2 * i] = hi;
        keys[2 * i + 1] = lo;
        this.ids[i] = id;
        return id;
      }
      if (kh === hi && kl === lo) return -1;
      i = (i + 1) & this.mask;
    }
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldIds = this.ids;
    const cap = (this.mask + 1) * 2;
    this.keys = new Uint32Array(cap * 2);
    this.ids = new Int32Array(cap);
    this.mask = cap - 1;
    for (let i = 0; i < oldIds.length; i++) {
      const hi = oldKeys[2 * i]!;
      const lo = oldKeys[2 * i + 1]!;
      if (hi !== 0 || lo !== 0) this.place(hi, lo, oldIds[i]!);
    }
  }
}
