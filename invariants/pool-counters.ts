/** The pool counters stay consistent (kernel-notes §1): none wrapped, Free ≥ Rsvd, Surp ≤ Total. */
import { PAGE_FREE, PAGE_IN_USE } from "../model/layout.js";
import type { Invariant } from "./types.js";

export const poolCounters: Invariant = {
  name: "pool-counters",
  summary: "no counter wrapped; Free >= Rsvd; Surp <= Total; Free + pages in use = Total",
  state({ k }) {
    if (k.nr_huge_pages < 0) return `HugePages_Total wrapped (${k.nr_huge_pages} as a signed value)`;
    if (k.free_huge_pages < 0) return `HugePages_Free wrapped (${k.free_huge_pages} as a signed value)`;
    if (k.resv_huge_pages < 0) return `HugePages_Rsvd wrapped (${k.resv_huge_pages} as a signed value)`;
    if (k.surplus_huge_pages < 0) return `HugePages_Surp wrapped (${k.surplus_huge_pages} as a signed value)`;
    if (k.free_huge_pages < k.resv_huge_pages) return `HugePages_Free ${k.free_huge_pages} < HugePages_Rsvd ${k.resv_huge_pages}`;
    if (k.surplus_huge_pages > k.nr_huge_pages) return `HugePages_Surp ${k.surplus_huge_pages} > HugePages_Total ${k.nr_huge_pages}`;
    let inUse = 0;
    let free = 0;
    for (let g = 1; g <= k.L.pages; g++) {
      if (k.page_state(g) === PAGE_IN_USE) inUse++;
      else if (k.page_state(g) === PAGE_FREE) free++;
    }
    if (free !== k.free_huge_pages) return `HugePages_Free = ${k.free_huge_pages} but ${free} pages are on the free list`;
    if (k.free_huge_pages + inUse !== k.nr_huge_pages)
      return `HugePages_Free ${k.free_huge_pages} + ${inUse} pages in use != HugePages_Total ${k.nr_huge_pages}`;
    return null;
  },
};
