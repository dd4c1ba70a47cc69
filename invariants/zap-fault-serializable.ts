/**
 * A fault and a zap of its own pte by another call of the same mm behave as if one of them ran
 * first (kernel-notes §7.8; the selftest hugetlb_fault_after_madv). So when a fault returns
 * SIGBUS, the page the zap took from that pte must not be waiting in the zap's mmu_gather,
 * anonymous and referenced by the gather alone: had the zap run first, tlb_finish_mmu would have
 * freed that page into the pool for the fault (with its reservation, if it was marked
 * RestoreReserve); had the fault run first, the pte would still map that page, mapped once, which
 * a read uses and a write reuses. SIGBUS beyond i_size or in a VMA marked HPAGE_RESV_UNMAPPED is
 * not for want of a page and stays legitimate.
 */
import { L_IDX, L_TLB, L_VMA } from "../model/kernel.js";
import { HPAGE_RESV_UNMAPPED, PG_ANON } from "../model/layout.js";
import { tlb_first_page } from "../model/mm/mmu_gather.js";
import { Result } from "../model/types.js";
import type { Invariant } from "./types.js";

export const zapFaultSerializable: Invariant = {
  name: "zap-fault-serializable",
  summary:
    "a fault does not get SIGBUS while the page that a zap of the same mm took from its pte waits, referenced by nothing else, in that zap's mmu_gather",
  onOpEnd: true,
  step({ before, after, thread, opEnded }) {
    if (!opEnded || after.thread_result(thread) !== Result.SIGBUS) return null;
    const vma = before.local(thread, L_VMA);
    if (!vma || before.op(thread).op !== "fault") return null;
    const idx = before.local(thread, L_IDX);
    if (idx >= before.i_size(before.vm_file(vma)) || before.is_vma_resv_set(vma, HPAGE_RESV_UNMAPPED)) return null;
    for (let u = 0; u < before.L.threads; u++) {
      if (u === thread || before.local(u, L_VMA) !== vma) continue;
      for (let m = before.local(u, L_TLB); m; m &= m - 1) {
        const g = tlb_first_page(m);
        if (before.page_test(g, PG_ANON) && before.page_ref(g) === 1 && before.page_index(g) === idx)
          return `${before.op(thread).text} got SIGBUS while page${g}, unmapped from its pte by ${before.cfg.threads[u]?.name ?? "setup"}'s ${before.op(u).text}, waits in that call's mmu_gather to be freed`;
      }
    }
    return null;
  },
};
