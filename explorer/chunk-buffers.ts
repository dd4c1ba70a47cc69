/** Memory for level chunks, reused from level to level. */
import { newBuffer, type LevelBuffer } from "./level.js";

/**
 * The buffers of a search's level chunks (shared memory when workers read them). A dropped
 * level's full-size chunk buffers are kept and handed to the next level's chunks: a fresh
 * buffer is zeroed page by page as it is first written, about 2 µs a 4 KiB page on this
 * machine's VM, 4% of the peer model's search at N = 8.
 */
export class ChunkBuffers {
  private free = new Map<number, (SharedArrayBuffer | ArrayBuffer)[]>();
  /** Sizes of the buffers kept when a level is dropped: the chunks LevelWriter.push fills. */
  private readonly kept = new Set<number>();
  private held = 0;

  constructor(readonly shared: boolean) {}

  /** Bytes held for reuse. */
  get bytes(): number {
    return this.held;
  }

  /**
   * A buffer of at least `bytes` (bufferClass(bytes)); one of a size that `reused` marks is
   * kept when its level is dropped.
   */
  take(bytes: number, reused = false): SharedArrayBuffer | ArrayBuffer {
    const size = bufferClass(bytes);
    if (reused) this.kept.add(size);
    const b = this.free.get(size)?.pop();
    if (!b) return newBuffer(size, this.shared);
    this.held -= size;
    return b;
  }

  /**
   * The level is dropped: its chunks' buffers of the sizes kept are kept for take(), up to
   * `most` bytes held in all (about what the next level will need: more would only raise the
   * search's peak as levels shrink). The level's own come first, then those held from before,
   * and the rest are dropped: a buffer of a size no level takes any more, kept first, had held
   * the room for good (alloc-instantiate-race, 2,066 levels of a chunk each: a 512 KiB buffer
   * allocated and zeroed at every level, 1 GB in all, 5% of its search and 13% on shared memory).
   */
  release(level: LevelBuffer, most: number): void {
    const before = this.free;
    this.free = new Map();
    this.held = 0;
    for (const c of level.chunks) for (const b of [c.fps.buffer, c.states.buffer]) this.keep(b, most);
    for (const list of before.values()) for (const b of list) this.keep(b, most);
  }

  private keep(b: SharedArrayBuffer | ArrayBuffer, most: number): void {
    if (!this.kept.has(b.byteLength) || this.held + b.byteLength > most) return;
    const list = this.free.get(b.byteLength);
    if (list) list.push(b);
    else this.free.set(b.byteLength, [b]);
    this.held += b.byteLength;
  }
}


/**
 * The size a buffer of `bytes` is made at: up to 64 KiB that, above it the next multiple of an
 * eighth of the power of two below. A level's chunks are packed a word or two wider as the
 * search goes (explorer/packed.ts), each width a size of its own: split-unmap-xl's chunks came
 * in 28 sizes, and few buffers a level dropped fitted a chunk of the next (53 MB allocated and
 * zeroed for a 13 MB peak). In classes, they do, at most an eighth more memory a chunk.
 */
export function bufferClass(bytes: number): number {
  if (bytes <= 1 << 16) return bytes;
  const step = 2 ** (Math.floor(Math.log2(bytes - 1)) - 3);
  return Math.ceil(bytes / step) * step;
}
