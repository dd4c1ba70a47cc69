/**
 * model/region.ts keeps a reserve map as a bit mask; the kernel keeps a sorted list of coalesced
 * [from, to) file_regions. This file holds a reference of the kernel's list algorithm, written
 * after mm/hugetlb.c (torvalds/linux, v6.x): add_reservation_in_range, hugetlb_resv_map_add,
 * coalesce_file_region, region_add, region_chg, region_del and region_count, on a doubly linked
 * list with a sentinel head (list_head), so that the code reads line for line like the C. The
 * descriptor cache (region_cache, adds_in_progress) and the cgroup uncharge info are left out:
 * no count depends on them, and with no hugetlb cgroup has_same_uncharge_info() is always true.
 * Then fast-check holds the bit-mask functions to the reference.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { popcount, range, region_add, region_chg, region_count, region_del, regions } from "../../model/region.js";

// ---- the reference: struct file_region on a struct list_head ----------------------------------

class FileRegion {
  prev: FileRegion = this;
  next: FileRegion = this;
  constructor(
    public from: number,
    public to: number,
  ) {}
}

/** struct resv_map, reduced to its list of regions. */
class RefResvMap {
  /** The list head: a sentinel that is not a region. */
  readonly head = new FileRegion(NaN, NaN);

  /** The regions in list order, as [from, to) pairs (what regions(mask) returns). */
  toArray(): [number, number][] {
    const out: [number, number][] = [];
    for (let rg = this.head.next; rg !== this.head; rg = rg.next) out.push([rg.from, rg.to]);
    return out;
  }
}

/** list_add(new, head): insert `node` right after `at`. */
function list_add(node: FileRegion, at: FileRegion): void {
  node.next = at.next;
  node.prev = at;
  at.next.prev = node;
  at.next = node;
}

/** list_del */
function list_del(node: FileRegion): void {
  node.prev.next = node.next;
  node.next.prev = node.prev;
  node.prev = node;
  node.next = node;
}

/** coalesce_file_region: merge a new entry with its neighbours when they touch. */
function coalesce_file_region(resv: RefResvMap, rg: FileRegion): void {
  const prg = rg.prev;
  if (prg !== resv.head && prg.to === rg.from) {
    prg.to = rg.to;
    list_del(rg);
    rg = prg;
  }
  const nrg = rg.next;
  if (nrg !== resv.head && nrg.from === rg.to) {
    nrg.from = rg.from;
    list_del(rg);
  }
}

/** hugetlb_resv_map_add: add [from, to) after `rg`, or only count the entry needed. */
function hugetlb_resv_map_add(
  map: RefResvMap,
  rg: FileRegion,
  from: number,
  to: number,
  regions_needed: { n: number } | null,
): number {
  if (!regions_needed) {
    const nrg = new FileRegion(from, to); // get_file_region_entry_from_cache
    list_add(nrg, rg);
    coalesce_file_region(map, nrg);
  } else {
    regions_needed.n += 1;
  }
  return to - from;
}

/**
 * add_reservation_in_range: with regions_needed, count the pages [f, t) would add without
 * changing the list; without, add them.
 */
function add_reservation_in_range(resv: RefResvMap, f: number, t: number, regions_needed: { n: number } | null): number {
  let add = 0;
  const head = resv.head;
  let last_accounted_offset = f;
  let rg: FileRegion | null = null;
  if (regions_needed) regions_needed.n = 0;

  // list_for_each_entry_safe(iter, trg, head, link)
  for (let iter = head.next, trg = iter.next; iter !== head; iter = trg, trg = iter.next) {
    // Skip irrelevant regions that start before our range.
    if (iter.from < f) {
      if (iter.to > last_accounted_offset) last_accounted_offset = iter.to;
      continue;
    }
    // When we find a region that starts beyond our range, we've finished.
    if (iter.from >= t) {
      rg = iter.prev;
      break;
    }
    // Add an entry for last_accounted_offset -> iter->from.
    if (iter.from > last_accounted_offset)
      add += hugetlb_resv_map_add(resv, iter.prev, last_accounted_offset, iter.from, regions_needed);
    last_accounted_offset = iter.to;
  }
  // Handle the case where our range extends beyond last_accounted_offset.
  if (!rg) rg = head.prev;
  if (last_accounted_offset < t) add += hugetlb_resv_map_add(resv, rg, last_accounted_offset, t, regions_needed);
  return add;
}

function ref_region_add(resv: RefResvMap, f: number, t: number): number {
  return add_reservation_in_range(resv, f, t, null);
}

function ref_region_chg(resv: RefResvMap, f: number, t: number): number {
  const out_regions_needed = { n: 0 };
  return add_reservation_in_range(resv, f, t, out_regions_needed);
}

/** region_del: trim, delete or split the regions that intersect [f, t); returns pages deleted. */
function ref_region_del(resv: RefResvMap, f: number, t: number): number {
  const head = resv.head;
  let del = 0;
  for (let rg = head.next, trg = rg.next; rg !== head; rg = trg, trg = rg.next) {
    // Skip regions before the range (a placeholder from == to == f is not skipped).
    if (rg.to <= f && (rg.to !== rg.from || rg.to !== f)) continue;
    if (rg.from >= t) break;

    if (f > rg.from && t < rg.to) {
      // Must split region.
      del += t - f;
      const nrg = new FileRegion(t, rg.to);
      rg.to = f;
      list_add(nrg, rg);
      break;
    }
    if (f <= rg.from && t >= rg.to) {
      // Remove entire region.
      del += rg.to - rg.from;
      list_del(rg);
      continue;
    }
    if (f <= rg.from) {
      // Trim beginning of region.
      del += t - rg.from;
      rg.from = t;
    } else {
      // Trim end of region.
      del += rg.to - f;
      rg.to = f;
    }
  }
  return del;
}

/** region_count: pages of [f, t) the map covers (as in seed 003 and today). */
function ref_region_count(resv: RefResvMap, f: number, t: number): number {
  let chg = 0;
  for (let rg = resv.head.next; rg !== resv.head; rg = rg.next) {
    if (rg.to <= f) continue;
    if (rg.from >= t) break;
    chg += Math.min(rg.to, t) - Math.max(rg.from, f);
  }
  return chg;
}

// ---- the reference, checked by hand (it must be right before it judges the model) ------------

describe("kernel region list reference", () => {
  it("region_add merges overlapping and adjacent regions and returns the pages added", () => {
    const m = new RefResvMap();
    expect(ref_region_add(m, 0, 2)).toBe(2);
    expect(ref_region_add(m, 4, 6)).toBe(2);
    expect(m.toArray()).toEqual([
      [0, 2],
      [4, 6],
    ]);
    expect(ref_region_chg(m, 1, 5)).toBe(2);
    expect(m.toArray()).toEqual([
      [0, 2],
      [4, 6],
    ]); // region_chg does not change the map
    expect(ref_region_add(m, 1, 5)).toBe(2);
    expect(m.toArray()).toEqual([[0, 6]]);
    expect(ref_region_add(m, 6, 7)).toBe(1); // adjacent: coalesced
    expect(m.toArray()).toEqual([[0, 7]]);
    expect(ref_region_add(m, 3, 5)).toBe(0);
  });

  it("region_add fills several holes at once", () => {
    const m = new RefResvMap();
    ref_region_add(m, 1, 2);
    ref_region_add(m, 4, 5);
    ref_region_add(m, 8, 9);
    expect(ref_region_chg(m, 0, 10)).toBe(7);
    expect(ref_region_add(m, 0, 10)).toBe(7);
    expect(m.toArray()).toEqual([[0, 10]]);
  });

  it("region_del splits, trims and removes, returning the pages removed", () => {
    const m = new RefResvMap();
    ref_region_add(m, 0, 10);
    expect(ref_region_del(m, 3, 5)).toBe(2); // split
    expect(m.toArray()).toEqual([
      [0, 3],
      [5, 10],
    ]);
    expect(ref_region_del(m, 2, 6)).toBe(2); // trim the end of one, the start of the next
    expect(m.toArray()).toEqual([
      [0, 2],
      [6, 10],
    ]);
    expect(ref_region_del(m, 0, 2)).toBe(2); // remove entire region
    expect(m.toArray()).toEqual([[6, 10]]);
    expect(ref_region_del(m, 0, 6)).toBe(0);
    expect(ref_region_count(m, 0, 30)).toBe(4);
    expect(ref_region_count(m, 7, 9)).toBe(2);
  });
});

// ---- the model against the reference -----------------------------------------------------------

/** Indices 0..29 (a file has at most 30 huge pages): ranges [f, t) with 0 <= f < t <= 30. */
const nonEmptyRange = fc
  .tuple(fc.integer({ min: 0, max: 29 }), fc.integer({ min: 1, max: 30 }))
  .map(([a, b]) => (a < b ? [a, b] : [b - 1, a + 1]) as [number, number])
  .filter(([f, t]) => f < t && t <= 30);
/** Query ranges may be empty (f == t); the kernel never asks with f > t. */
const queryRange = fc
  .tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 30 }))
  .map(([a, b]) => (a <= b ? [a, b] : [b, a]) as [number, number]);

type Op = { kind: "add" | "del"; f: number; t: number };
const op: fc.Arbitrary<Op> = fc.record({
  kind: fc.constantFrom("add" as const, "del" as const),
  range: nonEmptyRange,
}).map(({ kind, range: [f, t] }) => ({ kind, f, t }));

describe("model/region.ts against the kernel's list algorithm", () => {
  it("add/del sequences: same return counts, same coalesced list, same chg and count answers", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), fc.array(queryRange, { minLength: 1, maxLength: 10 }), (ops, queries) => {
        const ref = new RefResvMap();
        let mask = 0;
        for (const o of ops) {
          if (o.kind === "add") {
            const chgBefore = ref_region_chg(ref, o.f, o.t);
            expect(region_chg(mask, o.f, o.t)).toBe(chgBefore);
            const r = region_add(mask, o.f, o.t);
            const added = ref_region_add(ref, o.f, o.t);
            expect(r.added).toBe(added);
            expect(added).toBe(chgBefore); // region_chg predicts region_add when nothing races
            mask = r.map;
          } else {
            const r = region_del(mask, o.f, o.t);
            expect(r.deleted).toBe(ref_region_del(ref, o.f, o.t));
            mask = r.map;
          }
          expect(regions(mask)).toEqual(ref.toArray());
        }
        for (const [f, t] of queries) {
          expect(region_chg(mask, f, t)).toBe(ref_region_chg(ref, f, t));
          expect(region_count(mask, f, t)).toBe(ref_region_count(ref, f, t));
          expect(region_count(mask, f, t) + region_chg(mask, f, t)).toBe(t - f);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("the reference list stays sorted, coalesced and free of empty regions", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const ref = new RefResvMap();
        for (const o of ops) {
          if (o.kind === "add") ref_region_add(ref, o.f, o.t);
          else ref_region_del(ref, o.f, o.t);
          const list = ref.toArray();
          for (const [from, to] of list) expect(from).toBeLessThan(to);
          for (let i = 1; i < list.length; i++) expect(list[i - 1]![1]).toBeLessThan(list[i]![0]);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("region_del of a range then region_count over it is 0; region_add then region_chg is 0", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0x3fffffff }), nonEmptyRange, (mask, [f, t]) => {
        const del = region_del(mask, f, t);
        expect(region_count(del.map, f, t)).toBe(0);
        expect(del.deleted).toBe(region_count(mask, f, t));
        const add = region_add(mask, f, t);
        expect(region_chg(add.map, f, t)).toBe(0);
        expect(add.added).toBe(region_chg(mask, f, t));
        // Nothing outside [f, t) changes.
        expect(del.map & ~range(f, t)).toBe(mask & ~range(f, t));
        expect(add.map & ~range(f, t)).toBe(mask & ~range(f, t));
      }),
      { numRuns: 500 },
    );
  });
});

describe("range() and popcount() edge cases", () => {
  it("an empty or reversed range is 0", () => {
    expect(range(0, 0)).toBe(0);
    expect(range(7, 7)).toBe(0);
    expect(range(29, 29)).toBe(0);
    expect(range(30, 30)).toBe(0);
    expect(range(5, 2)).toBe(0);
  });

  it("single indices, index 29 included", () => {
    expect(range(0, 1)).toBe(1);
    expect(range(3, 4)).toBe(8);
    expect(range(29, 30)).toBe(2 ** 29);
    expect(popcount(range(29, 30))).toBe(1);
    expect(regions(range(29, 30))).toEqual([[29, 30]]);
    expect(region_count(range(29, 30), 0, 30)).toBe(1);
    expect(region_chg(range(29, 30), 28, 30)).toBe(1);
  });

  it("the full range of 30 indices", () => {
    const full = range(0, 30);
    expect(full).toBe(2 ** 30 - 1);
    expect(popcount(full)).toBe(30);
    expect(regions(full)).toEqual([[0, 30]]);
    expect(region_add(0, 0, 30)).toEqual({ map: full, added: 30 });
    expect(region_chg(full, 0, 30)).toBe(0);
    expect(region_del(full, 0, 30)).toEqual({ map: 0, deleted: 30 });
    expect(region_del(full, 10, 20)).toEqual({ map: range(0, 10) | range(20, 30), deleted: 10 });
    expect(regions(range(0, 10) | range(20, 30))).toEqual([
      [0, 10],
      [20, 30],
    ]);
  });

  it("range(f, t) has exactly t - f bits, from f", () => {
    for (let f = 0; f <= 30; f++)
      for (let t = f; t <= 30; t++) {
        const r = range(f, t);
        expect(popcount(r)).toBe(t - f);
        for (let i = 0; i < 31; i++) expect(((r >>> i) & 1) === 1).toBe(i >= f && i < t);
      }
  });

  it("popcount of 0, single bits, sparse patterns, and the sign bit", () => {
    expect(popcount(0)).toBe(0);
    for (let i = 0; i < 32; i++) expect(popcount(1 << i)).toBe(1);
    expect(popcount(0x55555555)).toBe(16);
    expect(popcount(0x0f0f0f0f)).toBe(16);
    expect(popcount(0x7fffffff)).toBe(31);
    expect(popcount(-1)).toBe(32);
    expect(regions(0)).toEqual([]);
  });
});
