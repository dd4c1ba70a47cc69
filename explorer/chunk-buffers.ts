/** Memory for level chunks, reused from level to level. */
import { newBuffer, type LevelBuffer } from "./level.js";

/**
 * The buffers of a search's level chunks (shared memory when workers read them). A dropped
 * level's full-size chunk buffers are kept and handed to the next level's chunks: a fresh
 * buffer is zeroed page by page as it is first written, about 2 µs a 4 KiB page on this
 * machine's VM, 4% of the peer model's search at N = 8.
 */
export class ChunkBuffers {
  private readonly free = new Map<number, (SharedArrayBuffer | ArrayBuffer)[]>();
  /** Sizes of the buffers kept when a level is dropped: the chunks LevelWriter.push fills. */
  private readonly kept = new Set<number>();
  private held = 0;

  constructor(readonly shared: boolean) {}

  /** Bytes held for reuse. */
  get bytes(): number {
    return this.held;
  }

  /** A buffer of `bytes`; one of a size that `reused` marks is kept when its level is dropped. */
  take(bytes: number, reused = false): SharedArrayBuffer | ArrayBuffer {
    if (reused) this.kept.add(bytes);
    const b = this.free.get(bytes)?.pop();
    if (!b) return newBuffer(bytes, this.shared);
    this.held -= bytes;
    return b;
  }

  /**
   * The level is dropped: its chunks' buffers of the sizes kept are kept for take(), up to
   * `most` bytes held in all (about what the next level will need: more would only raise the
   * search's peak as levels shrink).
   */
  release(level: LevelBuffer, most: number): void {
    for (const c of level.chunks)
      for (const b of [c.fps.buffer, c.states.buffer]) {
        if (!this.kept.has(b.byteLength) || this.held + b.byteLength > most) continue;
        const list = this.free.get(b.byteLength);
        if (list) list.push(b);
        else this.free.set(b.byteLength, [b]);
        this.held += b.byteLength;
      }
  }
}

