/**
 * follow_hugetlb_page before 2.6.24 (mm/hugetlb.c of 2.6.21, seed 002's tree; seed 000's 2.6.5
 * likewise handed out the page of any present pte): only an absent pte is faulted, and as a read
 * (hugetlb_fault(mm, vma, vaddr, 0)); a present read-only pte gives its page to a write too, so a
 * write through get_user_pages lands in a page that COW still shares ("hugetlb:
 * follow_hugetlb_page() for write access", 2.6.24, fixed it). Seed 000's 2.6.5 had no fault
 * there at all (every pte prefaulted); its model faults an absent pte with SIGBUS, so the lookup
 * fails with -EFAULT as 2.6.21's does. Later kernels' is in gup.v2.6.24.ts.
 */
import { NEED_FAULT } from "../mm/gup.js";
import { is_migration_entry, pte_page } from "../mm/pte.js";
import type { GupHugetlbEra } from "./gup.js";
import { follow_hugetlb_page_v2_6_24 } from "./gup.v2.6.24.js";

export const follow_hugetlb_page_v2_6_21: GupHugetlbEra = {
  ...follow_hugetlb_page_v2_6_24,
  follow(k, pte) {
    if (!pte || is_migration_entry(pte)) return NEED_FAULT;
    const page = pte_page(pte);
    k.folio_get(page);
    return page;
  },
  fault_flags: () => 0,
};
