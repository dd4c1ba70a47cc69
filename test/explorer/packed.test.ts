import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { emptyPacking, interned, joined, pack, packingOf, packStep, repack, repackInPlace, unpack, widened, within, type Packing } from "../../explorer/packed.js";

/** A word of 0, 8, 16 or 32 bits signed. */
const word = fc.oneof(
  fc.constant(0),
  fc.integer({ min: -128, max: 127 }),
  fc.integer({ min: -(2 ** 15), max: 2 ** 15 - 1 }),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
);
/**
 * A state of 1…13 words (every tail length of each width's group), each word of its own width,
 * then up to 60 zero words: dense states are packed uniformly, sparse ones word by word.
 */
const state = fc
  .tuple(fc.array(word, { minLength: 1, maxLength: 13 }), fc.nat(60))
  .map(([a, zeros]) => Int32Array.from([...a, ...new Array<number>(zeros).fill(0)]));

describe("packed states (explorer/packed.ts)", () => {
  /** `states` packed at `from` in one array, repacked there at `to`: each unpacks to itself. */
  function repacksInPlace(states: Int32Array[], from: Packing, to: Packing): void {
    const words = from.words;
    const a = new Int32Array(states.length * Math.max(from.stride, to.stride));
    states.forEach((s, i) => pack(from, s, a, i * from.stride));
    repackInPlace(a, states.length, from, to, new Int32Array(words));
    states.forEach((s, i) => {
      const out = new Int32Array(words);
      unpack(to, a, i * to.stride, out);
      expect(out).toEqual(s);
    });
  }

  it("states repacked in their own array at a wider packing of a longer stride unpack to themselves", () => {
    fc.assert(
      fc.property(fc.array(state, { minLength: 1, maxLength: 6 }), fc.nat(3), (states, extra) => {
        const words = Math.max(...states.map((s) => s.length)) + extra;
        const full = states.map((s) => Int32Array.from({ length: words }, (_, w) => s[w] ?? 0));
        const from = full.reduce((p, s) => widened(p, s), emptyPacking(words));
        const to = widened(from, Int32Array.from({ length: words }, () => 0x100));
        repacksInPlace(full, from, to);
      }),
      { numRuns: 300 },
    );
  });

  it("... and of a shorter stride: a wider packing may take fewer words (its groups round up otherwise)", () => {
    // Words of 32, 8, 0 and 16 bits: a 32-bit word for each width's group, 3; the 8-bit one at 16 bits: 2.
    const states = [Int32Array.from([0x10000, 5, 0, 300]), Int32Array.from([-0x10000, -100, 0, -2]), Int32Array.from([7, 1, 0, 0])];
    const from = states.reduce((p, s) => widened(p, s), emptyPacking(4));
    const to = widened(from, Int32Array.from([0, 300, 0, 0]));
    expect(to.stride).toBeLessThan(from.stride);
    repacksInPlace(states, from, to);
  });

  it("a state packed at the packing widened for it unpacks to itself, negative words and every tail included", () => {
    fc.assert(
      fc.property(state, fc.nat(3), (s, at) => {
        const p = widened(emptyPacking(s.length), s);
        const dst = new Int32Array((at + 1) * p.stride + 1).fill(-1);
        expect(pack(p, s, dst, at * p.stride)).toBe(true);
        const out = new Int32Array(s.length).fill(7);
        unpack(p, dst, at * p.stride, out);
        expect(out).toEqual(s);
      }),
    );
  });

  it("each word takes its own width: zero words none, one wide word does not widen the rest", () => {
    const s = new Int32Array(338);
    for (let w = 0; w < 130; w++) s[w] = (w % 100) + 1;
    s[283] = 0x14001;
    const p = widened(emptyPacking(s.length), s);
    // 130 bytes of small words and the 17-bit word whole: 33 + 1 32-bit words, not 338.
    expect(p.uniform).toBe(0);
    expect(p.stride).toBe(1 + Math.ceil(130 / 4));
    const dst = new Int32Array(p.stride);
    expect(pack(p, s, dst, 0)).toBe(true);
    const out = new Int32Array(s.length);
    unpack(p, dst, 0, out);
    expect(out).toEqual(s);
  });

  it("a state whose words are nearly all in use is packed uniformly, at its widest word's width in word order", () => {
    const s = Int32Array.from({ length: 71 }, (_, w) => (w % 7 === 0 ? 0 : w));
    const p = widened(emptyPacking(s.length), s);
    expect(p.uniform).toBe(1);
    expect(p.stride).toBe(18);
    const dst = new Int32Array(p.stride);
    expect(pack(p, s, dst, 0)).toBe(true);
    expect(dst[0]).toBe(0x03020100);
    // Every word of a uniform packing has its width: a zero word may become non-zero, not wider.
    const t = Int32Array.from(s);
    t[7] = 1;
    expect(pack(p, t, dst, 0)).toBe(true);
    t[7] = 128;
    expect(pack(p, t, dst, 0)).toBe(false);
    // One 2-byte word among 70 byte words: word by word (19 words) beats every word at 2 bytes (36).
    const wider = widened(p, t);
    expect(wider.uniform).toBe(0);
    expect(wider.stride).toBe(1 + Math.ceil(70 / 4));
  });

  it("pack says when a word is too wide for the packing; repack moves what was packed before to a wider one", () => {
    fc.assert(
      fc.property(fc.array(state, { minLength: 1, maxLength: 5 }), fc.nat(), word, (narrow, at, big) => {
        const words = narrow[0]!.length;
        const states = narrow.map((s) => Int32Array.from({ length: words }, (_, w) => s[w % s.length]!));
        let p = emptyPacking(words);
        for (const s of states) p = widened(p, s);
        const bytes = new Int32Array(states.length * p.stride);
        states.forEach((s, i) => expect(pack(p, s, bytes, i * p.stride)).toBe(true));
        const off = at % words;
        const wide = Int32Array.from(states[0]!, (v, w) => (w === off ? big : v));
        const wider = widened(p, wide);
        expect(pack(p, wide, new Int32Array(p.stride + 1), 0)).toBe(wider === p);
        expect(within(p, wider)).toBe(true);
        expect(joined(p, wider)).toBe(wider);
        const moved = new Int32Array(states.length * wider.stride);
        repack(bytes, moved, states.length, p, wider);
        const out = new Int32Array(words);
        states.forEach((s, i) => {
          unpack(wider, moved, i * wider.stride, out);
          expect(out).toEqual(s);
        });
      }),
    );
  });

  it("packStep of a state one step from a packed parent gives pack's words, and says when a word written does not fit", () => {
    const step = fc.array(fc.record({ at: fc.nat(), value: word }), { maxLength: 6 });
    fc.assert(
      fc.property(state, step, fc.nat(2), (parentState, writes, at) => {
        const p = widened(emptyPacking(parentState.length), parentState);
        const packed = new Int32Array((at + 1) * p.stride);
        pack(p, parentState, packed, at * p.stride);
        // The step writes its words as StateView.w() does: the new value in place, (offset, old value) in the log.
        const s = Int32Array.from(parentState);
        const log = new Int32Array(2 * writes.length);
        writes.forEach(({ at: w, value }, i) => {
          const off = w % s.length;
          log[2 * i] = off;
          log[2 * i + 1] = s[off]!;
          s[off] = value;
        });
        const parent = { states: packed, at: at * p.stride, packing: p, view: { log, logged: log.length } };
        const got = new Int32Array(p.stride + 1);
        const fits = packStep(s, parent, got, 1, p);
        expect(fits).toBe(widened(p, s) === p);
        if (!fits) return;
        const want = new Int32Array(p.stride + 1);
        expect(pack(p, s, want, 1)).toBe(true);
        expect(got).toEqual(want);
        // At a packing other than the parent's, it packs every word.
        const all = packingOf(new Uint8Array(s.length).fill(4));
        const wide = new Int32Array(all.stride);
        expect(packStep(s, parent, wide, 0, all)).toBe(true);
        expect(wide).toEqual(s);
      }),
    );
  });

  it("the table of packings is bounded: a packing met again after the table was emptied is an equal one", () => {
    const s = Int32Array.of(0, 1, 300, 0, 1 << 20, 5, 0, 0, 0, 0, 0, 0);
    const first = widened(emptyPacking(s.length), s);
    const packed = new Int32Array(first.stride);
    pack(first, s, packed, 0);
    const widths = [0, 1, 2, 4];
    for (let i = 0; i < 1100; i++) packingOf(Uint8Array.from({ length: 12 }, (_, w) => widths[(i >> (2 * (w % 6))) & 3]!));
    const again = interned(first);
    expect(again).not.toBe(first);
    expect(again.key).toBe(first.key);
    const out = new Int32Array(s.length);
    unpack(again, packed, 0, out);
    expect(out).toEqual(s);
  });

  it("a packing that crossed threads (structured clone) is this thread's object again", () => {
    const p = widened(emptyPacking(5), Int32Array.of(0, 1, 300, 0, 1 << 20));
    const copy = structuredClone(p);
    expect(copy).not.toBe(p);
    expect(interned(copy)).toBe(p);
  });
});
