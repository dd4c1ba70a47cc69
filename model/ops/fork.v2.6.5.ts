/**
 * dup_mmap and copy_page_range of 2.6.5 (kernel/fork.c, mm/memory.c), with seed 000's
 * copy_hugetlb_page_range: there is no anon_vma yet and every VMA's ptes are copied, a hugetlb
 * VMA's by copy_hugetlb_page_range. dup_mmap links the VMA into the file's share list under
 * i_shared_sem, drops it, then takes the child's page_table_lock and holds it across the whole
 * copy_page_range of the VMA; the source's ptes are read (and, with seed 000, write-protected by
 * hugepte_update) without the parent's lock. So the VMA's copy is one step: the only writer of
 * the parent's ptes that could run inside it, truncate's zap, must then wait for the child's lock
 * before it zaps the child's copies, so it ends as if it had run after the copy. The 2.6.5 loop
 * also takes a reference on pte_page() of an empty pte (a pfn 0 page) where truncate emptied
 * one; the model, which has no such page, skips empty ptes.
 */
import type { CopyPageRangeEra } from "./fork.js";

export const copy_page_range_v2_6_5: CopyPageRangeEra = { needs_copy: () => true, per_pte: false };
