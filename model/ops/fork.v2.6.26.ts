/**
 * copy_page_range of 2.6.21 and 2.6.26 (mm/memory.c), as it stayed until bcd51a3c679d
 * ("hugetlb: lazy page table copies in fork()", v6.0): "Don't copy ptes where a page fault will
 * fill them correctly" skips a VMA without an anon_vma unless it is VM_HUGETLB (or
 * VM_NONLINEAR, VM_PFNMAP, VM_INSERTPAGE), so every hugetlb VMA's ptes are copied, shared ones
 * and private ones with only page-cache pages included. copy_hugetlb_page_range (mm/hugetlb.c)
 * takes dst->page_table_lock, then src->page_table_lock, for each pte.
 */
import type { CopyPageRangeEra } from "./fork.js";

export const copy_page_range_v2_6_26: CopyPageRangeEra = { needs_copy: () => true, per_pte: true };
