/**
 * The pool counters stay consistent (kernel-notes §1): none wrapped, Free ≥ Rsvd, Surp ≤ Total.
 * So do a hugetlbfs mount's subpool counters: 0 ≤ rsv_hpages ≤ min_size, and with size=,
 * 0 ≤ used_hpages ≤ size and used_hpages = the reservations its files hold + the pages
 * allocated through it (what hugepage_subpool_get_pages charged and put_pages did not give back).
 */
import type { Kernel } from "../model/kernel.js";
import {
  FREE_HUGE_PAGES,
  I_SPOOL_RSV,
  I_SPOOL_USED,
  NR_HUGE_PAGES,
  PAGE_FREE,
  PAGE_IN_USE,
  PG_FLAGS,
  PG_STATE,
  RESV_HUGE_PAGES,
  SURPLUS_HUGE_PAGES,
} from "../model/layout.js";
import { inodeWords, pageWords } from "./reads.js";
import { outstandingReservations, outstandingWords } from "./reservation-conservation.js";
import type { Invariant } from "./types.js";

function subpoolCounters(k: Kernel): string | null {
  for (let f = 0; f < k.L.files; f++) {
    const spool = k.subpool_inode(f);
    if (spool < 0) continue;
    const min = k.spool_min_hpages(spool);
    const rsv = k.spool_rsv_hpages(spool);
    if (rsv < 0 || rsv > Math.max(min, 0)) return `file${f} mount: subpool rsv_hpages ${rsv} outside 0..min_size ${Math.max(min, 0)}`;
    const max = k.spool_max_hpages(spool);
    if (max === -1) continue;
    const used = k.spool_used_hpages(spool);
    if (used < 0 || used > max) return `file${f} mount: subpool used_hpages ${used} outside 0..size ${max}`;
    let pages = 0;
    for (let g = 1; g <= k.L.pages; g++) if (k.page_state(g) === PAGE_IN_USE && k.hugetlb_folio_subpool(g) === spool) pages++;
    const held = outstandingReservations(k, undefined, f);
    if (used !== held + pages)
      return `file${f} mount: subpool used_hpages = ${used} but its files hold ${held} reservations and ${pages} pages allocated through it`;
  }
  return null;
}

export const poolCounters: Invariant = {
  name: "pool-counters",
  summary: "no counter wrapped; Free >= Rsvd; Surp <= Total; Free + pages in use = Total; a mount's subpool: used_hpages = its reservations + its pages <= size, rsv_hpages <= min_size",
  // The subpools' checks read the reservations only where a file's mount has a subpool.
  reads: (k) => [
    NR_HUGE_PAGES,
    FREE_HUGE_PAGES,
    RESV_HUGE_PAGES,
    SURPLUS_HUGE_PAGES,
    ...pageWords(k, k.L.pages, [PG_STATE]),
    ...(k.cfg.files.some((_, f) => k.subpool_inode(f) >= 0)
      ? [...inodeWords(k, [I_SPOOL_RSV, I_SPOOL_USED]), ...pageWords(k, k.L.pages, [PG_FLAGS]), ...outstandingWords(k)]
      : []),
  ],
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
    return subpoolCounters(k);
  },
};
