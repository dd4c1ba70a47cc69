/**
 * A reservation is a promise: a fault on an index that holds one — covered by the inode's map
 * for a shared mapping, not yet consumed for a private owner — never gets SIGBUS for want of a
 * page (kernel-notes §2; the libhugetlbfs tests alloc-instantiate-race and
 * noresv-preserve-resv-page). SIGBUS stays legitimate beyond i_size and in a VMA marked
 * HPAGE_RESV_UNMAPPED, and for a fault whose allocation was refused while the index held no
 * reservation yet: another process's mmap may cover the index (region_add) between that refusal
 * and the SIGBUS (hugetlb_pte_stable), as in v6.18 — the fault never held that reservation.
 */
import { FAULT_MAP_CHG_NEEDED } from "../model/hugetlb/fault.js";
import { L_FLAGS, L_IDX, L_VMA } from "../model/kernel.js";
import { HPAGE_RESV_OWNER, HPAGE_RESV_UNMAPPED } from "../model/layout.js";
import { region_count } from "../model/region.js";
import { Result } from "../model/types.js";
import type { Invariant } from "./types.js";

export const reservedFaultSucceeds: Invariant = {
  name: "reserved-fault-succeeds",
  summary: "a fault on an index that holds a reservation never gets SIGBUS or VM_FAULT_OOM (except beyond i_size, after unmap_ref_private, or when the index held none as its allocation failed)",
  step({ before, after, thread, opEnded }) {
    const result = after.thread_result(thread);
    // VM_FAULT_OOM (ENOMEM) breaks the promise too, where an era returns it (2.6.27); an
    // injected page-cache failure is the test's own.
    if (!opEnded || (result !== Result.SIGBUS && result !== Result.ENOMEM) || before.op(thread).failAddToPageCache) return null;
    const vma = before.local(thread, L_VMA);
    if (!vma || before.op(thread).op !== "fault" || before.local(thread, L_FLAGS) & FAULT_MAP_CHG_NEEDED) return null;
    const f = before.vm_file(vma);
    const idx = before.local(thread, L_IDX);
    if (idx >= before.i_size(f) || before.is_vma_resv_set(vma, HPAGE_RESV_UNMAPPED)) return null;
    let reserved: boolean;
    if (before.vma_is_shared(vma)) reserved = region_count(before.inode_resv_map(f), idx, idx + 1) === 1;
    else if (!before.is_vma_resv_set(vma, HPAGE_RESV_OWNER)) reserved = false;
    else if (before.variant.privateResv === "count") reserved = before.vma_resv_huge_pages(vma) > 0;
    else reserved = region_count(before.resv_regions(before.vma_resv_map(vma)), idx, idx + 1) === 0;
    if (!reserved) return null;
    return `${before.op(thread).text} got ${result === Result.SIGBUS ? "SIGBUS" : "VM_FAULT_OOM"} although file index ${idx} holds a reservation`;
  },
};
