/**
 * The mmu_gather of a zap that spans steps (zap_page_range_single for MADV_DONTNEED): the
 * pages whose ptes it cleared, each still holding the reference its pte held, until
 * tlb_finish_mmu frees them (free_pages_and_swap_cache → folio_put → free_huge_folio). It lives
 * in the thread's local L_TLB, a set of hugetlb page ids (bit g − 1 for page g). Zaps done
 * within one step (munmap, truncate, unmap_ref_private) put their pages at once.
 */
import type { Kernel } from "../kernel.js";
import { L_TLB } from "../kernel.js";
import { ModelError } from "../types.js";
import { folio_put } from "./page_alloc.js";

/** The lowest page id in a non-empty gather word (walk one with `for (m = tlb; m; m &= m - 1)`). */
export function tlb_first_page(m: number): number {
  return 32 - Math.clz32(m & -m);
}

/** tlb_remove_page_size: the reference of the pte just cleared now belongs to the gather. */
export function tlb_remove_page(k: Kernel, t: number, g: number): void {
  if (!k.folio_test_hugetlb(g) || g > 31) throw new ModelError(`page${g} cannot go in the model's mmu_gather: hugetlb pages 1–31 only`);
  k.set_local(t, L_TLB, k.local(t, L_TLB) | (1 << (g - 1)));
}

/**
 * tlb_finish_mmu: put every gathered page; the last reference frees it to the pool. In page
 * order rather than the kernel's gather order: the pages are alike to everyone but the
 * encoding, which only learns which of them the buddy allocator got back.
 */
export function tlb_finish_mmu(k: Kernel, t: number): void {
  for (let m = k.local(t, L_TLB); m; m &= m - 1) folio_put(k, tlb_first_page(m));
  k.set_local(t, L_TLB, 0);
}
