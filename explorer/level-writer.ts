/** The next level, written entry by entry (explorer/direct.ts). */
import type { ChunkBuffers } from "./chunk-buffers.js";
import { levelBytes, type LevelBuffer, type LevelChunk } from "./level.js";
import { pack, packStep, repack, strideOf, unpack, type PackedParent, type Width } from "./packed.js";

/**
 * Writes a level entry by entry, in chunks of `capacity` entries, each chunk's states at the
 * narrowest width that holds all of them (explorer/direct.ts builds the next level with it).
 */
export class LevelWriter {
  readonly chunks: LevelChunk[] = [];
  count = 0;
  private fps: Int32Array = new Int32Array(0);
  private states: Int32Array = new Int32Array(0);
  private width: Width = 1;
  /** Whether a chunk is being pushed to, and its entries. */
  private open = false;
  private n = 0;
  /** A state unpacked on its way to another width. */
  private readonly scratch: Int32Array;

  constructor(
    private readonly words: number,
    private readonly capacity: number,
    private readonly buffers: ChunkBuffers,
  ) {
    this.scratch = new Int32Array(words);
  }

  /** Bytes held: the chunks written and the one being written. */
  get bytes(): number {
    return levelBytes(this) + (this.open ? this.fps.byteLength + this.states.byteLength : 0);
  }

  /** Calls `f` with each entry's fingerprint, the chunk being written included. */
  forEachFingerprint(f: (hi: number, lo: number) => void): void {
    for (const c of this.chunks) for (let i = 0; i < c.count; i++) f(c.fps[2 * i]!, c.fps[2 * i + 1]!);
    if (this.open) for (let i = 0; i < this.n; i++) f(this.fps[2 * i]!, this.fps[2 * i + 1]!);
  }

  /** Appends a state stepped from `parent`. */
  push(hi: number, lo: number, state: Int32Array, parent: PackedParent): void {
    if (!this.open || this.n === this.capacity) this.start();
    this.fps[2 * this.n] = hi;
    this.fps[2 * this.n + 1] = lo;
    const words = this.words;
    const at = this.n * strideOf(words, this.width);
    const width = packStep(state, parent, this.states, at, this.width);
    if (width > this.width) {
      this.widen(width);
      pack(state, this.states, this.n * strideOf(words, width), width);
    }
    this.n++;
    this.count++;
  }

  /**
   * Appends the candidates `kept[0…n)` of a chunk of candidates: their fingerprints from `meta`
   * ([key, hi, lo] each) and their states from `states`, packed at `width`.
   */
  append(meta: Int32Array, states: Int32Array, width: Width, kept: Int32Array, n: number): void {
    const words = this.words;
    const from = strideOf(words, width);
    for (let j = 0; j < n; ) {
      if (!this.open || this.n === this.capacity) this.start();
      if (width > this.width) this.widen(width);
      // A run of candidates kept one after another, as far as the chunk has room, is copied in one.
      let run = 1;
      while (j + run < n && this.n + run < this.capacity && kept[j + run] === kept[j]! + run) run++;
      const i = kept[j]!;
      for (let r = 0; r < run; r++) {
        this.fps[2 * (this.n + r)] = meta[3 * (i + r) + 1]!;
        this.fps[2 * (this.n + r) + 1] = meta[3 * (i + r) + 2]!;
      }
      if (width === this.width) this.states.set(states.subarray(i * from, (i + run) * from), this.n * from);
      else
        for (let r = 0; r < run; r++) {
          unpack(states, (i + r) * from, width, this.scratch);
          pack(this.scratch, this.states, (this.n + r) * strideOf(words, this.width), this.width);
        }
      this.n += run;
      this.count += run;
      j += run;
    }
  }

  /** Packs the open chunk's states again at the wider `width`. */
  private widen(width: Width): void {
    const wider = new Int32Array(this.buffers.take(this.capacity * strideOf(this.words, width) * 4, true));
    repack(this.states, wider, this.n, this.words, this.width, width);
    this.states = wider;
    this.width = width;
  }

  /** The entries in sealed chunks, which stay as they are: all but the chunk being pushed to. */
  sealed(): LevelBuffer {
    return { chunks: this.chunks, count: this.open ? this.count - this.n : this.count };
  }

  /** The level written. */
  finish(): LevelBuffer {
    this.seal();
    return { chunks: this.chunks, count: this.count };
  }

  /**
   * Starts a chunk to push to, at the width the last one reached: a model's states keep their
   * width from level to level, and a chunk started narrower is packed twice and widened at once.
   */
  private start(): void {
    this.seal();
    this.fps = new Int32Array(this.buffers.take(this.capacity * 8, true));
    this.states = new Int32Array(this.buffers.take(this.capacity * strideOf(this.words, this.width) * 4, true));
    this.n = 0;
    this.open = true;
  }

  /** Ends the chunk being pushed to, if any. */
  private seal(): void {
    if (this.open && this.n > 0) this.chunks.push({ first: this.count - this.n, count: this.n, fps: this.fps, states: this.states, width: this.width });
    this.open = false;
  }
}

