/**
 * follow_hugetlb_page from 2.6.24 ("hugetlb: follow_hugetlb_page() for write access") until
 * v6.5 replaced it with hugetlb_follow_page_mask: under the page-table lock, an absent pte, or a
 * read-only one for a write, is faulted with hugetlb_fault (FAULT_FLAG_WRITE for a write; the
 * COW fault maps the copy writable whatever the VMA, make_huge_pte(vma, page, 1)) and looked up
 * again; a present pte gives its page with get_page. No FOLL_PIN before v5.6, no PageAnonExclusive
 * before v5.19: a pin here is get_user_pages held across the I/O. get_user_pages checks the VMA
 * as 2.6.31 does (a forced write needs only VM_MAYWRITE). Today's is in gup.ts.
 */
import { __get_user_pages_v2_6_31 } from "../mm/gup.v2.6.31.js";
import { FOLL_GET, FOLL_WRITE, NEED_FAULT } from "../mm/gup.js";
import { FAULT_FLAG_WRITE } from "../mm/memory.js";
import { huge_pte_write, is_migration_entry, pte_page } from "../mm/pte.js";
import type { GupHugetlbEra } from "./gup.js";

export const follow_hugetlb_page_v2_6_24: GupHugetlbEra = {
  check_vma_flags: __get_user_pages_v2_6_31.check_vma_flags,
  gup_flags: (op) => (op.write ? FOLL_WRITE : 0) | FOLL_GET,
  follow(k, pte, _vma, flags) {
    // absent = !pte || huge_pte_none(); a migration entry is not present either, and
    // hugetlb_fault waits for it.
    if (!pte || is_migration_entry(pte) || (flags & FOLL_WRITE && !huge_pte_write(pte))) return NEED_FAULT;
    const page = pte_page(pte);
    k.folio_get(page);
    return page;
  },
  fault_flags: (flags) => (flags & FOLL_WRITE ? FAULT_FLAG_WRITE : 0),
};
