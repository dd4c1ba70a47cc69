/**
 * 4 KiB pages from the buddy allocator, and folio_put for every page: the last reference frees
 * a hugetlb page back to its pool (free_huge_folio) and a 4 KiB page to the buddy allocator.
 * Running out of 4 KiB pages (the OOM killer) is not modelled: the scenario sizes the slots.
 */
import { free_huge_folio } from "../hugetlb/pool.js";
import type { Kernel } from "../kernel.js";
import { PAGE_BUDDY, PAGE_IN_USE } from "../layout.js";
import { ModelError } from "../types.js";

/**
 * folio_alloc: the lowest free 4 KiB slot (keeps page ids canonical), refcount 1. Its callers'
 * GFP flags (GFP_KERNEL, GFP_HIGHUSER_MOVABLE) allow reclaim: they call might_sleep first.
 */
export function folio_alloc(k: Kernel): number {
  for (let g = k.L.firstSmallPage; g <= k.L.lastPage; g++) {
    if (k.page_state(g) !== PAGE_BUDDY) continue;
    k.set_page_state(g, PAGE_IN_USE);
    k.set_page_refcounted(g);
    return g;
  }
  throw new ModelError("no free 4 KiB page slot: the scenario needs more smallPages");
}

/** vma_alloc_zeroed_movable_folio: a new anonymous page, cleared. */
export function vma_alloc_zeroed_movable_folio(k: Kernel, t: number): number {
  k.might_sleep(t);
  return folio_alloc(k);
}

/** free_unref_folio: a 4 KiB page goes back to the buddy allocator, its slot zeroed. */
function free_unref_folio(k: Kernel, g: number): void {
  k.clear_page_struct(g);
}

/**
 * folio_put: drop a reference; the last one frees the page. The zero page and the huge zero page
 * are reserved and never freed (the model counts only the references get_user_pages takes on them).
 */
export function folio_put(k: Kernel, g: number): void {
  if (k.folio_ref_dec(g) !== 0 || k.is_reserved_zero(g)) return;
  if (k.folio_test_hugetlb(g)) free_huge_folio(k, g);
  else free_unref_folio(k, g);
}
