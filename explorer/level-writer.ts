/** The next level, written entry by entry (explorer/direct.ts). */
import type { ChunkBuffers } from "./chunk-buffers.js";
import { levelBytes, type LevelBuffer, type LevelChunk } from "./level.js";
import { interned, joined, pack, packStep, repack, repackInPlace, unpack, widened, within, type PackedParent, type Packing } from "./packed.js";

/**
 * Writes a level entry by entry, in chunks of `capacity` entries, each chunk's states at a
 * packing that holds all of them (explorer/direct.ts builds the next level with it).
 */
export class LevelWriter {
  readonly chunks: LevelChunk[] = [];
  count = 0;
  private fps: Int32Array = new Int32Array(0);
  private states: Int32Array = new Int32Array(0);
  private packing: Packing;
  /** Whether a chunk is being pushed to, and its entries. */
  private open = false;
  private n = 0;
  /** A state unpacked on its way to another packing. */
  private readonly scratch: Int32Array;

  /** `packing`: the one to start at, the widest of the level before (a level's states are much like its parents'). */
  constructor(
    packing: Packing,
    private readonly capacity: number,
    private readonly buffers: ChunkBuffers,
  ) {
    this.scratch = new Int32Array(packing.words);
    this.packing = interned(packing);
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
    if (!packStep(state, parent, this.states, this.n * this.packing.stride, this.packing)) {
      this.widen(widened(this.packing, state));
      pack(this.packing, state, this.states, this.n * this.packing.stride);
    }
    this.n++;
    this.count++;
  }

  /**
   * Appends the candidates `kept[0…n)` of a chunk of candidates: their fingerprints from `meta`
   * ([key, hi, lo] each) and their states from `states`, at `packing` (perhaps another thread's).
   */
  append(meta: Int32Array, states: Int32Array, packing: Packing, kept: Int32Array, n: number): void {
    const p = interned(packing);
    const from = p.stride;
    for (let j = 0; j < n; ) {
      if (!this.open || this.n === this.capacity) this.start();
      if (!within(p, this.packing)) this.widen(joined(this.packing, p));
      // A run of candidates kept one after another, as far as the chunk has room, is copied in one.
      let run = 1;
      while (j + run < n && this.n + run < this.capacity && kept[j + run] === kept[j]! + run) run++;
      const i = kept[j]!;
      for (let r = 0; r < run; r++) {
        this.fps[2 * (this.n + r)] = meta[3 * (i + r) + 1]!;
        this.fps[2 * (this.n + r) + 1] = meta[3 * (i + r) + 2]!;
      }
      if (p === this.packing) this.states.set(states.subarray(i * from, (i + run) * from), this.n * from);
      else
        for (let r = 0; r < run; r++) {
          unpack(p, states, (i + r) * from, this.scratch);
          pack(this.packing, this.scratch, this.states, (this.n + r) * this.packing.stride);
        }
      this.n += run;
      this.count += run;
      j += run;
    }
  }

  /**
   * Packs the open chunk's states again at the wider `packing`: in their buffer when it has
   * room for a chunk at that packing (buffers come in size classes, explorer/chunk-buffers.ts),
   * else into a new one.
   */
  private widen(packing: Packing): void {
    if (this.states.length >= this.capacity * packing.stride) repackInPlace(this.states, this.n, this.packing, packing, this.scratch);
    else {
      const wider = new Int32Array(this.buffers.take(this.statesBytes(packing), true));
      repack(this.states, wider, this.n, this.packing, packing);
      this.states = wider;
    }
    this.packing = packing;
  }

  /** Bytes of a chunk's states at `packing`. */
  private statesBytes(packing: Packing): number {
    return Math.max(1, this.capacity * packing.stride) * 4;
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
   * Starts a chunk to push to, at the packing the last one reached: a model's states keep their
   * widths from level to level, and a chunk started narrower is packed twice and widened at once.
   */
  private start(): void {
    this.seal();
    this.fps = new Int32Array(this.buffers.take(this.capacity * 8, true));
    this.states = new Int32Array(this.buffers.take(this.statesBytes(this.packing), true));
    this.n = 0;
    this.open = true;
  }

  /** Ends the chunk being pushed to, if any. */
  private seal(): void {
    if (this.open && this.n > 0) this.chunks.push({ first: this.count - this.n, count: this.n, fps: this.fps, states: this.states, packing: this.packing });
    this.open = false;
  }
}

