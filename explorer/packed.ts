/**
 * States packed into 32-bit words: a byte, two bytes or four a state word (the width). The
 * models' words are mostly small numbers, so a level's states take a byte a word; moving four
 * of them in one 32-bit access is what keeps the copies into and out of a level cheap.
 */
export type Width = 1 | 2 | 4;

/** 32-bit words that a state of `words` words takes at `width`. */
export function strideOf(words: number, width: Width): number {
  return (words * width + 3) >> 2;
}

function widthOfBits(bits: number): Width {
  return bits < 0x80 ? 1 : bits < 0x8000 ? 2 : 4;
}

/** The narrowest width that holds every word of `state`. */
export function widthOf(state: Int32Array): Width {
  let bits = 0;
  for (let w = 0; w < state.length; w++) bits |= state[w]! ^ (state[w]! >> 31);
  return widthOfBits(bits);
}

/**
 * Packs `state` at `width` into `dst` from `o`, and returns the width it needs: if that is
 * more than `width`, what was written is wrong and the state must be packed wider.
 */
export function pack(state: Int32Array, dst: Int32Array, o: number, width: Width): Width {
  const words = state.length;
  let bits = 0;
  if (width === 1) {
    const full = words & ~3;
    let k = o;
    for (let w = 0; w < full; w += 4) {
      const a = state[w]!;
      const b = state[w + 1]!;
      const c = state[w + 2]!;
      const d = state[w + 3]!;
      bits |= (a ^ (a >> 31)) | (b ^ (b >> 31)) | (c ^ (c >> 31)) | (d ^ (d >> 31));
      dst[k++] = (a & 0xff) | ((b & 0xff) << 8) | ((c & 0xff) << 16) | (d << 24);
    }
    if (full < words) {
      let x = 0;
      for (let w = full; w < words; w++) {
        const v = state[w]!;
        bits |= v ^ (v >> 31);
        x |= (v & 0xff) << (8 * (w - full));
      }
      dst[k] = x;
    }
  } else if (width === 2) {
    const full = words & ~1;
    let k = o;
    for (let w = 0; w < full; w += 2) {
      const a = state[w]!;
      const b = state[w + 1]!;
      bits |= (a ^ (a >> 31)) | (b ^ (b >> 31));
      dst[k++] = (a & 0xffff) | (b << 16);
    }
    if (full < words) {
      const v = state[full]!;
      bits |= v ^ (v >> 31);
      dst[k] = v & 0xffff;
    }
  } else {
    for (let w = 0; w < words; w++) dst[o + w] = state[w]!;
    return 4;
  }
  return widthOfBits(bits);
}

/** Unpacks the state packed at `width` in `src` from `o` into `out` (out.length words). */
export function unpack(src: Int32Array, o: number, width: Width, out: Int32Array): void {
  const words = out.length;
  if (width === 1) {
    const full = words & ~3;
    let k = o;
    for (let w = 0; w < full; w += 4) {
      const x = src[k++]!;
      out[w] = (x << 24) >> 24;
      out[w + 1] = (x << 16) >> 24;
      out[w + 2] = (x << 8) >> 24;
      out[w + 3] = x >> 24;
    }
    if (full < words) {
      const x = src[k]!;
      for (let w = full; w < words; w++) out[w] = (x << (24 - 8 * (w - full))) >> 24;
    }
  } else if (width === 2) {
    const full = words & ~1;
    let k = o;
    for (let w = 0; w < full; w += 2) {
      const x = src[k++]!;
      out[w] = (x << 16) >> 16;
      out[w + 1] = x >> 16;
    }
    if (full < words) out[full] = (src[k]! << 16) >> 16;
  } else {
    for (let w = 0; w < words; w++) out[w] = src[o + w]!;
  }
}

/** The first `count` states of `src`, packed at `from`, packed again at the wider `to` into `dst`. */
export function repack(src: Int32Array, dst: Int32Array, count: number, words: number, from: Width, to: Width): void {
  const s = new Int32Array(words);
  const a = strideOf(words, from);
  const b = strideOf(words, to);
  for (let i = 0; i < count; i++) {
    unpack(src, i * a, from, s);
    pack(s, dst, i * b, to);
  }
}

/**
 * Where a state stepped from: its parent's packed words (`states` from `at`, at `width`) and the
 * stepping view, whose log lists the words the step wrote (model/state-view.ts).
 */
export interface PackedParent {
  states: Int32Array;
  at: number;
  width: Width;
  readonly view: { readonly log: Int32Array; readonly logged: number };
}

/**
 * pack() for a state one step from `parent`, into `dst` from `o` at `width`. At the parent's
 * width: the parent's packed words copied, then the words the step wrote packed over them. A
 * step writes a few words of a state, so this is a fraction of packing every word. At another
 * width, pack(). Returns the width the state needs, as pack() does: the words not written fit
 * the parent's width already.
 */
export function packStep(state: Int32Array, parent: PackedParent, dst: Int32Array, o: number, width: Width): Width {
  if (parent.width !== width) return pack(state, dst, o, width);
  const src = parent.states;
  const at = parent.at;
  const stride = strideOf(state.length, width);
  for (let k = 0; k < stride; k++) dst[o + k] = src[at + k]!;
  const { log, logged } = parent.view;
  let bits = 0;
  for (let i = 0; i < logged; i += 2) {
    const off = log[i]!;
    const v = state[off]!;
    bits |= v ^ (v >> 31);
    if (width === 1) {
      const k = o + (off >> 2);
      const shift = (off & 3) << 3;
      dst[k] = (dst[k]! & ~(0xff << shift)) | ((v & 0xff) << shift);
    } else if (width === 2) {
      const k = o + (off >> 1);
      const shift = (off & 1) << 4;
      dst[k] = (dst[k]! & ~(0xffff << shift)) | ((v & 0xffff) << shift);
    } else dst[o + off] = v;
  }
  const needs = widthOfBits(bits);
  return needs > width ? needs : width;
}
