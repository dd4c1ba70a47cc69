/**
 * What a hugetlb fault was promised (kernel-notes §2): a page, when its index holds a
 * reservation — covered by the inode's map for a shared mapping, not yet consumed for a private
 * owner (the resv_map today, the count in vm_private_data before seed 003). The state holds what
 * the variant's era reserved, so an era without reservations (seed 000's 2.6.5) promises nothing
 * here. No promise: beyond i_size, in a VMA marked HPAGE_RESV_UNMAPPED (unmap_ref_private gave
 * the page to the owner), a private mapping that owns no reservation (MAP_NORESERVE, a fork
 * child, /dev/page-huge), and a fault whose allocation was refused while the index held no
 * reservation yet: another process's mmap may cover the index (region_add) between that refusal
 * and the SIGBUS (hugetlb_pte_stable), as in v6.18 — the fault never held that reservation.
 * Shared by reserved-fault-succeeds (SIGBUS) and result-guarantee (VM_FAULT_OOM).
 */
import { FAULT_MAP_CHG_NEEDED } from "../model/hugetlb/fault.js";
import { type Kernel, L_FLAGS, L_IDX, L_VMA } from "../model/kernel.js";
import { HPAGE_RESV_OWNER, HPAGE_RESV_UNMAPPED } from "../model/layout.js";
import { region_count } from "../model/region.js";

/** The file index whose page thread t's hugetlb fault was promised, as it stood in `before`; −1 if none. */
export function promisedIndex(before: Kernel, thread: number): number {
  const vma = before.local(thread, L_VMA);
  if (!vma || before.op(thread).op !== "fault" || before.local(thread, L_FLAGS) & FAULT_MAP_CHG_NEEDED) return -1;
  const f = before.vm_file(vma);
  const idx = before.local(thread, L_IDX);
  if (idx >= before.i_size(f) || before.is_vma_resv_set(vma, HPAGE_RESV_UNMAPPED)) return -1;
  let reserved: boolean;
  if (before.vma_is_shared(vma)) reserved = region_count(before.inode_resv_map(f), idx, idx + 1) === 1;
  else if (!before.is_vma_resv_set(vma, HPAGE_RESV_OWNER)) reserved = false;
  else if (before.variant.privateResv === "count") reserved = before.vma_resv_huge_pages(vma) > 0;
  else reserved = region_count(before.resv_regions(before.vma_resv_map(vma)), idx, idx + 1) === 0;
  return reserved ? idx : -1;
}
