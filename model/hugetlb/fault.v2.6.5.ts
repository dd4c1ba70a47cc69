/**
 * Seed 000 as posted (2004, "RFC: COW for hugepages", against 2.6.5): mmap prefaults every page
 * (hugetlb_prefault, prefault.v2.6.5.ts), so handle_hugetlb_mm_fault's only faults are COW
 * faults: an empty pte is SIGBUS. hugepage_cow reuses a page whose page_count() is 1, and a
 * failed copy is SIGBUS for every process, the mapping's creator included (no
 * unmap_ref_private: with no reservations, no VMA is a reservation owner).
 */
import { Result } from "../types.js";
import { fault_return, type HugetlbFaultEra } from "./fault.js";

export const handle_hugetlb_mm_fault_v2_6_5: HugetlbFaultEra = {
  no_page: (k, t, _pc, ret) => fault_return(k, t, ret, Result.SIGBUS),
  cow: {
    reuse: (k, _vma, old) => k.page_ref(old) === 1,
    oom: Result.SIGBUS,
  },
};
