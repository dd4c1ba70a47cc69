/**
 * get_user_pages as v4.8 has it (mm/gup.c before 19be0eaffa3a, "mm: remove gup_flags FOLL_WRITE
 * games from __get_user_pages()", the Dirty COW fix of October 2016): follow_page_pte refuses a
 * FOLL_WRITE lookup only while the pte is not writable, and faultin_page, after a fault that
 * returned VM_FAULT_WRITE in a VMA without VM_WRITE (a FOLL_FORCE write that broke COW, or reused
 * the COW copy, read-only), drops FOLL_WRITE so that the next lookup, "as if a read", stops
 * looping. If MADV_DONTNEED zaps the COW copy before that lookup, the read fault maps the
 * page-cache page and the caller writes the file. FOLL_PIN did not exist yet (v5.6).
 * Today's is in gup.ts.
 */
import { check_vma_flags, FOLL_GET, FOLL_TOUCH, FOLL_WRITE, NEED_FAULT, type GupEra } from "./gup.js";
import { touch_pmd_v4_14 } from "./huge_memory.v4.14.js";
import { __get_user_pages_v2_6_31 } from "./gup.v2.6.31.js";
import { vm_normal_page } from "./memory.js";
import { pmd_page, pmd_write, pte_write } from "./pte.js";

/** __get_user_pages of v4.8: today's check_vma_flags, follow_page_pte without can_follow_write_pte. */
export const __get_user_pages_v4_8: GupEra = {
  check_vma_flags,
  gup_flags: (_k, _vma, op) => (op.write ? FOLL_WRITE : 0) | FOLL_GET | FOLL_TOUCH,
  follow_page(k, pte, _vma, flags) {
    if (!pte) return NEED_FAULT; // no_page_table
    if (flags & FOLL_WRITE && !pte_write(pte)) return NEED_FAULT;
    const page = vm_normal_page(pte) || k.L.zeroPage; // is_zero_pfn
    if (flags & FOLL_GET) k.folio_get(page);
    return page;
  },
  // follow_trans_huge_pmd (v4.8): a FOLL_WRITE lookup refused only while the pmd is not
  // writable; touch_pmd as v4.14's (huge_memory.v4.14.ts).
  follow_huge_pmd(k, p, slot, _vma, flags) {
    const pmd = k.pte(p, slot);
    if (flags & FOLL_WRITE && !pmd_write(pmd)) return NEED_FAULT;
    if (flags & FOLL_TOUCH) touch_pmd_v4_14(k, p, slot);
    if (flags & FOLL_GET) k.folio_get(pmd_page(pmd));
    return pmd_page(pmd);
  },
  // The FOLL_WRITE drop, unchanged from 2.6.13 (4ceb5db9757a) until 19be0eaffa3a.
  faultin_page: __get_user_pages_v2_6_31.faultin_page,
  foll_flags_per: "page",
};
