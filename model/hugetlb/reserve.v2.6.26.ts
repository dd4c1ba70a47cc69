/**
 * A MAP_PRIVATE owner's reservation as 2.6.26 kept it (Mel Gorman's "guarantee that COW faults
 * for a process that called mmap(MAP_PRIVATE) on hugetlbfs will succeed"), before seed 003: a
 * count in vm_private_data, which split_vma copies into both halves (the
 * bug-split-double-credit variant). Today's resv_map is in reserve.ts.
 */
import type { PrivateReserveScheme } from "../kernel.js";

export const vm_private_data_count: PrivateReserveScheme = {
  // vma_has_private_reserves: the owner has reserves while its count lasts.
  owner_needs_reservation: (k, vma) => (k.vma_resv_huge_pages(vma) > 0 ? 0 : 1),
  // decrement_hugepage_resv_vma: the count goes down.
  consumed: (k, vma) => k.set_vma_resv_huge_pages(vma, k.vma_resv_huge_pages(vma) - 1),
  restored: (k, vma) => k.set_vma_resv_huge_pages(vma, k.vma_resv_huge_pages(vma) + 1),
  // set_vma_resv_huge_pages at mmap.
  reserved: (k, vma, chg) => k.set_vma_resv_huge_pages(vma, chg),
  // hugetlb_vm_op_close: what the count still says.
  unused: (k, vma) => k.vma_resv_huge_pages(vma),
};
