/**
 * A breadth-first level as it is stored: chunks of fingerprints and states, back to back in
 * level positions, each chunk's states at its own packing (explorer/packed.ts).
 */
import { emptyPacking, interned, pack, packingOf, unpack, widen, type Packing, type Width } from "./packed.js";

/**
 * A run of a level's entries, stored together: each state's fingerprint (hi, lo) in `fps` and
 * its words in `states`, at the chunk's packing (explorer/packed.ts): the models' words are
 * mostly zero or small numbers, so a state takes about a byte a word in use.
 */
export interface LevelChunk {
  /** Level position of the first entry. */
  readonly first: number;
  readonly count: number;
  readonly fps: Int32Array;
  readonly states: Int32Array;
  readonly packing: Packing;
}

/** A level: its chunks in order, back to back in level positions. */
export interface LevelBuffer {
  readonly chunks: readonly LevelChunk[];
  readonly count: number;
}

export function levelBytes(level: LevelBuffer): number {
  return level.chunks.reduce((n, c) => n + c.fps.byteLength + c.states.byteLength, 0);
}

/** The index of the chunk holding level position `pos`. */
export function chunkOf(chunks: readonly LevelChunk[], pos: number): number {
  let lo = 0;
  let hi = chunks.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (chunks[mid]!.first <= pos) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * The packing of the level's last chunk: packings only widen as a level is written, so that one
 * holds every state of the level (a level's chunks come from one writer, explorer/level-writer.ts).
 */
export function widestPacking(level: LevelBuffer, words: number): Packing {
  const last = level.chunks[level.chunks.length - 1];
  return last ? interned(last.packing) : emptyPacking(words);
}

/** Copies entry i of the chunk's states into `out`. */
export function readState(chunk: LevelChunk, i: number, out: Int32Array): void {
  const p = interned(chunk.packing);
  unpack(p, chunk.states, i * p.stride, out);
}

export function newBuffer(bytes: number, shared: boolean): SharedArrayBuffer | ArrayBuffer {
  return shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
}

/** A level of one chunk: `count` entries of `words + 2` words each (hi, lo, state), as checkpoints keep them. */
export function levelFrom(entries: Int32Array, count: number, words: number, shared: boolean, least: Width = 0): LevelBuffer {
  const fps = new Int32Array(newBuffer(Math.max(1, 2 * count) * 4, shared));
  const widths = new Uint8Array(words).fill(least);
  for (let p = 0; p < count; p++) {
    const o = p * (words + 2);
    fps[2 * p] = entries[o]!;
    fps[2 * p + 1] = entries[o + 1]!;
    widen(widths, entries.subarray(o + 2, o + 2 + words));
  }
  const packing = packingOf(widths);
  const stride = packing.stride;
  const states = new Int32Array(newBuffer(Math.max(1, count * stride) * 4, shared));
  for (let p = 0; p < count; p++) pack(packing, entries.subarray(p * (words + 2) + 2, (p + 1) * (words + 2)), states, p * stride);
  return { chunks: [{ first: 0, count, fps, states, packing }], count };
}

