/**
 * munmap (do_vmi_align_munmap) and the unmap_region + remove_vma step it shares with exit_mmap.
 */
import { iput_final } from "../hugetlb/inode.js";
import { VM_HUGEPAGE } from "../layout.js";
import { vm_ops_close } from "../hugetlb/vm_ops.js";
import type { Kernel } from "../kernel.js";
import { needs_split, splitStep, type RangeOf } from "../mm/split.js";
import { zap_huge_pmd } from "../mm/huge_memory.js";
import { zap_pte_range } from "../mm/memory.js";
import { shmem_fput } from "../mm/shmem.js";
import { unmap_hugepage_range } from "../mm/unmap.js";
import { find_vma_intersection, vma_unlink } from "../mm/vma.js";
import { BLOCKED, DONE, procedure, Result, type Step } from "../types.js";

/** mmap_write_lock: the first step of every operation that changes VMAs. */
export function mmapWriteLockStep(next: (k: Kernel, t: number) => number): Omit<Step, "label" | "id"> {
  return {
    fn: "mmap_write_lock",
    reads: [],
    writes: ["mmap_lock"],
    run(k, t) {
      return k.down_write_trylock(k.mmap_lock(k.op(t).proc), t) ? next(k, t) : BLOCKED;
    },
  };
}

/**
 * One VMA inside [start, end) at a time: zap its ptes (unmap_hugepage_range under
 * i_mmap_rwsem, as hugetlb_zap_begin takes it; zap_pte_range for a 4 KiB VMA), vm_ops->close,
 * unlink. When none is left, `finish` ends the operation. munmap and exit hold mmap_lock for
 * write: no fault or MADV_DONTNEED of the mm holds its PTL or its VMA locks meanwhile, so
 * hugetlb_zap_begin's VMA lock is left out. `mm` is the process whose VMAs go: the thread's own,
 * or the child a failed fork tears down (which no thread runs in).
 */
export function unmapRegionStep(
  range: RangeOf,
  self: () => number,
  finish: (k: Kernel, t: number) => number,
  mm: (k: Kernel, t: number) => number = (k, t) => k.op(t).proc,
): Omit<Step, "label" | "id"> {
  return {
    fn: "unmap_region",
    reads: ["vma"],
    writes: ["pte", "page", "pool", "resv_map", "vma", "i_mmap_rwsem"],
    run(k, t) {
      const start = range.start(k, t);
      const end = range.end(k, t);
      const p = mm(k, t);
      const vma = find_vma_intersection(k, p, start, end);
      if (!vma) return finish(k, t);
      if (!k.is_vm_hugetlb_page(vma)) {
        // unmap_page_range → zap_pmd_range (zap_huge_pmd of a THP-able VMA's huge pmd) →
        // zap_pte_range; free_pgtables clears the slot's pmd; remove_vma's fput of a shmem VMA's file.
        zap_huge_pmd(k, vma);
        zap_pte_range(k, vma, k.vm_first_page(vma), k.vm_end_page(vma));
        if (k.vm_flags(vma) & VM_HUGEPAGE) k.set_pte(p, k.vm_start(vma), 0);
        if (k.vma_is_shmem(vma)) shmem_fput(k, k.vm_file(vma));
        vma_unlink(k, vma);
        return find_vma_intersection(k, p, start, end) ? self() : finish(k, t);
      }
      const rwsem = k.i_mmap_rwsem(k.vm_file(vma));
      if (!k.down_write_trylock(rwsem, t)) return BLOCKED;
      unmap_hugepage_range(k, vma, k.vm_start(vma), k.vm_end(vma));
      vm_ops_close(k, vma);
      const file = k.vm_file(vma);
      vma_unlink(k, vma);
      iput_final(k, file);
      k.up_write(rwsem, t);
      return find_vma_intersection(k, p, start, end) ? self() : finish(k, t);
    },
  };
}

const opRange: RangeOf = { start: (k, t) => k.op(t).addr, end: (k, t) => k.op(t).addr + k.op(t).len };

/** exit_mmap's range: the whole address space. */
export const wholeMm: RangeOf = { start: () => 0, end: (k) => k.L.addrPages };

export const munmap = procedure<"mmap_write_lock" | "__split_vma" | "unmap_region">(
  "munmap",
  ["mmap_write_lock", "__split_vma", "unmap_region"],
  (pc) => ({
    mmap_write_lock: mmapWriteLockStep((k, t) => (needs_split(k, t, opRange) ? pc.__split_vma : pc.unmap_region)),
    __split_vma: splitStep(
      opRange,
      () => pc.__split_vma,
      () => pc.unmap_region,
      // vms_gather_munmap_vmas → end_split_failed / start_split_failed: nothing is unmapped.
      (k, t) => {
        k.up_write(k.mmap_lock(k.op(t).proc), t);
        k.set_result(t, Result.EINVAL);
        return DONE;
      },
    ),
    unmap_region: unmapRegionStep(
      opRange,
      () => pc.unmap_region,
      (k, t) => {
        k.up_write(k.mmap_lock(k.op(t).proc), t);
        k.set_result(t, Result.OK);
        return DONE;
      },
    ),
  }),
);
