import { describe, expect, it } from "vitest";
import { FingerprintSet, VisitedTable } from "../../explorer/tables.js";

/** A deterministic stream of 32-bit values (xorshift). */
function stream(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x | 0;
  };
}

describe("VisitedTable (ordered, grown in place)", () => {
  it("reserve(n) grows the table ahead, so that n more adds do not grow it, and keeps what it held", () => {
    const t = new VisitedTable(16);
    const next = stream(11);
    const held: [number, number][] = Array.from({ length: 1000 }, () => [next(), next()]);
    for (const [hi, lo] of held) t.add(hi, lo);
    expect(t.growsWithin(5000)).toBe(true);
    t.reserve(5000);
    expect(t.growsWithin(5000)).toBe(false);
    const capacity = t.capacity;
    for (const [hi, lo] of held) expect(t.add(hi, lo)).toBe(false);
    for (let i = 0; i < 5000; i++) t.add(next(), next());
    expect(t.capacity).toBe(capacity);
  });

  it("finds every fingerprint added across many growths, and none that was not", () => {
    const t = new VisitedTable(16);
    const next = stream(7);
    const added: [number, number][] = [
      [0, 0],
      [-1, -1],
      [0x7fffffff, 1],
      [-0x80000000, 5],
    ];
    // Clustered high halves too: long runs that spill over the last home slot.
    for (let i = 0; i < 40_000; i++) added.push(i % 3 === 0 ? [-1 - (i % 50), next()] : [next(), next()]);
    const key = ([hi, lo]: [number, number]) => `${hi === 0 ? 1 : hi},${lo === 0 ? 1 : lo}`;
    const unique = [...new Map(added.map((f) => [key(f), f])).values()];
    for (const [hi, lo] of unique) expect(t.add(hi, lo)).toBe(true);
    expect(t.size).toBe(unique.length);
    expect(t.capacity).toBeGreaterThan(unique.length);
    // add() of a fingerprint it holds finds it and adds nothing; of any other, adds it.
    for (const [hi, lo] of unique) expect(t.add(hi, lo)).toBe(false);
    expect(t.size).toBe(unique.length);
    const seen = new Set(unique.map(key));
    for (let i = 0; i < 40_000; i++) {
      const f: [number, number] = [next(), next()];
      if (!seen.has(key(f))) expect(t.add(f[0], f[1])).toBe(true);
      seen.add(key(f));
    }
  });

  it("a copy of its slots at the same capacity is the same table (checkpoints)", () => {
    const t = new VisitedTable(16);
    const next = stream(3);
    const fps = Array.from({ length: 1000 }, () => [next(), next()] as const);
    for (const [hi, lo] of fps) t.add(hi, lo);
    const u = VisitedTable.from(t.slots.slice(), t.capacity, t.size);
    if (typeof u === "string") throw new Error(u);
    expect(u.size).toBe(t.size);
    for (const [hi, lo] of fps) expect(u.add(hi, lo)).toBe(false);
    expect(u.size).toBe(t.size);
  });
});

describe("VisitedTable: taking back a stopped level's states, and checking a checkpoint's slots", () => {
  it("remove() takes fingerprints out, clustered ones included: the rest is found, the removed are not", () => {
    const t = new VisitedTable(16);
    const next = stream(5);
    // A third share a few high halves: long runs, spilling over the last home slot, to shift back.
    const fps = Array.from({ length: 20_000 }, (_, i) => [i % 3 === 0 ? -1 - (i % 7) : next(), next() | 1] as const);
    const before = fps.slice(0, 12_000);
    const later = fps.slice(12_000);
    for (const [hi, lo] of before) t.add(hi, lo);
    t.reserve(later.length);
    const slots = t.slots.slice();
    const size = t.size;
    for (const [hi, lo] of later) expect(t.add(hi, lo)).toBe(true);
    for (const [hi, lo] of later) expect(t.remove(hi, lo)).toBe(true);
    expect(t.remove(later[0]![0], later[0]![1])).toBe(false);
    expect(t.size).toBe(size);
    // What is left is a valid table holding exactly the first fingerprints.
    const copy = VisitedTable.from(t.slots.slice(), t.capacity, t.size);
    if (typeof copy === "string") throw new Error(copy);
    for (const [hi, lo] of before) expect(t.add(hi, lo)).toBe(false);
    for (const [hi, lo] of later) expect(t.add(hi, lo)).toBe(true);
    // An ordered table's layout depends only on what it holds: removing gives back the very slots.
    expect(Array.from(copy.slots.subarray(0, slots.length))).toEqual(Array.from(slots));
    expect(copy.slots.subarray(slots.length).every((w) => w === 0)).toBe(true);
  });

  it("from() refuses slots that cannot be the table it is told of", () => {
    const t = new VisitedTable(1024);
    const next = stream(9);
    for (let i = 0; i < 500; i++) t.add(next(), next());
    const swapped = t.slots.slice();
    const a = swapped.findIndex((h, i) => i % 2 === 0 && h !== 0 && swapped[i + 2] !== 0);
    [swapped[a], swapped[a + 2]] = [swapped[a + 2]!, swapped[a]!];
    [swapped[a + 1], swapped[a + 3]] = [swapped[a + 3]!, swapped[a + 1]!];
    expect(VisitedTable.from(swapped, t.capacity, t.size)).toMatch(/out of order|home slot is after it/);
    expect(VisitedTable.from(t.slots.slice(), t.capacity, t.size + 1)).toMatch(/holds 500 fingerprints, not 501/);
    expect(VisitedTable.from(t.slots.slice(), t.capacity * 64, t.size)).toMatch(/table slots for tableCapacity/);
    expect(VisitedTable.from(t.slots.slice(), 128, t.size)).toMatch(/fingerprints in a table of capacity 128/);
  });
});

describe("FingerprintSet (a worker's chunk)", () => {
  it("adds each fingerprint once, zero halves included", () => {
    const next = stream(11);
    const fps: [number, number][] = [[0, 0], [0, 5], [7, 0], ...Array.from({ length: 200 }, () => [next(), next()] as [number, number])];
    const t = new FingerprintSet(fps.length);
    for (const [hi, lo] of fps) expect(t.add(hi, lo)).toBe(true);
    for (const [hi, lo] of fps) expect(t.add(hi, lo)).toBe(false);
  });
});
