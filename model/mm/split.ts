/**
 * __split_vma: munmap, mprotect or mlock of part of a mapping splits the VMA first. The new half
 * is a copy (vm_area_dup copies vm_private_data: the map pointer since seed 003, the reservation
 * count before it; a file VMA's copy takes a reference on the file, get_file), then
 * vm_ops->open runs on it. A 4 KiB VMA is split in its slot (layout.ts VM_NR_PAGES); its ptes,
 * in the slot's page table, stay where they are, as the kernel's do.
 */
import { vm_ops_open } from "../hugetlb/vm_ops.js";
import type { Kernel } from "../kernel.js";
import { SMALL_PER_HUGE, VMA_USED, VM_ANON_VMA, VM_NR_PAGES, VM_PGOFF, VM_START } from "../layout.js";
import { BLOCKED, type Step } from "../types.js";
import { shmem_fput, shmem_get_file } from "./shmem.js";
import { set_vm_flags, set_vm_range, vm_area_dup, vma_link, vma_unlink, vmas_of } from "./vma.js";

export function __split_vma(k: Kernel, vma: number, addr: number): void {
  const p = k.L.vmaProc(vma);
  const rec = vm_area_dup(k, vma);
  if (k.vm_nr_pages(vma)) {
    const page = Math.round((addr - k.vm_start(vma)) * SMALL_PER_HUGE);
    rec[VM_PGOFF] = page;
    rec[VM_NR_PAGES] = k.vm_end_page(vma) - page;
    k.w(vma + VM_NR_PAGES, page - k.vm_first_page(vma));
    if (k.vma_is_shmem(vma)) shmem_get_file(k, k.vm_file(vma));
    vma_link(k, p, rec);
    return;
  }
  rec[VM_START] = addr;
  rec[VM_PGOFF] = k.vm_pgoff(vma) + (addr - k.vm_start(vma));
  set_vm_range(k, vma, k.vm_start(vma), addr, k.vm_pgoff(vma));
  vm_ops_open(k, vma_link(k, p, rec));
}

/**
 * vma_merge_existing_range (v6.18; 2.6.31's vma_merge alike) after mlock, munlock or mprotect
 * changed the 4 KiB VMAs of [start, end): each of them merges with a neighbour in its slot that
 * now has the same flags and file (the pages are contiguous in a slot). The anon_vma rule
 * (is_mergeable_anon_vma) is taken as met when either has none, or both have one: the model
 * keeps one bit, not which anon_vma, so two halves that each got their own after a split, or a
 * fork child's VMA that has uncowed parents, merge where the kernel keeps them apart (README,
 * "4 KiB VMAs split"). The merged VMA drops the other's file reference (remove_vma's fput).
 */
export function vma_merge(k: Kernel, p: number, start: number, end: number): void {
  for (let again = true; again; ) {
    again = false;
    const vmas = vmas_of(k, p);
    for (let i = 0; i + 1 < vmas.length && !again; i++) {
      const [a, b] = [vmas[i]!, vmas[i + 1]!];
      if (!k.vm_nr_pages(a) || !k.vm_nr_pages(b) || k.vm_start(a) !== k.vm_start(b) || k.vm_end_page(a) !== k.vm_first_page(b)) continue;
      if (k.vma_hi(a) < start || k.vma_lo(b) > end) continue;
      if ((k.vm_flags(a) ^ k.vm_flags(b)) & ~VM_ANON_VMA || k.vm_file(a) !== k.vm_file(b)) continue;
      set_vm_flags(k, a, k.vm_flags(a) | (k.vm_flags(b) & VM_ANON_VMA));
      k.w(a + VM_NR_PAGES, k.vm_nr_pages(a) + k.vm_nr_pages(b));
      if (k.vma_is_shmem(b)) shmem_fput(k, k.vm_file(b));
      vma_unlink(k, b);
      again = true;
    }
  }
}

/**
 * The next VMA that [start, end) cuts in thread t's mm, or 0 (split_addr says where). A VMA
 * `changes` refuses is left whole (mprotect_fixup and mlock_fixup return before
 * vma_modify_flags when the flags stay as they are). Runs in every munmap's first step: it walks
 * the slots, as find_vma does, instead of building a list.
 */
export function next_split(k: Kernel, t: number, start: number, end: number, changes?: Changes): number {
  const p = k.op(t).proc;
  for (let s = 0; s < k.L.vmaSlots; s++) {
    const v = k.L.vma(p, s);
    if (!(k.vm_flags(v) & VMA_USED)) break;
    if (changes && !changes(k, t, v)) continue;
    if (cuts(k, v, start) || cuts(k, v, end)) return v;
  }
  return 0;
}

/** Does address addr fall strictly inside VMA v? */
function cuts(k: Kernel, v: number, addr: number): boolean {
  return k.vma_lo(v) < addr && addr < k.vma_hi(v);
}

/** Where [start, end) cuts VMA v (next_split's): at the start if that is inside v, else at the end. */
export function split_addr(k: Kernel, v: number, start: number, end: number): number {
  return cuts(k, v, start) ? start : end;
}

/** The range [start, end) of an operation, in the thread's mm: each end read from the state apart, so that no pair is built per step. */
export interface RangeOf {
  start(k: Kernel, t: number): number;
  end(k: Kernel, t: number): number;
}

/** Whether the operation of thread t changes VMA v (munmap: always). */
export type Changes = (k: Kernel, t: number, v: number) => boolean;

/** Does [start, end) of the operation cut a VMA it changes? */
export function needs_split(k: Kernel, t: number, range: RangeOf, changes?: Changes): boolean {
  return next_split(k, t, range.start(k, t), range.end(k, t), changes) !== 0;
}

/**
 * hugetlb_vm_op_split (v6.18), the hugetlb VMA's vm_ops->may_split, which __split_vma asks
 * before anything else: a hugetlb VMA is split only at a huge-page boundary. An address is in
 * huge pages, a fraction when the operation's range was given in 4 KiB units.
 */
export function hugetlb_vm_op_split(k: Kernel, vma: number, addr: number): boolean {
  return !k.is_vm_hugetlb_page(vma) || Number.isInteger(addr);
}

/**
 * A step that makes one split of the range (vma_prepare takes i_mmap_rwsem for write); it
 * repeats while the range's edges still cut a VMA, then goes on to `next`. Enter it only when
 * needs_split. A split hugetlb_vm_op_split refuses goes to `einval` with the VMA it would have
 * cut: the splits made before it stay, as v6.18's munmap (vms_gather_munmap_vmas: the start
 * first, then the end) and mprotect (vma_modify, VMA after VMA) leave them.
 */
export function splitStep(
  range: RangeOf,
  self: () => number,
  next: () => number,
  einval: (k: Kernel, t: number, vma: number) => number,
  changes?: Changes,
): Omit<Step, "label" | "id"> {
  return {
    fn: "__split_vma",
    reads: ["vma"],
    writes: ["vma", "resv_map", "i_mmap_rwsem"],
    run(k, t) {
      const start = range.start(k, t);
      const end = range.end(k, t);
      const vma = next_split(k, t, start, end, changes);
      const addr = split_addr(k, vma, start, end);
      if (!hugetlb_vm_op_split(k, vma, addr)) return einval(k, t, vma);
      if (k.vm_nr_pages(vma)) {
        // A 4 KiB VMA's i_mmap_rwsem is not in the state (mmap4k.ts says why): the split is one step.
        __split_vma(k, vma, addr);
        return needs_split(k, t, range, changes) ? self() : next();
      }
      const rwsem = k.i_mmap_rwsem(k.vm_file(vma));
      if (!k.down_write_trylock(rwsem, t)) return BLOCKED;
      __split_vma(k, vma, addr);
      k.up_write(rwsem, t);
      return needs_split(k, t, range, changes) ? self() : next();
    },
  };
}
