/**
 * The hugetlb pool (kernel-notes §1): its free list and surplus pages, free_huge_folio,
 * hugetlb_acct_memory. All of it runs under hugetlb_lock, which no path holds across a step, so
 * it is not in the state. The reserve maps (reserve.ts) use it; alloc_hugetlb_folio, which uses
 * both, is in alloc.ts.
 */
import type { Kernel } from "../kernel.js";
import { Splat } from "../splat.js";
import { PAGE_BUDDY, PAGE_FREE, PAGE_IN_USE, PG_RESTORE_RESERVE } from "../layout.js";
import { hugepage_subpool_put_pages } from "./subpool.js";

/** The lowest-numbered page slot in state `st`, or 0: keeps page ids canonical. */
function first_page(k: Kernel, st: number): number {
  for (let g = 1; g <= k.L.pages; g++) if (k.page_state(g) === st) return g;
  return 0;
}

/** available_huge_pages: free pages not promised to a reservation. */
export function available_huge_pages(k: Kernel): number {
  return k.free_huge_pages - k.resv_huge_pages;
}

/**
 * dequeue_hugetlb_folio_vma, or alloc_surplus_hugetlb_folio when the free list cannot serve:
 * a page with refcount 1, or 0 when the pool is exhausted (the fault gets SIGBUS).
 */
export function dequeue_or_surplus(k: Kernel, gbl_chg: number): number {
  if (!gbl_chg || available_huge_pages(k) > 0) {
    const g = first_page(k, PAGE_FREE);
    if (g) {
      k.free_huge_pages -= 1;
      k.set_page_state(g, PAGE_IN_USE);
      k.set_page_refcounted(g);
      return g;
    }
  }
  // Before surplus pages (2.6.23) an empty free list was the end: the seeds of 2.6.5 and 2.6.21.
  if (!k.variant.surplusPages || k.surplus_huge_pages >= k.nr_overcommit_huge_pages) return 0;
  const g = first_page(k, PAGE_BUDDY);
  if (!g) return 0;
  k.nr_huge_pages += 1;
  k.surplus_huge_pages += 1;
  k.set_page_state(g, PAGE_IN_USE);
  k.set_page_refcounted(g);
  return g;
}

/**
 * free_huge_folio: restore the reservation if still marked; else uncharge the page's subpool,
 * which restores it anyway when it keeps the page's reservation for min_size. Then surplus →
 * buddy, else free list.
 */
export function free_huge_folio(k: Kernel, g: number): void {
  if (k.page_ref(g)) k.splat(Splat.FREE_HUGE_FOLIO_REF);
  if (k.page_mapcount(g)) k.splat(Splat.FREE_HUGE_FOLIO_MAPPED);
  const spool = k.hugetlb_folio_subpool(g);
  // Before v3.15 (07443a85ad90) nothing gave back the reservation of a page freed unused: the
  // model keeps the bit there only to know that the page consumed one (the invariants need it).
  let restore_reserve = k.page_test(g, PG_RESTORE_RESERVE) && k.variant.restoreReserve !== "none";
  k.clear_page_struct(g);
  if (!restore_reserve && hugepage_subpool_put_pages(k, spool, 1) === 0) restore_reserve = true;
  if (restore_reserve) k.resv_huge_pages += 1;
  // v6.18 frees a surplus page even when it has just restored its reservation (finding 005).
  if (k.surplus_huge_pages > 0 && !(restore_reserve && k.variant.restoredSurplusStaysInPool)) {
    k.nr_huge_pages -= 1;
    k.surplus_huge_pages -= 1;
    k.set_page_state(g, PAGE_BUDDY);
  } else {
    k.free_huge_pages += 1;
    k.set_page_state(g, PAGE_FREE);
  }
}

/**
 * gather_surplus_pages: make Free cover Rsvd + delta, with surplus pages if overcommit allows.
 * The kernel drops hugetlb_lock to call the buddy allocator and re-checks after; the model does
 * it in one go, which is one of the orders the kernel's retry loop can produce.
 */
function gather_surplus_pages(k: Kernel, delta: number): boolean {
  const needed = k.resv_huge_pages + delta - k.free_huge_pages;
  if (needed > 0) {
    if (!k.variant.surplusPages || k.surplus_huge_pages + needed > k.nr_overcommit_huge_pages) return false;
    for (let i = 0; i < needed; i++) {
      const g = first_page(k, PAGE_BUDDY);
      if (!g) return false;
      k.set_page_state(g, PAGE_FREE);
      k.nr_huge_pages += 1;
      k.surplus_huge_pages += 1;
      k.free_huge_pages += 1;
    }
  }
  k.resv_huge_pages += delta;
  return true;
}

/** return_unused_surplus_pages: Rsvd −= unused, then free up to that many surplus pages. */
function return_unused_surplus_pages(k: Kernel, unused_resv_pages: number): void {
  let nr_pages = Math.min(unused_resv_pages, k.surplus_huge_pages);
  k.resv_huge_pages -= unused_resv_pages;
  for (let g = k.L.pages; g >= 1 && nr_pages > 0; g--) {
    if (k.page_state(g) !== PAGE_FREE) continue;
    k.set_page_state(g, PAGE_BUDDY);
    k.free_huge_pages -= 1;
    k.nr_huge_pages -= 1;
    k.surplus_huge_pages -= 1;
    nr_pages--;
  }
}

/** hugetlb_acct_memory(delta): false is -ENOMEM (mmap fails, nothing changed). */
export function hugetlb_acct_memory(k: Kernel, delta: number): boolean {
  if (delta > 0) return gather_surplus_pages(k, delta);
  if (delta < 0) return_unused_surplus_pages(k, -delta);
  return true;
}

/**
 * alloc_hugetlb_folio_nodemask for a migration target (alloc_migration_target, v6.18): a free
 * page no reservation holds (available_huge_pages), or nothing. The kernel then tries
 * alloc_migrate_hugetlb_folio, a temporary page fresh from the buddy allocator outside the
 * pool's counters; the model has no buddy allocator for huge pages beyond the pool's overcommit
 * slots, so there the migration fails with -ENOMEM, as it does when the buddy allocator has no
 * free 2 MiB block.
 */
export function alloc_hugetlb_folio_nodemask(k: Kernel): number {
  if (available_huge_pages(k) <= 0) return 0;
  const g = first_page(k, PAGE_FREE);
  if (!g) return 0;
  k.free_huge_pages -= 1;
  k.set_page_state(g, PAGE_IN_USE);
  k.set_page_refcounted(g);
  return g;
}
