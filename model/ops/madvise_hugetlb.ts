/**
 * madvise(MADV_DONTNEED) of huge pages [addr, addr + len) (madvise_walk_vmas →
 * madvise_dontneed_single_vma → zap_page_range_single); 4 KiB memory is dontneed4k's
 * (madvise.ts). Under mmap_lock for read, so it races the faults of its own mm. For each VMA of
 * the range: hugetlb_zap_begin takes the VMA lock, then i_mmap_rwsem, for write;
 * __unmap_hugepage_range clears one pte per step under the PTL, and its page goes into the
 * thread's mmu_gather; tlb_finish_mmu frees the gathered pages; hugetlb_zap_end drops both locks.
 * The steps carry today's names. Before v6.7 (variant.hugetlbDontneed
 * "__unmap_hugepage_range_final") the same locks were taken at the same points but dropped
 * after the last pte, before tlb_finish_mmu; before v5.18 a hugetlb VMA was EINVAL. A hole in
 * the range is ENOMEM once the VMAs after it are done.
 */
import { hugetlb_vma_lock_write, hugetlb_vma_unlock_write } from "../hugetlb/vma_lock.js";
import type { Kernel } from "../kernel.js";
import { L_FLAGS, L_IDX, L_VMA } from "../kernel.js";
import { tlb_finish_mmu, tlb_remove_page } from "../mm/mmu_gather.js";
import { unmap_huge_pte } from "../mm/unmap.js";
import { find_vma_intersection } from "../mm/vma.js";
import { BLOCKED, DONE, procedure, Result } from "../types.js";
import { madviseLockStep } from "./madvise.js";

type DontneedStep = "madvise" | "hugetlb_vma_lock_write" | "i_mmap_lock_write" | "__unmap_hugepage_range" | "tlb_finish_mmu";

/** L_FLAGS: the range has a hole (madvise_walk_vmas' unmapped_error). */
const UNMAPPED_ERROR = 1;

/** madvise_unlock, and madvise returns `result`. */
function madvise_unlock(k: Kernel, t: number, result: number): number {
  k.up_read(k.mmap_lock(k.op(t).proc), t);
  k.set_result(t, result);
  return DONE;
}

/** hugetlb_zap_end: drop the VMA lock and i_mmap_rwsem that hugetlb_zap_begin took. */
function hugetlb_zap_end(k: Kernel, t: number): void {
  const vma = k.local(t, L_VMA);
  hugetlb_vma_unlock_write(k, vma, t);
  k.up_write(k.i_mmap_rwsem(k.vm_file(vma)), t);
}

/**
 * madvise_dontneed_single_vma: zap_page_range_single of the VMA's part of the range, from
 * `start` (L_VMA is the VMA, L_IDX the next address to zap).
 */
function madvise_dontneed_single_vma(k: Kernel, t: number, vma: number, start: number, pc: Record<DontneedStep, number>): number {
  k.set_local(t, L_VMA, vma);
  k.set_local(t, L_IDX, start);
  return pc.hugetlb_vma_lock_write;
}

/** madvise_walk_vmas from address `start`: the next VMA of the range, or madvise returns. */
function madvise_walk_vmas(k: Kernel, t: number, start: number, pc: Record<DontneedStep, number>): number {
  const op = k.op(t);
  const end = op.addr + op.len;
  const vma = start < end ? find_vma_intersection(k, op.proc, start, end) : 0;
  if (start < (vma ? k.vm_start(vma) : end)) k.set_local(t, L_FLAGS, UNMAPPED_ERROR);
  if (!vma) return madvise_unlock(k, t, k.local(t, L_FLAGS) & UNMAPPED_ERROR ? Result.ENOMEM : Result.OK);
  // madvise_dontneed_free_valid_vma; before v5.18, can_madv_lru_vma refused VM_HUGETLB.
  if (k.variant.hugetlbDontneed === "EINVAL") return madvise_unlock(k, t, Result.EINVAL);
  return madvise_dontneed_single_vma(k, t, vma, Math.max(start, k.vm_start(vma)), pc);
}

export const madviseDontneed = procedure<DontneedStep>(
  "madvise_dontneed",
  ["madvise", "hugetlb_vma_lock_write", "i_mmap_lock_write", "__unmap_hugepage_range", "tlb_finish_mmu"],
  (pc) => ({
    madvise: madviseLockStep((k, t) => madvise_walk_vmas(k, t, k.op(t).addr, pc)),
    hugetlb_vma_lock_write: {
      fn: "hugetlb_zap_begin",
      reads: [],
      writes: ["vma_lock"],
      run(k, t) {
        return hugetlb_vma_lock_write(k, k.local(t, L_VMA), t) ? pc.i_mmap_lock_write : BLOCKED;
      },
    },
    i_mmap_lock_write: {
      fn: "hugetlb_zap_begin",
      reads: [],
      writes: ["i_mmap_rwsem"],
      run(k, t) {
        return k.down_write_trylock(k.i_mmap_rwsem(k.vm_file(k.local(t, L_VMA))), t) ? pc.__unmap_hugepage_range : BLOCKED;
      },
    },
    __unmap_hugepage_range: {
      fn: "__unmap_hugepage_range",
      label: "__unmap_hugepage_range:huge_pte_lock",
      reads: ["pte"],
      writes: ["ptl", "pte", "page", "resv_map", "vma_lock", "i_mmap_rwsem"],
      run(k, t) {
        const op = k.op(t);
        if (!k.spin_lock(k.ptl(op.proc), t)) return BLOCKED;
        const vma = k.local(t, L_VMA);
        const addr = k.local(t, L_IDX);
        const g = unmap_huge_pte(k, vma, addr);
        k.spin_unlock(k.ptl(op.proc), t);
        if (g) tlb_remove_page(k, t, g);
        k.set_local(t, L_IDX, addr + 1);
        if (addr + 1 < Math.min(op.addr + op.len, k.vm_end(vma))) return pc.__unmap_hugepage_range;
        // __unmap_hugepage_range_final dropped both locks here, before the pages were freed.
        if (k.variant.hugetlbDontneed === "__unmap_hugepage_range_final") hugetlb_zap_end(k, t);
        return pc.tlb_finish_mmu;
      },
    },
    tlb_finish_mmu: {
      fn: "tlb_finish_mmu",
      reads: [],
      writes: ["page", "pool", "vma_lock", "i_mmap_rwsem", "mmap_lock"],
      run(k, t) {
        tlb_finish_mmu(k, t);
        if (k.variant.hugetlbDontneed === "hugetlb_zap_begin") hugetlb_zap_end(k, t);
        const next = k.local(t, L_IDX);
        k.set_local(t, L_VMA, 0);
        return madvise_walk_vmas(k, t, next, pc);
      },
    },
  }),
);
