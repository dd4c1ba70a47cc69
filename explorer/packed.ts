/**
 * States packed word by word at the width each word needs: none for a word that has been 0 in
 * every state packed so far, a byte, two bytes or four. A packing (the widths of every word) is
 * widened as states need it and is never narrowed; a chunk of a level keeps the packing its
 * states were written at. The models' states are mostly zero words (objects not in use) and
 * small numbers, with a few bit sets or counters wider than the rest: a state then takes a byte
 * or so per word in use instead of its widest word's width times every word (split-unmap-xl:
 * 338 words, a few of them 17-bit flags).
 *
 * A state packed takes, in order: its 4-byte words one a 32-bit word, its 2-byte words two a
 * 32-bit word, its 1-byte words four a 32-bit word, each group in word order. When that saves
 * little (a state whose words are nearly all in use and alike: the peer model's), every word
 * takes the widest width instead, in word order: a uniform packing, copied four, two or one
 * words at a time, the fastest to pack and unpack.
 */
export type Width = 0 | 1 | 2 | 4;

/**
 * The widths of a state's words and where each goes. Plain data, so that a chunk's packing
 * crosses to the pool's threads with it (structured clone); each thread interns what it gets
 * (interned()), so that one packing is one object in a thread and packings compare by identity.
 */
export interface Packing {
  readonly words: number;
  /** The width each word needs (the packing's identity). */
  readonly needs: Uint8Array;
  /** The needs as a string: the packing's name in the intern table. */
  readonly key: string;
  /** The width of every word in a uniform packing; 0 for one packed word by word. */
  readonly uniform: Width;
  /** The width each word is stored at. */
  readonly widths: Uint8Array;
  /** 32-bit words a state takes. */
  readonly stride: number;
  /** Per word: its 32-bit word in the state's packing << 5 | its bit shift there; −1 for a word of width 0. */
  readonly where: Int32Array;
  /** The words of each width, in word order. */
  readonly w4: Int32Array;
  readonly w2: Int32Array;
  readonly w1: Int32Array;
  readonly w0: Int32Array;
}

const table = new Map<string, Packing>();
/**
 * Packings kept at most: a sweep's thousands of searches would otherwise keep every one they
 * met. Emptying the table is safe: identity is only a fast path (packStep, LevelWriter.append),
 * a packing made again is equal to the old one.
 */
const TABLE_MOST = 1024;

/** 32-bit words of a state of `words` words all at `width`. */
function uniformStride(words: number, width: Width): number {
  return (words * width + 3) >> 2;
}

/** The packing of words that need these widths, one object per thread for equal needs. */
export function packingOf(needs: Uint8Array): Packing {
  const key = String.fromCharCode.apply(null, needs as unknown as number[]);
  const known = table.get(key);
  if (known) return known;
  // Plain loops: a sweep makes thousands of packings, one for each width a small search's states reach.
  const counts = [0, 0, 0, 0, 0];
  let widest: Width = 1;
  for (let w = 0; w < needs.length; w++) {
    const x = needs[w]! as Width;
    counts[x]!++;
    if (x > widest) widest = x;
  }
  const mixed = counts[4]! + ((counts[2]! + 1) >> 1) + ((counts[1]! + 3) >> 2);
  // Word by word only when it takes a fifth fewer bytes than every word at the widest width.
  const uniform = 5 * mixed > 4 * uniformStride(needs.length, widest) ? widest : 0;
  if (uniform && counts[uniform] !== needs.length) {
    // A uniform packing says every word needs its width: it stays uniform, and widens only for a wider word.
    const same = packingOf(new Uint8Array(needs.length).fill(uniform));
    table.set(key, same);
    return same;
  }
  const widths = Uint8Array.from(needs);
  const byWidth = [new Int32Array(counts[0]!), new Int32Array(counts[1]!), new Int32Array(counts[2]!), undefined, new Int32Array(counts[4]!)] as const;
  const filled = [0, 0, 0, 0, 0];
  for (let w = 0; w < widths.length; w++) byWidth[widths[w]!]![filled[widths[w]!]!++] = w;
  const [w0, w1, w2, , w4] = byWidth;
  const where = new Int32Array(widths.length).fill(-1);
  for (let j = 0; j < w4.length; j++) where[w4[j]!] = j << 5;
  const base2 = w4.length;
  for (let j = 0; j < w2.length; j++) where[w2[j]!] = ((base2 + (j >> 1)) << 5) | ((j & 1) << 4);
  const base1 = base2 + ((w2.length + 1) >> 1);
  for (let j = 0; j < w1.length; j++) where[w1[j]!] = ((base1 + (j >> 2)) << 5) | ((j & 3) << 3);
  const stride = base1 + ((w1.length + 3) >> 2);
  const p: Packing = { words: needs.length, needs: Uint8Array.from(needs), key, uniform, widths, stride, where, w4, w2, w1, w0 };
  if (table.size >= TABLE_MOST) table.clear();
  table.set(key, p);
  return p;
}

/** This thread's object for a packing that may have come from another thread. */
export function interned(p: Packing): Packing {
  return table.get(p.key) ?? packingOf(p.needs);
}

/** The packing of `words` words all of width 0: where a search starts. */
export function emptyPacking(words: number): Packing {
  return packingOf(new Uint8Array(words));
}

function widthOfValue(v: number): Width {
  if (v === 0) return 0;
  const bits = v ^ (v >> 31);
  return bits < 0x80 ? 1 : bits < 0x8000 ? 2 : 4;
}

/** Widens `needs` as far as `state`'s words need. */
export function widen(needs: Uint8Array, state: Int32Array): void {
  for (let w = 0; w < needs.length; w++) needs[w] = Math.max(needs[w]!, widthOfValue(state[w]!));
}

/** `p` widened as far as `state`'s words need. */
export function widened(p: Packing, state: Int32Array): Packing {
  const needs = Uint8Array.from(p.needs);
  widen(needs, state);
  return packingOf(needs);
}

/** The narrowest packing that holds what `a` and `b` hold. */
export function joined(a: Packing, b: Packing): Packing {
  if (a === b) return a;
  return packingOf(Uint8Array.from(a.needs, (w, i) => Math.max(w, b.needs[i]!)));
}

/** Whether every word of `a` fits `b`'s width for it. */
export function within(a: Packing, b: Packing): boolean {
  if (a === b) return true;
  for (let w = 0; w < a.words; w++) if (a.needs[w]! > b.needs[w]!) return false;
  return true;
}

/** Whether every word of `state` fits what packing `p` says it needs. */
function fits(p: Packing, state: Int32Array): boolean {
  const needs = p.needs;
  for (let w = 0; w < state.length; w++) if (widthOfValue(state[w]!) > needs[w]!) return false;
  return true;
}

/**
 * Packs `state` at packing `p` into `dst` from `o`; false if a word does not fit its width
 * (what was written is then wrong, and the state must be packed at a wider packing).
 */
export function pack(p: Packing, state: Int32Array, dst: Int32Array, o: number): boolean {
  if (p.uniform) {
    packUniform(state, dst, o, p.uniform);
    return fits(p, state);
  }
  let k = o;
  const { w4, w2, w1, w0 } = p;
  for (let j = 0; j < w4.length; j++) dst[k++] = state[w4[j]!]!;
  let bits2 = 0;
  const full2 = w2.length & ~1;
  for (let j = 0; j < full2; j += 2) {
    const a = state[w2[j]!]!;
    const b = state[w2[j + 1]!]!;
    bits2 |= (a ^ (a >> 31)) | (b ^ (b >> 31));
    dst[k++] = (a & 0xffff) | (b << 16);
  }
  if (full2 < w2.length) {
    const a = state[w2[full2]!]!;
    bits2 |= a ^ (a >> 31);
    dst[k++] = a & 0xffff;
  }
  let bits1 = 0;
  const full1 = w1.length & ~3;
  for (let j = 0; j < full1; j += 4) {
    const a = state[w1[j]!]!;
    const b = state[w1[j + 1]!]!;
    const c = state[w1[j + 2]!]!;
    const d = state[w1[j + 3]!]!;
    bits1 |= (a ^ (a >> 31)) | (b ^ (b >> 31)) | (c ^ (c >> 31)) | (d ^ (d >> 31));
    dst[k++] = (a & 0xff) | ((b & 0xff) << 8) | ((c & 0xff) << 16) | (d << 24);
  }
  if (full1 < w1.length) {
    let x = 0;
    for (let j = full1; j < w1.length; j++) {
      const v = state[w1[j]!]!;
      bits1 |= v ^ (v >> 31);
      x |= (v & 0xff) << (8 * (j - full1));
    }
    dst[k] = x;
  }
  let zero = 0;
  for (let j = 0; j < w0.length; j++) zero |= state[w0[j]!]!;
  return bits2 < 0x8000 && bits1 < 0x80 && zero === 0;
}

/** Every word of `state` at `width`, in word order, four, two or one a 32-bit word. */
function packUniform(state: Int32Array, dst: Int32Array, o: number, width: Width): void {
  const words = state.length;
  if (width === 1) {
    const full = words & ~3;
    let k = o;
    for (let w = 0; w < full; w += 4) dst[k++] = (state[w]! & 0xff) | ((state[w + 1]! & 0xff) << 8) | ((state[w + 2]! & 0xff) << 16) | (state[w + 3]! << 24);
    if (full < words) {
      let x = 0;
      for (let w = full; w < words; w++) x |= (state[w]! & 0xff) << (8 * (w - full));
      dst[k] = x;
    }
  } else if (width === 2) {
    const full = words & ~1;
    let k = o;
    for (let w = 0; w < full; w += 2) dst[k++] = (state[w]! & 0xffff) | (state[w + 1]! << 16);
    if (full < words) dst[k] = state[full]! & 0xffff;
  } else for (let w = 0; w < words; w++) dst[o + w] = state[w]!;
}

/**
 * Unpacks the state packed at `p` in `src` from `o` into `out`. `zeroed`: out's words of width
 * 0 at `p` are 0 already (out holds a state packed at `p`, as a search's state buffer does
 * from one parent to the next of a chunk), so only the others are written.
 */
export function unpack(p: Packing, src: Int32Array, o: number, out: Int32Array, zeroed = false): void {
  if (p.uniform) return unpackUniform(src, o, p.uniform, out);
  if (!zeroed) out.fill(0);
  let k = o;
  const { w4, w2, w1 } = p;
  for (let j = 0; j < w4.length; j++) out[w4[j]!] = src[k++]!;
  const full2 = w2.length & ~1;
  for (let j = 0; j < full2; j += 2) {
    const x = src[k++]!;
    out[w2[j]!] = (x << 16) >> 16;
    out[w2[j + 1]!] = x >> 16;
  }
  if (full2 < w2.length) out[w2[full2]!] = (src[k++]! << 16) >> 16;
  const full1 = w1.length & ~3;
  for (let j = 0; j < full1; j += 4) {
    const x = src[k++]!;
    out[w1[j]!] = (x << 24) >> 24;
    out[w1[j + 1]!] = (x << 16) >> 24;
    out[w1[j + 2]!] = (x << 8) >> 24;
    out[w1[j + 3]!] = x >> 24;
  }
  if (full1 < w1.length) {
    const x = src[k]!;
    for (let j = full1; j < w1.length; j++) out[w1[j]!] = (x << (24 - 8 * (j - full1))) >> 24;
  }
}

function unpackUniform(src: Int32Array, o: number, width: Width, out: Int32Array): void {
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
  } else for (let w = 0; w < words; w++) out[w] = src[o + w]!;
}

/** The first `count` states of `src`, packed at `from`, packed again at `to` (which holds them) into `dst`. */
export function repack(src: Int32Array, dst: Int32Array, count: number, from: Packing, to: Packing): void {
  const s = new Int32Array(from.words);
  for (let i = 0; i < count; i++) {
    unpack(from, src, i * from.stride, s);
    pack(to, s, dst, i * to.stride);
  }
}

/**
 * repack() within one array, from `from` to `to`, each state unpacked into `scratch` before
 * its new place is written. A wider packing may take fewer words (its width groups round up
 * otherwise: a byte word widened to 16 bits pairs with an odd 16-bit one), so the order
 * follows the strides: with a longer stride each state's new place lies at or
 * after its old one, and the last is moved first; with a shorter one, at or before, and the
 * first is moved first. Either way a state's new place covers only old places already moved.
 */
export function repackInPlace(states: Int32Array, count: number, from: Packing, to: Packing, scratch: Int32Array): void {
  const move = (i: number) => {
    unpack(from, states, i * from.stride, scratch);
    pack(to, scratch, states, i * to.stride);
  };
  if (to.stride >= from.stride) for (let i = count - 1; i >= 0; i--) move(i);
  else for (let i = 0; i < count; i++) move(i);
}

/**
 * Where a state stepped from: its parent's packed words (`states` from `at`, at `packing`) and
 * the stepping view, whose log lists the words the step wrote (model/state-view.ts).
 */
export interface PackedParent {
  states: Int32Array;
  at: number;
  packing: Packing;
  readonly view: { readonly log: Int32Array; readonly logged: number };
}

/**
 * pack() for a state one step from `parent`, into `dst` from `o` at `p`. At the parent's
 * packing: the parent's packed words copied, then the words the step wrote packed over them. A
 * step writes a few words of a state, so this is a fraction of packing every word. At another
 * packing, pack(). False, as pack() says, if a word written does not fit (the words not written
 * fit the parent's packing already).
 */
export function packStep(state: Int32Array, parent: PackedParent, dst: Int32Array, o: number, p: Packing): boolean {
  if (parent.packing !== p) return pack(p, state, dst, o);
  const src = parent.states;
  const at = parent.at;
  const stride = p.stride;
  for (let k = 0; k < stride; k++) dst[o + k] = src[at + k]!;
  const { log, logged } = parent.view;
  if (p.uniform) return stepUniform(state, log, logged, dst, o, p.uniform);
  const { needs, widths, where } = p;
  for (let i = 0; i < logged; i += 2) {
    const off = log[i]!;
    const v = state[off]!;
    const need = needs[off]!;
    if (need === 0 ? v !== 0 : need !== 4 && (v ^ (v >> 31)) > (need === 1 ? 0x7f : 0x7fff)) return false;
    const width = widths[off]!;
    if (width === 4) dst[o + (where[off]! >> 5)] = v;
    else if (width !== 0) {
      const x = where[off]!;
      const k = o + (x >> 5);
      const shift = x & 31;
      const mask = width === 1 ? 0xff : 0xffff;
      dst[k] = (dst[k]! & ~(mask << shift)) | ((v & mask) << shift);
    }
  }
  return true;
}

/** packStep's words written, at a uniform packing of `width`. */
function stepUniform(state: Int32Array, log: Int32Array, logged: number, dst: Int32Array, o: number, width: Width): boolean {
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
  return width === 4 || bits < (width === 1 ? 0x80 : 0x8000);
}
