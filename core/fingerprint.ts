/**
 * 64-bit state fingerprints, as two 32-bit lanes. A fingerprint is the XOR over the state's
 * non-zero words of a hash of (position, value) (Zobrist hashing), so a step that changes a few
 * words updates it in a few operations instead of rehashing the whole state (StateView.w).
 */

/**
 * Signed 32-bit, as the lanes are: an unsigned value of 2^31 or more is not a small integer to
 * V8, and each one returned from a call not inlined (StateView.w's wide words) was a heap
 * number allocated. The fingerprint's lanes are the same bits; they are made unsigned where
 * they leave the XORs (fingerprint(), StateView.w).
 */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

export function laneHi(i: number, v: number): number {
  return v === 0 ? 0 : fmix32(Math.imul(i + 1, 0x9e3779b1) ^ Math.imul(v + 0x632be5ab, 0x85ebca77));
}

export function laneLo(i: number, v: number): number {
  return v === 0 ? 0 : fmix32(Math.imul(i + 0x27d4eb2f, 0xc2b2ae3d) ^ Math.imul(v ^ 0x165667b1, 0x27d4eb2d));
}

/** Words whose lanes for the byte values −128…127 are tabled. */
export const ZOBRIST_WORDS = 1024;

/**
 * laneHi and laneLo of (i, v) for i < ZOBRIST_WORDS and v in −128…127, side by side at
 * 2·(i·256 + (v & 255)): the words of the models' states are mostly such small values, and a
 * step's w() then costs two table reads instead of four hashes (core/state-view.ts).
 */
export const ZOBRIST = new Int32Array(2 * ZOBRIST_WORDS * 256);
for (let i = 0; i < ZOBRIST_WORDS; i++)
  for (let v = -128; v < 128; v++) {
    ZOBRIST[2 * ((i << 8) | (v & 255))] = laneHi(i, v);
    ZOBRIST[2 * ((i << 8) | (v & 255)) + 1] = laneLo(i, v);
  }

/** The fingerprint of a whole state. */
export function fingerprint(s: Int32Array): [number, number] {
  let hi = 0;
  let lo = 0;
  for (let i = 0; i < s.length; i++) {
    const v = s[i]!;
    if (v !== 0) {
      hi ^= laneHi(i, v);
      lo ^= laneLo(i, v);
    }
  }
  return [hi >>> 0, lo >>> 0];
}
