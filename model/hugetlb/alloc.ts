/**
 * alloc_hugetlb_folio (mm/hugetlb.c, v6.18): a page from the pool (pool.ts), charged to the
 * VMA's reservation when it has one (reserve.ts), else to the mount's subpool (subpool.ts).
 */
import type { Kernel } from "../kernel.js";
import { PG_RESTORE_RESERVE } from "../layout.js";
import { dequeue_or_surplus, hugetlb_acct_memory } from "./pool.js";
import { vma_commit_reservation, vma_needs_reservation } from "./reserve.js";
import { hugepage_subpool_get_pages, hugepage_subpool_put_pages } from "./subpool.js";

/**
 * alloc_hugetlb_folio(vma, addr, cow_from_owner). Consumes the VMA's reservation for the index
 * when it has one (Rsvd−1, RestoreReserve set, vma_commit_reservation). Without one, the page
 * is charged to the subpool (hugepage_subpool_get_pages: -ENOSPC past size=, and a min_size
 * reservation when the subpool holds one), then needs Free − Rsvd > 0 or a surplus page.
 * Returns the page, or 0 for -ENOSPC.
 */
export function alloc_hugetlb_folio(k: Kernel, vma: number, addr: number, avoid_reserve: boolean): number {
  const map_chg = avoid_reserve ? 1 : vma_needs_reservation(k, vma, addr);
  const spool = k.subpool_inode(k.vm_file(vma));
  let gbl_chg = 0;
  if (map_chg) {
    gbl_chg = hugepage_subpool_get_pages(k, spool, 1);
    if (gbl_chg < 0) return 0;
  }
  const g = dequeue_or_surplus(k, gbl_chg);
  if (!g) {
    alloc_out_subpool_put(k, spool, map_chg, gbl_chg);
    return 0;
  }
  if (!gbl_chg) {
    k.page_set(g, PG_RESTORE_RESERVE);
    k.resv_huge_pages -= 1;
  }
  k.hugetlb_set_folio_subpool(g, spool);
  if (!avoid_reserve) vma_commit_reservation(k, vma, addr);
  return g;
}

/**
 * out_subpool_put: v6.18 gives the page back to the subpool only when it came out of the
 * subpool's min_size reservations (map_chg && !gbl_chg); a page charged to size= alone stays
 * charged (used_hpages leaks a page at each failure, measured on 6.18: finding 003). The
 * fix-subpool-alloc-failure variant undoes whichever charge hugepage_subpool_get_pages made,
 * as hugetlb_reserve_pages's own error path does.
 */
function alloc_out_subpool_put(k: Kernel, spool: number, map_chg: number, gbl_chg: number): void {
  if (!map_chg) return;
  if (!gbl_chg) hugetlb_acct_memory(k, -hugepage_subpool_put_pages(k, spool, 1));
  else if (k.variant.allocFailureUnchargesSubpool && spool >= 0 && k.spool_max_hpages(spool) !== -1)
    k.set_spool_used_hpages(spool, k.spool_used_hpages(spool) - 1);
}
