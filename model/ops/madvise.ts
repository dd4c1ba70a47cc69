/**
 * madvise(MADV_DONTNEED) of 4 KiB pages (dontneed4k): under mmap_lock for read (so it races
 * faults of the same mm), zap_page_range_single drops the ptes and their pages; the next access
 * faults in a zero page (private) or the page-cache page (shmem). madvise_walk_vmas goes VMA by
 * VMA (a split 4 KiB mapping has several): a VM_LOCKED one is EINVAL, the VMAs before it zapped
 * (madvise_dontneed_free_valid_vma, and 2.6.31's madvise_dontneed alike); a hole is skipped and
 * makes it ENOMEM, after the mapped part is zapped. madvise's first step is shared with the
 * huge-page path (madvise_hugetlb.ts).
 */
import type { Kernel } from "../kernel.js";
import { L_VMA } from "../kernel.js";
import { VM_LOCKED } from "../layout.js";
import { zap_huge_pmd } from "../mm/huge_memory.js";
import { zap_pte_range } from "../mm/memory.js";
import { covers, small_addr, vmas_in_range } from "../mm/vma.js";
import { BLOCKED, DONE, procedure, Result, type Step } from "../types.js";

/** madvise's first step for MADV_DONTNEED, huge pages or 4 KiB: mmap_lock for read, then `walk`. */
export function madviseLockStep(walk: (k: Kernel, t: number) => number): Omit<Step, "label" | "id"> & { label: string } {
  return {
    fn: "madvise",
    label: "madvise:mmap_read_lock",
    reads: ["vma"],
    writes: ["mmap_lock"],
    run(k, t) {
      return k.down_read_trylock(k.mmap_lock(k.op(t).proc), t) ? walk(k, t) : BLOCKED;
    },
  };
}

/** [start, end) in huge pages of 4 KiB pages [page, page + pages) of slot `slot`, which holds all of its 4 KiB VMAs. */
function dontneedRange(slot: number, page: number, pages: number): [number, number] {
  return [small_addr(slot, page), Math.min(small_addr(slot, page + pages), slot + 1)];
}

export const dontneed4k = procedure<"madvise" | "zap_page_range_single">("dontneed4k", ["madvise", "zap_page_range_single"], (pc) => ({
  madvise: madviseLockStep((k, t) => {
    const op = k.op(t);
    const vma = vmas_in_range(k, op.proc, ...dontneedRange(op.addr, op.page, op.pages))[0] ?? 0;
    if (!vma || k.vm_flags(vma) & VM_LOCKED) {
      k.up_read(k.mmap_lock(op.proc), t);
      k.set_result(t, vma ? Result.EINVAL : Result.ENOMEM);
      return DONE;
    }
    k.set_local(t, L_VMA, vma);
    return pc.zap_page_range_single;
  }),
  zap_page_range_single: {
    fn: "zap_page_range_single",
    label: "zap_pte_range:pte_offset_map_lock",
    reads: ["pte"],
    writes: ["ptl", "pte", "page", "mmap_lock"],
    run(k, t) {
      const op = k.op(t);
      if (!k.spin_lock(k.ptl(op.proc), t)) return BLOCKED;
      const end = op.page + op.pages;
      const range = dontneedRange(op.addr, op.page, op.pages);
      const vmas = vmas_in_range(k, op.proc, ...range);
      let result: number = covers(k, vmas, ...range) ? Result.OK : Result.ENOMEM;
      for (const vma of vmas) {
        if (k.vm_flags(vma) & VM_LOCKED) {
          result = Result.EINVAL;
          break;
        }
        // zap_pmd_range: a huge pmd over the whole 2 MiB (the loader allows no part of one) goes
        // by zap_huge_pmd; a page table's ptes by zap_pte_range.
        zap_huge_pmd(k, vma);
        zap_pte_range(k, vma, Math.max(op.page, k.vm_first_page(vma)), Math.min(end, k.vm_end_page(vma)));
      }
      k.spin_unlock(k.ptl(op.proc), t);
      k.up_read(k.mmap_lock(op.proc), t);
      k.set_local(t, L_VMA, 0);
      k.set_result(t, result);
      return DONE;
    },
  },
}));
