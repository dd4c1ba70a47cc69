/**
 * alloc_hugetlb_folio (mm/hugetlb.c, v6.18): a page from the pool (pool.ts), charged to the
 * VMA's reservation when it has one (reserve.ts).
 */
import type { Kernel } from "../kernel.js";
import { PG_RESTORE_RESERVE } from "../layout.js";
import { dequeue_or_surplus } from "./pool.js";
import { vma_commit_reservation, vma_needs_reservation } from "./reserve.js";

/**
 * alloc_hugetlb_folio(vma, addr, avoid_reserve). Consumes the VMA's reservation for the index
 * when it has one (Rsvd−1, RestoreReserve set, vma_commit_reservation), else needs
 * Free − Rsvd > 0 or a surplus page. Returns the page, or 0 for -ENOSPC.
 */
export function alloc_hugetlb_folio(k: Kernel, vma: number, addr: number, avoid_reserve: boolean): number {
  const map_chg = avoid_reserve ? 1 : vma_needs_reservation(k, vma, addr);
  const gbl_chg = map_chg;
  const g = dequeue_or_surplus(k, gbl_chg);
  if (!g) return 0;
  if (!gbl_chg) {
    k.page_set(g, PG_RESTORE_RESERVE);
    k.resv_huge_pages -= 1;
  }
  if (!avoid_reserve) vma_commit_reservation(k, vma, addr);
  return g;
}
