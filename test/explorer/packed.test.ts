import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { pack, packStep, repack, strideOf, unpack, widthOf, type Width } from "../../explorer/packed.js";

/** A state of 1…13 words (every tail length), each word within `bits` bits signed. */
const state = (bits: number) =>
  fc.array(fc.integer({ min: -(2 ** (bits - 1)), max: 2 ** (bits - 1) - 1 }), { minLength: 1, maxLength: 13 }).map((a) => Int32Array.from(a));

describe("packed states (explorer/packed.ts)", () => {
  it("a state packed at the width it needs unpacks to itself, negative words and every tail included", () => {
    fc.assert(
      fc.property(fc.oneof(state(8), state(16), state(32)), fc.nat(3), (s, at) => {
        const width = widthOf(s);
        const dst = new Int32Array((at + 1) * strideOf(s.length, width) + 1);
        expect(pack(s, dst, at * strideOf(s.length, width), width)).toBe(width);
        const out = new Int32Array(s.length);
        unpack(dst, at * strideOf(s.length, width), width, out);
        expect(out).toEqual(s);
      }),
    );
  });

  it("pack says when the width is too narrow; repack widens what was packed before", () => {
    fc.assert(
      fc.property(fc.array(state(8), { minLength: 1, maxLength: 5 }), fc.integer({ min: 128, max: 1 << 20 }), (narrow, big) => {
        const words = narrow[0]!.length;
        const states = narrow.map((s) => Int32Array.from({ length: words }, (_, w) => s[w % s.length]!));
        const bytes = new Int32Array(states.length * strideOf(words, 1));
        states.forEach((s, i) => expect(pack(s, bytes, i * strideOf(words, 1), 1)).toBe(1));
        const wide = Int32Array.from(states[0]!, (v, w) => (w === words - 1 ? big : v));
        const need: Width = big < 0x8000 ? 2 : 4;
        expect(pack(wide, new Int32Array(strideOf(words, 1)), 0, 1)).toBe(need);
        const wider = new Int32Array(states.length * strideOf(words, need));
        repack(bytes, wider, states.length, words, 1, need);
        const out = new Int32Array(words);
        states.forEach((s, i) => {
          unpack(wider, i * strideOf(words, need), need, out);
          expect(out).toEqual(s);
        });
      }),
    );
  });

  it("packStep of a state one step from a packed parent gives pack's words and width", () => {
    const step = fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: -(2 ** 20), max: 2 ** 20 }) }), { maxLength: 6 });
    fc.assert(
      fc.property(fc.oneof(state(8), state(16), state(32)), step, fc.nat(2), (parentState, writes, at) => {
        const width = widthOf(parentState);
        const stride = strideOf(parentState.length, width);
        const packed = new Int32Array((at + 1) * stride);
        pack(parentState, packed, at * stride, width);
        // The step writes its words as StateView.w() does: the new value in place, (offset, old value) in the log.
        const s = Int32Array.from(parentState);
        const log = new Int32Array(2 * writes.length);
        writes.forEach(({ at: w, value }, i) => {
          const off = w % s.length;
          log[2 * i] = off;
          log[2 * i + 1] = s[off]!;
          s[off] = value;
        });
        const parent = { states: packed, at: at * stride, width, view: { log, logged: log.length } };
        const got = new Int32Array(stride + 1);
        const needs = packStep(s, parent, got, 1, width);
        expect(needs).toBe(Math.max(width, widthOf(s)) as Width);
        if (needs > width) return;
        const want = new Int32Array(stride + 1);
        // The state fits the parent's width (pack() may say it needs less: the step narrowed it).
        expect(pack(s, want, 1, width)).toBeLessThanOrEqual(width);
        expect(got).toEqual(want);
        // At a width other than the parent's, it packs every word.
        const wide = new Int32Array(strideOf(s.length, 4));
        expect(packStep(s, parent, wide, 0, 4)).toBe(4);
        const wideWant = new Int32Array(strideOf(s.length, 4));
        pack(s, wideWant, 0, 4);
        expect(wide).toEqual(wideWant);
      }),
    );
  });
});
