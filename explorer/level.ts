/**
 * A breadth-first level as it is stored: chunks of fingerprints and states, back to back in
 * level positions, each chunk's states packed at its own width (explorer/packed.ts).
 */
import { pack, strideOf, unpack, widthOf, type Width } from "./packed.js";

/**
 * A run of a level's entries, stored together: each state's fingerprint (hi, lo) in `fps` and
 * its words in `states`, packed at the chunk's width (explorer/packed.ts). The models' words
 * are small numbers, so most chunks take a byte a word.
 */
export interface LevelChunk {
  /** Level position of the first entry. */
  readonly first: number;
  readonly count: number;
  readonly fps: Int32Array;
  readonly states: Int32Array;
  readonly width: Width;
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

/** Copies entry i of the chunk's states into `out`. */
export function readState(chunk: LevelChunk, i: number, out: Int32Array): void {
  unpack(chunk.states, i * strideOf(out.length, chunk.width), chunk.width, out);
}

export function newBuffer(bytes: number, shared: boolean): SharedArrayBuffer | ArrayBuffer {
  return shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
}

/** A level of one chunk: `count` entries of `words + 2` words each (hi, lo, state), as checkpoints keep them. */
export function levelFrom(entries: Int32Array, count: number, words: number, shared: boolean): LevelBuffer {
  const fps = new Int32Array(newBuffer(Math.max(1, 2 * count) * 4, shared));
  let width: Width = 1;
  for (let p = 0; p < count; p++) {
    const o = p * (words + 2);
    fps[2 * p] = entries[o]!;
    fps[2 * p + 1] = entries[o + 1]!;
    width = Math.max(width, widthOf(entries.subarray(o + 2, o + 2 + words))) as Width;
  }
  const stride = strideOf(words, width);
  const states = new Int32Array(newBuffer(Math.max(1, count * stride) * 4, shared));
  for (let p = 0; p < count; p++) pack(entries.subarray(p * (words + 2) + 2, (p + 1) * (words + 2)), states, p * stride, width);
  return { chunks: [{ first: 0, count, fps, states, width }], count };
}

