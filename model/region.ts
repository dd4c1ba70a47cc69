/**
 * The reserve-map region functions (mm/hugetlb.c). The kernel keeps a sorted list of
 * coalesced [from, to) file_regions; a set of indices says the same thing, so the state keeps
 * the set as a bit mask (bit i: index i covered) and these functions keep the kernel's names,
 * arguments and return values. The kernel's two-phase region_chg/region_add (and region_abort)
 * also reserve file_region descriptors (adds_in_progress); no count depends on that, so it is
 * not modelled. test/model/region.test.ts holds them against the kernel's list algorithm.
 */

/** Bits [f, t). Indices stay below 31. */
export function range(f: number, t: number): number {
  if (t <= f) return 0;
  return ((1 << (t - f)) - 1) << f;
}

export function popcount(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** region_chg: how many indices of [f, t) the map does not cover yet. */
export function region_chg(map: number, f: number, t: number): number {
  return popcount(range(f, t) & ~map);
}

/** region_add: cover [f, t); returns the new map and how many indices were added. */
export function region_add(map: number, f: number, t: number): { map: number; added: number } {
  const add = range(f, t) & ~map;
  return { map: map | add, added: popcount(add) };
}

/** region_del: uncover [f, t); returns the new map and how many indices were removed. */
export function region_del(map: number, f: number, t: number): { map: number; deleted: number } {
  const del = range(f, t) & map;
  return { map: map & ~del, deleted: popcount(del) };
}

/** region_count: how many indices of [f, t) the map covers. */
export function region_count(map: number, f: number, t: number): number {
  return popcount(range(f, t) & map);
}

/** The map as the kernel's list of coalesced [from, to) regions, for traces. */
export function regions(map: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < 31; i++) {
    if (!(map & (1 << i))) continue;
    const last = out[out.length - 1];
    if (last && last[1] === i) last[1] = i + 1;
    else out.push([i, i + 1]);
  }
  return out;
}
