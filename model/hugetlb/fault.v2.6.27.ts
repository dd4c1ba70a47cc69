/**
 * hugetlb_fault of seed 003's tree (2.6.26 with the MAP_PRIVATE reservation series merged for
 * 2.6.27, mm/hugetlb.c): hugetlb_cow reuses the old page when page_count() == 1 (page_mapcount
 * came with hugetlb rmap in 2.6.36), and alloc_huge_page fails with ERR_PTR(-VM_FAULT_OOM), which
 * hugetlb_no_page and a non-owner's hugetlb_cow return as they are: the fault ends in
 * VM_FAULT_OOM, not SIGBUS (3.0 made it VM_FAULT_SIGBUS), and hugetlb_no_page re-checks no pte
 * (hugetlb_pte_stable is 2022). The owner's failed copy goes through unmap_ref_private as today.
 */
import { Result } from "../types.js";
import { fault_return, hugetlb_no_page, type HugetlbFaultEra } from "./fault.js";

export const hugetlb_fault_v2_6_27: HugetlbFaultEra = {
  no_page: (k, t, pc, ret) => hugetlb_no_page(k, t, pc, ret, (k, t, _pc, ret) => fault_return(k, t, ret, Result.ENOMEM)),
  cow: {
    reuse: (k, _vma, old) => k.page_ref(old) === 1,
    oom: Result.ENOMEM,
  },
};
