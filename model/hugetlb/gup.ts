/**
 * get_user_pages of a hugetlb mapping, v6.18 (mm/gup.c): __get_user_pages → follow_page_mask →
 * follow_p4d_mask → follow_pud_mask → follow_pmd_mask, where a hugetlb page is a leaf pmd
 * (pmd_leaf) looked up by follow_huge_pmd under the pmd lock (huge_pte_lock here: the model's
 * PTL), as THP's is — since v6.9 ("mm/gup: handle hugetlb in the generic follow_page_mask
 * code"), hugetlb has no follow function of its own. A miss goes to faultin_page →
 * handle_mm_fault → hugetlb_fault (model/hugetlb/fault.ts), which returns with mmap_lock still
 * held, and the lookup is tried again. FOLL_FORCE|FOLL_WRITE of a read-only private hugetlb
 * mapping is allowed since "mm/hugetlb: support FOLL_FORCE|FOLL_WRITE" (v6.16): the COW fault
 * leaves the pte read-only, and can_follow_write_pmd accepts the exclusive anonymous page.
 * Older kernels' follow_hugetlb_page is in gup.v2.6.21.ts and gup.v2.6.24.ts.
 */
import type { OpCall } from "../config.js";
import type { Kernel } from "../kernel.js";
import {
  can_follow_write_common,
  check_vma_flags,
  FOLL_GET,
  FOLL_LONGTERM,
  FOLL_PIN,
  FOLL_WRITE,
  gup_must_unshare,
  NEED_FAULT,
  NEED_UNSHARE,
  try_grab_folio,
} from "../mm/gup.js";
import { FAULT_FLAG_WRITE } from "../mm/memory.js";
import { huge_pte_write, is_migration_entry, pte_page } from "../mm/pte.js";

/** What a variant's era of get_user_pages does with a hugetlb VMA. */
export interface GupHugetlbEra {
  check_vma_flags(k: Kernel, vma: number, write: boolean, force: boolean, gup_flags: number): boolean;
  /** The gup flags of the `gup` operation (FOLL_FORCE is added by the caller). */
  gup_flags(op: OpCall): number;
  /** The lookup of the huge pte under its lock: the page (referenced as flags say), NEED_FAULT, NEED_UNSHARE or EFAULT. */
  follow(k: Kernel, pte: number, vma: number, flags: number): number;
  /** The FAULT_FLAG_* faultin_page passes to hugetlb_fault for a lookup that missed. */
  fault_flags(flags: number): number;
}

/** follow_huge_pmd (v6.18) of a hugetlb pmd; follow_pmd_mask sends a none or migration pmd to no_page_table. */
function follow_huge_pmd(k: Kernel, pte: number, vma: number, flags: number): number {
  if (!pte || is_migration_entry(pte)) return NEED_FAULT;
  const page = pte_page(pte);
  // can_follow_write_pmd: a writable pmd, or FOLL_FORCE on an exclusive anonymous page.
  if (flags & FOLL_WRITE && !huge_pte_write(pte) && !can_follow_write_common(k, page, vma, flags)) return NEED_FAULT;
  if (!huge_pte_write(pte) && gup_must_unshare(k, vma, flags, page)) return NEED_UNSHARE; // -EMLINK
  try_grab_folio(k, page, flags);
  return page;
}

/** get_user_pages / pin_user_pages of a hugetlb VMA, v6.18. */
export const follow_page_mask_v6_18: GupHugetlbEra = {
  check_vma_flags,
  gup_flags: (op) => (op.write ? FOLL_WRITE : 0) | (op.pin ? FOLL_PIN : FOLL_GET) | (op.longterm ? FOLL_LONGTERM : 0),
  follow: follow_huge_pmd,
  fault_flags: (flags) => (flags & FOLL_WRITE ? FAULT_FLAG_WRITE : 0),
};
