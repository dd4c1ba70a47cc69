import { describe, expect, it } from "vitest";
import { ChunkBuffers } from "../../explorer/chunk-buffers.js";
import type { LevelBuffer } from "../../explorer/level.js";
import { emptyPacking } from "../../explorer/packed.js";

const KIB = 1024;

/** A level of one chunk whose fingerprints and states are the buffers given. */
function levelOf(fps: ArrayBufferLike, states: ArrayBufferLike): LevelBuffer {
  return { chunks: [{ first: 0, count: 1, fps: new Int32Array(fps), states: new Int32Array(states), packing: emptyPacking(1) }], count: 1 };
}

describe("ChunkBuffers", () => {
  it("hands a dropped level's buffers to the next chunks of their sizes", () => {
    const buffers = new ChunkBuffers(false);
    const fps = buffers.take(32 * KIB, true);
    const states = buffers.take(512 * KIB, true);
    buffers.release(levelOf(fps, states), 544 * KIB);
    expect(buffers.bytes).toBe(544 * KIB);
    expect(buffers.take(512 * KIB, true)).toBe(states);
    expect(buffers.take(32 * KIB, true)).toBe(fps);
    expect(buffers.bytes).toBe(0);
  });

  it("keeps the dropped level's buffers before those of a size taken earlier, within what the next level needs", () => {
    const buffers = new ChunkBuffers(false);
    // A level's states at a narrower packing, then the wider one every later level takes.
    const fps = buffers.take(32 * KIB, true);
    buffers.release(levelOf(fps, buffers.take(160 * KIB, true)), 192 * KIB);
    const wide = buffers.take(512 * KIB, true);
    buffers.release(levelOf(buffers.take(32 * KIB, true), wide), 544 * KIB);
    expect(buffers.bytes).toBeLessThanOrEqual(544 * KIB);
    expect(buffers.take(512 * KIB, true)).toBe(wide);
  });

  it("keeps only sizes that chunks take again", () => {
    const buffers = new ChunkBuffers(false);
    buffers.release(levelOf(new ArrayBuffer(32 * KIB), new ArrayBuffer(512 * KIB)), 1024 * KIB);
    expect(buffers.bytes).toBe(0);
  });
});
